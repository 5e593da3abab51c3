// The benchmark's one table and its JSON: figures, Flagpost ÷ baseline, and each target.
import os from "node:os";
import { mb, ratio, renderTable, triple } from "./lib/stats.mjs";

/**
 * Figure 7's ceiling before group commit, as a ratio to the baseline's ceiling in the same run
 * (commit dd3acaf: 171/s against the baseline's 227/s, `BENCH_ONLY=saturation BENCH_SCALE=0.4`, the
 * 2-core machine, 29 Nov 2026): the one project's writer then held each change for its own D1 round
 * trip. The target compares against it because one run cannot hold both versions of Flagpost.
 */
const BEFORE_GROUP_COMMIT = 0.75;

/** The targets, each with the measured value and whether it is met. */
function targets(fp, bl, lg) {
  const atMost = (name, value, limit) => ({ name, value, limit, met: value !== null && value <= limit });
  const atLeast = (name, value, limit) => ({ name, value, limit, met: value !== null && value >= limit });
  return [
    atMost("toggle p50, 1 client ≤ 1.2 × baseline", ratio(fp.sequential.p50, bl.sequential.p50), 1.2),
    atLeast("toggles/s, 10 clients ≥ 1.0 × baseline", ratio(fp.concurrent.togglesPerSecond, bl.concurrent.togglesPerSecond), 1.0),
    atMost("runtime CPU per change, 10 clients ≤ 1.25 × baseline", ratio(fp.concurrent.cpuPerChange.runtime, bl.concurrent.cpuPerChange.runtime), 1.25),
    atMost("change → first attempt p50 ≤ 20 ms", fp.changeToArrival.arrival.p50, 20),
    atMost("change → first attempt p99 ≤ 60 ms", fp.changeToArrival.arrival.p99, 60),
    atMost("fan-out of 100, last arrival p95 ≤ 100 ms", fp.fanout.last.p95, 100),
    atMost("fan-out of 100, last arrival p50 ≤ 1.25 × baseline + claim & log", ratio(fp.fanout.last.p50, lg.fanout.last.p50), 1.25),
    atMost("resident size after the same requests ≤ 1.2 × baseline", ratio(fp.rssAfterCommon, bl.rssAfterCommon), 1.2),
    ...(fp.saturation && bl.saturation
      ? [
          atLeast(
            `changes/s on one project at saturation ≥ 4 × before group commit (${BEFORE_GROUP_COMMIT} × baseline's)`,
            ratio(fp.saturation.ceiling, bl.saturation.ceiling * BEFORE_GROUP_COMMIT),
            4,
          ),
        ]
      : []),
    atMost("lost deliveries = 0", totalLost(fp) + totalLost(bl), 0),
    ...(fp.evaluation ? evaluationTargets(fp.evaluation) : []),
    ...(fp.streams ? streamTargets(fp.streams) : []),
  ];
}

/** Figure 8's targets (issue 21): stream latencies, the web provider's, and one environment's open streams. */
function streamTargets(s) {
  const atMost = (name, value, limit) => ({ name, value, limit, met: value !== null && value <= limit });
  const atLeast = (name, value, limit) => ({ name, value, limit, met: value !== null && value >= limit });
  return [
    atMost("change answered → stream event at a client, p50 ≤ 25 ms", s.event.afterAnswer.p50, 25),
    atMost("change answered → stream event at a client, p99 ≤ 60 ms", s.event.afterAnswer.p99, 60),
    atMost("change answered → the web provider reads the new value, p50 ≤ 80 ms", s.provider.p50, 80),
    atLeast("open streams one environment holds ≥ 5,000", s.capacity.reached, 5000),
  ];
}

/** Figure 6's ratios, each against an authenticated GET /me on the same server in the same run. */
export function evaluationRatios(e) {
  return {
    single: ratio(e.single.p50, e.me.p50),
    bulk100: ratio(e.bulk100.p50, e.me.p50),
    notModified: ratio(e.notModified.p50, e.me.p50),
    throughput: ratio(e.evaluationsPerSecond, e.mePerSecond),
  };
}

function evaluationTargets(e) {
  const r = evaluationRatios(e);
  return [
    { name: "OFREP single evaluation p50 ≤ 1.1 × GET /me", value: r.single, limit: 1.1, met: r.single !== null && r.single <= 1.1 },
    { name: "OFREP bulk of 100 flags p50 ≤ 1.2 × GET /me", value: r.bulk100, limit: 1.2, met: r.bulk100 !== null && r.bulk100 <= 1.2 },
    { name: "OFREP 304 p50 ≤ 1.05 × GET /me", value: r.notModified, limit: 1.05, met: r.notModified !== null && r.notModified <= 1.05 },
    { name: "evaluations/s, 10 clients ≥ 1.0 × GET /me's", value: r.throughput, limit: 1.0, met: r.throughput !== null && r.throughput >= 1.0 },
  ];
}

function totalLost(figures) {
  return Object.values(figures.loss).reduce((sum, l) => sum + l.lost, 0) + (figures.unfinished ? figures.unfinished.pending + figures.unfinished.failed : 0);
}

function steps(s) {
  return s ? s.steps.map((x) => `${x.offered}→${x.completed} (${x.latency.p50})`).join(", ") : "—";
}

