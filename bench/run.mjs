// `npm run bench`: Flagpost against the limit of the platform it runs on.
//
// Runs the baseline Worker (bench/baseline), its variant that also claims and logs each attempt,
// and Flagpost (started as `npm start` starts it) side by side on the same local runtime, each with a
// fresh receiver and fresh state under /tmp, through the same scenarios in alternating rounds; then
// Flagpost alone through the sustained load. Prints one table and writes the figures to
// bench/results/<time>.json.
// All traffic stays on 127.0.0.1. BENCH_SCALE (0–1, default 1) shrinks every count for a quick look.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { evaluation, prepareEvaluation } from "./evaluation.mjs";
import { streamFigures } from "./streams.mjs";
import { changeToArrival, fanout, lost, summarizeArrivals, summarizeFanout, summarizeToggles, sustained, toggles, wideFanout } from "./scenarios.mjs";
import { saturation } from "./saturation.mjs";
import { startBaseline, startFlagpost } from "./subjects.mjs";
import { killAllStarted, ROOT, rssSampler } from "./lib/local-runtime.mjs";
import { startReceiver } from "./lib/receiver-process.mjs";
import { evaluationRatios, report } from "./report.mjs";

const scale = Math.min(1, Math.max(0.01, Number(process.env.BENCH_SCALE ?? 1)));
const CLIENTS = 10;
const ROUNDS = 5;
/** `x` scaled, split into ROUNDS rounds, each a multiple of 2 × `connections` (whole on/off pairs). */
const perRound = (x, connections = 1) => Math.max(2 * connections, 2 * connections * Math.round((x * scale) / ROUNDS / (2 * connections)));
const CONFIG = {
  scale,
  rounds: ROUNDS,
  clients: CLIENTS,
  warmup: 2 * CLIENTS * 10,
  sequential: perRound(500),
  concurrent: perRound(2000, CLIENTS),
  latencyChanges: perRound(200),
  fanoutRounds: Math.max(1, Math.round((20 * scale) / ROUNDS)),
  fanoutTargets: 100,
  sustained: { rate: 10, seconds: Math.max(3, Math.round(30 * scale)), targets: 20 },
  /** 100 organization webhooks (the limit) × a change in each of 10 projects at once = 1,000 deliveries. */
  wideFanout: { projects: 10, orgWebhooks: 100, rounds: Math.max(1, Math.round(5 * scale)) },
  /** Figure 7: one project of 100 flags, offered rates rising until two steps saturate. */
  saturation: { rates: [100, 200, 300, 450, 650, 900, 1200, 1600, 2200], seconds: Math.max(2, Math.round(5 * scale)), flags: 100 },
  retrySchedule: "1,2,4,8,16",
  /**
   * Figure 8: event streams — latencies over `changes` / `webChanges` toggles, and `streams` open on one environment
   * (BENCH_STREAMS overrides it: locally each stream holds about four files across wrangler's two workerd processes).
   */
  streams: {
    changes: Math.max(20, Math.round(100 * scale)),
    webChanges: Math.max(10, Math.round(30 * scale)),
    streams: Math.max(500, Math.round(5000 * scale)),
  },
  evaluation: {
    rounds: ROUNDS,
    sequential: Math.max(20, Math.round((1000 * scale) / ROUNDS)),
    concurrent: Math.max(100, Math.round((5000 * scale) / ROUNDS)),
    clients: CLIENTS,
  },
};
/**
 * `BENCH_ONLY=evaluation` runs Flagpost alone through figure 6, `BENCH_ONLY=streams` through figures 6 and 8 (the
 * evaluation ratios and the event streams, one run), `BENCH_ONLY=saturation` the baseline and Flagpost through figure 7.
 */
const ONLY = process.env.BENCH_ONLY ?? "";
const WATCHDOG_MS = 8 * 60_000;

/** Starts a subject with a receiver of its own and a memory sampler on its process tree. */
async function open(start, dir) {
  const receiver = await startReceiver();
  try {
    const subject = await start(receiver, dir);
    return { subject, receiver, memory: rssSampler(subject.pid), figures: { name: subject.name } };
  } catch (err) {
    receiver.stop();
    throw err;
  }
}

async function close(run) {
  run.memory.stop();
  await run.subject.stop();
  run.receiver.stop();
}

