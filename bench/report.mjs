// The benchmark's one table and its JSON: figures, Flagpost ÷ baseline, and each target.
import os from "node:os";
import { mb, ratio, renderTable, triple } from "./lib/stats.mjs";

/** The targets, each with the measured value and whether it is met. */
function targets(fp, bl, lg) {
  const atMost = (name, value, limit) => ({ name, value, limit, met: value !== null && value <= limit });
  const atLeast = (name, value, limit) => ({ name, value, limit, met: value !== null && value >= limit });
  return [
    atMost("toggle p50, 1 client ≤ 1.3 × baseline", ratio(fp.sequential.p50, bl.sequential.p50), 1.3),
    atLeast("toggles/s, 10 clients ≥ 0.8 × baseline", ratio(fp.concurrent.togglesPerSecond, bl.concurrent.togglesPerSecond), 0.8),
    atMost("change → first attempt p50 ≤ 20 ms", fp.changeToArrival.arrival.p50, 20),
    atMost("change → first attempt p99 ≤ 60 ms", fp.changeToArrival.arrival.p99, 60),
    atMost("fan-out of 100, last arrival p95 ≤ 100 ms", fp.fanout.last.p95, 100),
    atMost("fan-out of 100, last arrival p50 ≤ 1.25 × baseline + claim & log", ratio(fp.fanout.last.p50, lg.fanout.last.p50), 1.25),
    atMost("resident size after the same requests ≤ 1.2 × baseline", ratio(fp.rssAfterCommon, bl.rssAfterCommon), 1.2),
    atMost("lost deliveries = 0", totalLost(fp) + totalLost(bl), 0),
  ];
}

function totalLost(figures) {
  return Object.values(figures.loss).reduce((sum, l) => sum + l.lost, 0) + (figures.unfinished ? figures.unfinished.pending + figures.unfinished.failed : 0);
}

/** One row per figure: Flagpost, the baseline, the baseline that claims and logs, and the ratios. */
function rows(fp, bl, lg) {
  const s = fp.sustained;
  const losses = (f) => Object.entries(f.loss).map(([k, l]) => `${k} ${l.lost}/${l.expected}`).join(", ");
  const row = (label, pick, show = (x) => x) => [label, show(pick(fp)), show(pick(bl)), show(pick(lg)), ratio(num(pick(fp)), num(pick(bl))), ratio(num(pick(fp)), num(pick(lg)))];
  const num = (x) => (typeof x === "object" && x !== null ? x.p50 : x);
  return [
    ["Figure (latencies in ms: p50 / p95 / p99)", "Flagpost", "Baseline", "Baseline + claim & log", "Flagpost ÷ baseline", "Flagpost ÷ (baseline + claim & log)"],
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
    row("5. Peak resident size of the run (MB)", (f) => f.rssPeak, mb),
    ["Lost deliveries (lost/expected)", losses(fp) + (fp.unfinished ? `; not succeeded ${fp.unfinished.pending + fp.unfinished.failed}` : ""), losses(bl), losses(lg), "", ""],
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
