// `npm run test:e2e`: the dashboard in a real browser. Starts Flagpost as `npm start` does (on a free
// port, with a temporary state directory), a webhook receiver on 127.0.0.1 and Chromium, runs the
// steps in steps.mjs, prints "N passed, M failed", and always stops what it started. Exits non-zero
// on any failure, or when the whole run takes longer than E2E_TIMEOUT_MS (default 5 minutes).
import fs from "node:fs";
import path from "node:path";
import { ROOT, runSteps, startBrowser, startFlagpost } from "./harness.mjs";
import { startReceiver } from "./receiver.mjs";
import { dashboardSteps } from "./steps.mjs";

const TIMEOUT_MS = Number(process.env.E2E_TIMEOUT_MS ?? 300_000);
const FAILURE_SHOT = path.join(ROOT, "test-results/e2e-failure.png");

const started = [];
let finished = false;

async function stopAll() {
  for (const stop of started.reverse()) await stop().catch((err) => console.error("  cleanup:", err?.message ?? err));
  started.length = 0;
}

async function main() {
  fs.mkdirSync(path.resolve(ROOT, process.env.E2E_SCREENSHOTS ?? "test-results/screenshots"), { recursive: true });
  console.log("Browser tests of the dashboard");
  const receiver = await startReceiver();
  started.push(() => receiver.close());
  const flagpost = await startFlagpost({ onSpawn: (stop) => started.push(stop) });
  console.log(`  Flagpost on ${flagpost.base}, receiver on ${receiver.base}`);
  const browser = await startBrowser();
  started.push(() => browser.close());

  const steps = dashboardSteps({ flagpost, receiver, context: browser.context });
  return runSteps(steps, {
    async onFailure() {
      fs.mkdirSync(path.dirname(FAILURE_SHOT), { recursive: true });
      const page = browser.context.pages().at(-1);
      if (page) {
        await page.screenshot({ path: FAILURE_SHOT, fullPage: true }).catch(() => {});
        console.log(`    page: ${page.url()}\n    screenshot: ${path.relative(ROOT, FAILURE_SHOT)}`);
      }
      if (process.env.E2E_SERVER_LOG) console.log(flagpost.log().slice(-4000));
    },
  });
}

const deadline = setTimeout(async () => {
  if (finished) return;
  console.log(`  ✗ the run took longer than ${TIMEOUT_MS / 1000} s`);
  await stopAll();
  console.log("0 passed, 1 failed");
  process.exit(1);
}, TIMEOUT_MS);

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, async () => {
    await stopAll();
    process.exit(130);
  });
}

let result = { passed: 0, failed: 1 };
try {
  result = await main();
} catch (err) {
  console.log(`  ✗ could not start: ${err?.stack ?? err}`);
} finally {
  finished = true;
  await stopAll();
  clearTimeout(deadline);
}
console.log(`${result.passed} passed, ${result.failed} failed`);
process.exit(result.failed === 0 ? 0 : 1);
