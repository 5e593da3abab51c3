// One autocannon run, with every response time (for exact percentiles) and the run's real length.
// autocannon's own `duration` and the moment it calls back are counted on its one-second ticker, so
// a run that sends its `amount` in 1.3 s reports 2 s: throughput is taken from the clock here, from
// the start to the last response.
import autocannon from "autocannon";

export function cannon(opts) {
  return new Promise((resolve, reject) => {
    const times = [];
    const started = performance.now();
    let last = started;
    const instance = autocannon({ timeout: 30, ...opts }, (err, result) =>
      err ? reject(err) : resolve({ result, times, seconds: Math.max(last - started, 1) / 1000 }),
    );
    instance.on("response", (_client, _status, _bytes, ms) => {
      times.push(ms);
      last = performance.now();
    });
  });
}