/**
 * The scenarios both subjects run, interleaved (baseline, then Flagpost) in ROUNDS short rounds so
 * that whatever else the machine is doing weighs on both alike; the same requests in the same
 * order, so their memory compares. CONFIG's counts are per round.
 */
async function common(runs) {
  const rounds = async (step, summarize) => {
    const raw = new Map(runs.map((r) => [r, []]));
    for (let i = 0; i < ROUNDS; i++) for (const r of runs) raw.get(r).push(await step(r));
    return new Map(runs.map((r) => [r, summarize(raw.get(r))]));
  };
  const assign = (key, results) => {
    for (const [r, v] of results) r.figures[key] = v;
  };
  const warm = new Map();
  for (const r of runs) warm.set(r, (await toggles(r.subject, { connections: CLIENTS, amount: CONFIG.warmup, receiver: r.receiver })).ok);
  assign("sequential", await rounds((r) => toggles(r.subject, { connections: 1, amount: CONFIG.sequential, receiver: r.receiver }), summarizeToggles));
  assign("concurrent", await rounds((r) => toggles(r.subject, { connections: CLIENTS, amount: CONFIG.concurrent, receiver: r.receiver }), summarizeToggles));
  assign("changeToArrival", await rounds((r) => changeToArrival(r.subject, r.receiver, { changes: CONFIG.latencyChanges }), summarizeArrivals));
  assign("fanout", await rounds((r) => fanout(r.subject, r.receiver, { rounds: CONFIG.fanoutRounds, targets: CONFIG.fanoutTargets }), summarizeFanout));
  for (const r of runs) {
    const f = r.figures;
    f.loss = {
      toggles: await lost(r.receiver, "s1", warm.get(r) + f.sequential.ok + f.concurrent.ok),
      changeToArrival: await lost(r.receiver, "s2", f.changeToArrival.expected),
      fanout: await lost(r.receiver, "s3", f.fanout.expected),
    };
    f.rssAfterCommon = r.memory.sample();
  }
}

/** Figure 7 for one subject: its ceiling of changes/s on one project, and that no delivery was lost. */
async function saturationFigures({ subject, receiver, figures }) {
  await subject.prepareSaturation({ flags: CONFIG.saturation.flags });
  figures.saturation = await saturation(subject, receiver, CONFIG.saturation);
  figures.loss.saturation = await lost(receiver, "s6", figures.saturation.expected);
}

/** Flagpost alone: the evaluation path against GET /me (figure 6). */
async function evaluationFigures({ subject, figures }) {
  figures.evaluation = await evaluation(subject, await prepareEvaluation(subject), CONFIG.evaluation);
}

/** Flagpost alone: event streams (figure 8). */
async function streamsFigures({ subject, figures }) {
  figures.streams = await streamFigures(subject, CONFIG.streams);
}

/** Flagpost alone: the sustained load and the fan-out to 1,000, then the check that every delivery succeeded. */
async function flagpostOnly({ subject, figures }) {
  await evaluationFigures({ subject, figures });
  await streamsFigures({ subject, figures });
  const { rate, seconds, targets } = CONFIG.sustained;
  await subject.prepareSustained({ flags: rate * seconds, targets });
  figures.sustained = await sustained(subject, receiver, CONFIG.sustained);
  figures.loss.sustained = await lost(receiver, "s4", figures.sustained.expected);
  const wide = CONFIG.wideFanout;
  await subject.prepareWide({ count: wide.projects, orgWebhooks: wide.orgWebhooks });
  figures.wideFanout = await wideFanout(subject, receiver, { rounds: wide.rounds, targets: wide.projects * wide.orgWebhooks });
  figures.loss.wideFanout = await lost(receiver, "s5", figures.wideFanout.expected);
  figures.unfinished = await subject.unfinished();
}

/** Starts the three subjects, runs every scenario, and stops them whatever happens; answers their figures. */
async function measure(dir) {
  const runs = [];
  try {
    runs.push(await open(startBaseline, sub(dir, "baseline")));
    runs.push(await open((r, d) => startBaseline(r, d, { claimAndLog: true }), sub(dir, "baseline-logged")));
    runs.push(await open((r, d) => startFlagpost(r, d, { retrySchedule: CONFIG.retrySchedule }), sub(dir, "flagpost")));
    console.log(`${runs.map((r) => `${r.subject.name} on ${r.subject.base}`).join(", ")}; logs in ${dir}`);
    await runs[2].subject.prepare();
    await common(runs);
    for (const r of [runs[0], runs[2]]) await saturationFigures(r);
    await flagpostOnly(runs[2]);
  } finally {
    for (const run of runs) {
      Object.assign(run.figures, { rssPeak: run.memory.state.peak, rssEnd: run.memory.state.last });
      await close(run);
    }
  }
  return runs.map((r) => r.figures);
}