/** One row per figure: Flagpost, the baseline, the baseline that claims and logs, and the ratios. */
function rows(fp, bl, lg) {
  const s = fp.sustained;
  const losses = (f) =>
    Object.entries(f.loss)
      .map(([k, l]) => `${k} ${l.lost}/${l.expected}`)
      .join(", ");
  const row = (label, pick, show = (x) => x) => [
    label,
    show(pick(fp)),
    show(pick(bl)),
    show(pick(lg)),
    ratio(num(pick(fp)), num(pick(bl))),
    ratio(num(pick(fp)), num(pick(lg))),
  ];
  const num = (x) => (typeof x === "object" && x !== null ? x.p50 : x);
  return [
    [
      "Figure (latencies in ms: p50 / p95 / p99)",
      "Flagpost",
      "Baseline",
      "Baseline + claim & log",
      "Flagpost ÷ baseline",
      "Flagpost ÷ (baseline + claim & log)",
    ],
    row("1. Toggle latency, 1 client", (f) => f.sequential, triple),
    row("1. Toggle latency, 10 clients", (f) => f.concurrent, triple),
    row("1. Toggles/s, 10 clients", (f) => f.concurrent.togglesPerSecond),
    row("1. Runtime CPU per change, 10 clients (ms, with its delivery)", (f) => f.concurrent.cpuPerChange.runtime),
    row("2. Change → first attempt at the receiver", (f) => f.changeToArrival.arrival, triple),
    row("3. Fan-out to 100: first arrival", (f) => f.fanout.first, triple),
    row("3. Fan-out to 100: last arrival", (f) => f.fanout.last, triple),
    ["3b. Fan-out to 1,000 (100 org webhooks × 10 projects): first arrival", fp.wideFanout ? triple(fp.wideFanout.first) : "—", "—", "—", "", ""],
    ["3b. Fan-out to 1,000: last arrival", fp.wideFanout ? triple(fp.wideFanout.last) : "—", "—", "—", "", ""],
    ["4. Sustained, 20 webhooks × 10 changes/s × 30 s: deliveries/s", s ? `${s.deliveriesPerSecond} (offered ${s.offeredPerSecond})` : "—", "—", "—", "", ""],
    ["4. Sustained: arrival after the change", s ? triple(s.arrival) : "—", "—", "—", "", ""],
    row("5. Resident size after scenarios 1–3 (MB)", (f) => f.rssAfterCommon, mb),
    row("7. Changes/s on one project at saturation (offered until it saturates)", (f) => f.saturation?.ceiling ?? null),
    ["7. Steps (offered → completed/s, p50 ms)", steps(fp.saturation), steps(bl.saturation), "—", "", ""],
    row("5. Peak resident size of the run (MB)", (f) => f.rssPeak, mb),
    ...(fp.evaluation
      ? [
          ["6. GET /me (authenticated), 1 client", triple(fp.evaluation.me), "—", "—", "", ""],
          [
            "6. OFREP single evaluation, 1 client",
            triple(fp.evaluation.single),
            "—",
            "—",
            `${ratio(fp.evaluation.single.p50, fp.evaluation.me.p50)} × GET /me`,
            "",
          ],
          [
            "6. OFREP bulk of 100 flags, 1 client",
            triple(fp.evaluation.bulk100),
            "—",
            "—",
            `${ratio(fp.evaluation.bulk100.p50, fp.evaluation.me.p50)} × GET /me`,
            "",
          ],
          [
            "6. OFREP bulk answered 304, 1 client",
            triple(fp.evaluation.notModified),
            "—",
            "—",
            `${ratio(fp.evaluation.notModified.p50, fp.evaluation.me.p50)} × GET /me`,
            "",
          ],
          [
            "6. Evaluations/s vs GET /me/s, 10 clients",
            `${fp.evaluation.evaluationsPerSecond} vs ${fp.evaluation.mePerSecond}`,
            "—",
            "—",
            `${ratio(fp.evaluation.evaluationsPerSecond, fp.evaluation.mePerSecond)}`,
            "",
          ],
        ]
      : []),
    ...(fp.streams
      ? [
          ["8. Change answered → stream event at a connected client", triple(fp.streams.event.afterAnswer), "—", "—", "", ""],
          ["8. Change sent → stream event (the answer's own time included)", triple(fp.streams.event.afterRequest), "—", "—", "", ""],
          ["8. Change answered → the web provider reads the new value", triple(fp.streams.provider), "—", "—", "", ""],
          [
            "8. Open streams on one environment (reached by one change; MB resident per 1,000)",
            `${fp.streams.capacity.reached}/${fp.streams.capacity.streams} (${fp.streams.capacity.rssPer1000MB} MB)`,
            "—",
            "—",
            "",
            "",
          ],
          ["8. One change → every one of those streams", triple(fp.streams.capacity.fanout), "—", "—", "", ""],
        ]
      : []),
    [
      "Lost deliveries (lost/expected)",
      losses(fp) + (fp.unfinished ? `; not succeeded ${fp.unfinished.pending + fp.unfinished.failed}` : ""),
      losses(bl),
      losses(lg),
      "",
      "",
    ],
  ];
}

export function report({ stamp, config, baseline, logged, flagpost, seconds }) {
  const checks = targets(flagpost, baseline, logged);
  const table = [
    renderTable(rows(flagpost, baseline, logged)),
    "",
    renderTable([["Target", "Measured", "Met"], ...checks.map((t) => [t.name, t.value, t.met ? "yes" : "NO"])]),
    ...(config.scale < 1 ? ["", `BENCH_SCALE=${config.scale}: too few requests for the targets to mean much.`] : []),
  ].join("\n");
  const json = {
    stamp,
    command: "npm run bench",
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version, platform: `${os.platform()} ${os.release()}` },
    config,
    seconds,
    flagpost,
    baseline,
    baselineClaimAndLog: logged,
    targets: checks,
    lostDeliveries: totalLost(flagpost) + totalLost(baseline) + totalLost(logged),
  };
  return { table, json };
}
