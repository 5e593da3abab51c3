// `npm run test:faults`: fault scenarios against a real local run of Flagpost (wrangler dev, local
// D1, Durable Objects and Queues) with a retry schedule in seconds, each ending with the same audit
// (audit.mjs). Prints a summary line per scenario and `N passed, M failed`; exits non-zero on any
// failure. Everything it starts it stops, and the whole run is bounded by a watchdog.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { stripVTControlCharacters } from "node:util";
import { createApiKey, flagpostClient } from "../../bench/lib/flagpost-api.mjs";
import { freePort, killAllStarted, startWorker } from "../../bench/lib/local-runtime.mjs";
import { groupCommitScenarios } from "./group-commit-scenarios.mjs";
import { lateLifecycleScenarios, lifecycleScenarios } from "./lifecycle-scenarios.mjs";
import { machineScenarios } from "./machine-scenarios.mjs";
import { platformScenarios } from "./platform-scenarios.mjs";
import { createReceiver } from "./receiver.mjs";
import { receiverScenarios } from "./receiver-scenarios.mjs";
import { scheduleScenarios } from "./schedule-scenarios.mjs";

const ADMIN_TOKEN = "flagpost-local-admin"; // wrangler.toml's local default
const VARS = { RETRY_SCHEDULE_SECONDS: "1,1,1,1,1", DELIVERY_TIMEOUT_MS: "1500", FAULT_INJECTION: "true" };
const WATCHDOG_MS = 13 * 60_000;

/** The local run: start, and restart on the same state directory (gracefully or by SIGKILL). */
async function localRun(dir) {
  const port = await freePort();
  const stateDir = path.join(dir, "state");
  const logFile = path.join(dir, "wrangler.log");
  const start = (vars) => startWorker({ port, stateDir, vars, logFile, readyPath: "/api/v1/openapi.json", main: "test/faults/worker.ts" });
  let worker = await start(VARS);
  return {
    base: worker.base,
    logFile,
    restart: async ({ kill = false, vars = VARS } = {}) => {
      await worker.stop(kill ? { signal: "SIGKILL" } : {});
      worker = await start(vars);
    },
    stop: () => worker.stop(),
  };
}

/** The fault routes must refuse an API key, and must not exist at all without FAULT_INJECTION. */
async function checkFaultRoutesGuarded(ctx, { enabled }) {
  const asKey = await ctx.api.call("GET", "/admin/_faults/queue-sends");
  const asAdmin = await ctx.admin.call("GET", "/admin/_faults/queue-sends");
  const expected = enabled ? [403, 200] : [403, 404];
  if (asKey.status !== expected[0] || asAdmin.status !== expected[1])
    throw new Error(
      `fault routes with FAULT_INJECTION ${enabled ? "on" : "off"}: API key got ${asKey.status}, admin got ${asAdmin.status}; expected ${expected.join(", ")}`,
    );
}

/** Queue messages the consumer has been handed so far, from wrangler's `QUEUE <name> acked/total` lines. */
function queueMessagesConsumed(logFile) {
  const log = stripVTControlCharacters(fs.readFileSync(logFile, "utf8"));
  let total = 0;
  for (const m of log.matchAll(/QUEUE flagpost-deliveries \d+\/(\d+)/g)) total += Number(m[1]);
  return total;
}

async function runScenario(ctx, [title, fn]) {
  const t0 = Date.now();
  try {
    const result = await fn(ctx);
    console.log(`${result.line} seconds=${Math.round((Date.now() - t0) / 100) / 10}`);
    for (const p of result.problems.slice(0, 20)) console.log(`    ${p}`);
    return result.ok;
  } catch (err) {
    console.log(`FAIL ${title}: ${err?.stack ?? err}`);
    return false;
  }
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flagpost-faults-"));
  const receiver = createReceiver();
  await receiver.start();
  const run = await localRun(dir);
  const key = await createApiKey(run.base, ADMIN_TOKEN, "faults");
  const ctx = {
    receiver,
    api: flagpostClient(run.base, key),
    admin: flagpostClient(run.base, ADMIN_TOKEN),
    /** Restarts the local run on the same state; `vars` are merged over the suite's. */
    restart: ({ kill = false, vars = {} } = {}) => run.restart({ kill, vars: { ...VARS, ...vars } }),
    checkFaultRoutes: (enabled) => checkFaultRoutesGuarded(ctx, { enabled }),
    queueMessages: () => queueMessagesConsumed(run.logFile),
    /** The runtime's log so far, without colours. */
    log: () => stripVTControlCharacters(fs.readFileSync(run.logFile, "utf8")),
  };
  let passed = 0;
  let failed = 0;
  try {
    console.log(`Flagpost on ${run.base} (state and log in ${dir}); receiver on ${receiver.url}`);
    await checkFaultRoutesGuarded(ctx, { enabled: true });
    // FAULTS_ONLY (a regular expression over the titles) runs a subset, for working on one scenario.
    const only = new RegExp(process.env.FAULTS_ONLY ?? "");
    // The platform scenarios end by switching the fault routes off (a restart): what needs none comes last.
    const all = [
      ...receiverScenarios,
      ...lifecycleScenarios,
      ...machineScenarios,
      ...groupCommitScenarios,
      ...scheduleScenarios,
      ...platformScenarios,
      ...lateLifecycleScenarios,
    ];
    for (const scenario of all.filter(([title]) => only.test(title))) {
      if (await runScenario(ctx, scenario)) passed++;
      else failed++;
    }
  } finally {
    await run.stop();
    await receiver.stop();
  }
  console.log(`${passed} passed, ${failed} failed`);
  if (failed === 0) fs.rmSync(dir, { recursive: true, force: true });
  else console.log(`the runtime's log is kept in ${run.logFile}`);
  return failed;
}

const watchdog = setTimeout(() => {
  console.log(`the fault suite passed ${WATCHDOG_MS / 60_000} minutes; stopping`);
  killAllStarted();
  process.exit(1);
}, WATCHDOG_MS);

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    killAllStarted();
    process.exit(130);
  });
}

main()
  .then((failed) => {
    clearTimeout(watchdog);
    process.exitCode = failed === 0 ? 0 : 1;
  })
  .catch((err) => {
    console.log(`fault suite could not run: ${err?.stack ?? err}`);
    console.log("0 passed, 1 failed");
    killAllStarted();
    process.exit(1);
  });