/** Figure 6 alone, on Flagpost alone: prints its figures and the targets' ratios. */
async function evaluationOnly(dir) {
  const run = await open((r, d) => startFlagpost(r, d, { retrySchedule: CONFIG.retrySchedule }), sub(dir, "flagpost"));
  try {
    await evaluationFigures(run);
    const e = run.figures.evaluation;
    console.log(JSON.stringify({ ...e, ratios: evaluationRatios(e) }, null, 2));
  } finally {
    await close(run);
  }
}

/** Figures 6 and 8 alone, on Flagpost alone: the evaluation ratios and the event streams, side by side in one run. */
async function streamsOnly(dir) {
  const run = await open((r, d) => startFlagpost(r, d, { retrySchedule: CONFIG.retrySchedule }), sub(dir, "flagpost"));
  try {
    await evaluationFigures(run);
    await streamsFigures(run);
    const { evaluation: e, streams } = run.figures;
    console.log(JSON.stringify({ streams, evaluation: { ...e, ratios: evaluationRatios(e) } }, null, 2));
  } finally {
    await close(run);
  }
}

/** Figure 7 alone, on the baseline and Flagpost: prints both ceilings and their ratio. */
async function saturationOnly(dir) {
  const runs = [];
  try {
    runs.push(await open(startBaseline, sub(dir, "baseline")));
    runs.push(await open((r, d) => startFlagpost(r, d, { retrySchedule: CONFIG.retrySchedule }), sub(dir, "flagpost")));
    for (const r of runs) {
      r.figures.loss = {};
      await saturationFigures(r);
    }
    const [bl, fp] = runs.map((r) => r.figures);
    const unfinished = await runs[1].subject.unfinished();
    console.log(
      JSON.stringify(
        {
          baseline: bl.saturation,
          flagpost: fp.saturation,
          loss: [bl.loss, fp.loss],
          unfinished,
          ratio: Math.round((fp.saturation.ceiling / bl.saturation.ceiling) * 100) / 100,
        },
        null,
        2,
      ),
    );
  } finally {
    for (const run of runs) await close(run);
  }
}

async function main() {
  if (ONLY === "saturation") {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flagpost-bench-"));
    await saturationOnly(dir);
    fs.rmSync(dir, { recursive: true, force: true });
    return;
  }
  if (ONLY === "streams") {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flagpost-bench-"));
    await streamsOnly(dir);
    fs.rmSync(dir, { recursive: true, force: true });
    return;
  }
  if (ONLY === "evaluation") {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flagpost-bench-"));
    await evaluationOnly(dir);
    fs.rmSync(dir, { recursive: true, force: true });
    return;
  }
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flagpost-bench-"));
  const watchdog = setTimeout(() => {
    console.error(`the benchmark passed ${WATCHDOG_MS / 60_000} minutes; stopping`);
    killAllStarted();
    process.exit(2);
  }, WATCHDOG_MS);
  const started = Date.now();
  try {
    const [baseline, logged, flagpost] = await measure(dir);
    const result = report({ stamp, config: CONFIG, baseline, logged, flagpost, seconds: Math.round((Date.now() - started) / 1000) });
    const out = path.join(ROOT, "bench/results", `${stamp}.json`);
    fs.writeFileSync(out, `${JSON.stringify(result.json, null, 2)}\n`);
    console.log(`\n${result.table}\n\nwritten to ${path.relative(ROOT, out)} (${result.json.seconds} s)`);
    fs.rmSync(dir, { recursive: true, force: true });
    if (result.json.lostDeliveries > 0) process.exitCode = 1;
  } finally {
    clearTimeout(watchdog);
  }
}

function sub(dir, name) {
  const d = path.join(dir, name);
  fs.mkdirSync(d, { recursive: true });
  return d;
}

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    killAllStarted();
    process.exit(130);
  });
}

main().catch((err) => {
  console.error(err);
  killAllStarted();
  process.exit(1);
});
