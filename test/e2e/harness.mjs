// What the browser tests stand on: Flagpost started the way `npm start` starts it (scripts/start.sh,
// on a free port, with its state in a fresh temporary directory), Debian's Chromium driven by
// playwright-core with a fresh profile, and a step runner that counts passes and failures.
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";

export const ROOT = path.resolve(import.meta.dirname, "../..");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export function tempDir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Starts scripts/start.sh in its own process group. `onSpawn` gets the way to stop it at once, before
 * it is ready, so a run that times out while Flagpost starts still stops it.
 */
export async function startFlagpost({ onSpawn, timeoutMs = 180_000 } = {}) {
  const port = await freePort();
  const stateDir = tempDir("flagpost-e2e-state-");
  const child = spawn("bash", ["scripts/start.sh"], {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, PORT: String(port), FLAGPOST_STATE_DIR: stateDir, ADMIN_TOKEN: "flagpost-local-admin" },
  });
  const stop = async () => {
    await stopGroup(child);
    fs.rmSync(stateDir, { recursive: true, force: true });
  };
  onSpawn?.(stop);
  let output = "";
  const key = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Flagpost did not print an API key within ${timeoutMs / 1000} s:\n${output.slice(-2000)}`)), timeoutMs);
    const read = (chunk) => {
      output += chunk.toString();
      const match = /API key\s+(fp_[A-Za-z0-9_-]+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout.on("data", read);
    child.stderr.on("data", read);
    child.on("exit", (code) => reject(new Error(`Flagpost exited (${code}) before it was ready:\n${output.slice(-2000)}`)));
  });
  return { base: `http://127.0.0.1:${port}`, key, log: () => output, stop };
}

/** Ends the process group this runner started (bash, wrangler, workerd): TERM, then KILL after 5 s. */
async function stopGroup(child) {
  const signal = (name) => {
    try {
      process.kill(-child.pid, name);
      return true;
    } catch {
      return false; // the group is gone
    }
  };
  if (!signal("SIGTERM")) return;
  for (let waited = 0; waited < 5_000; waited += 100) {
    await new Promise((r) => setTimeout(r, 100));
    if (!signal(0)) return;
  }
  signal("SIGKILL");
}

/** A second, separate Chromium (its own cookies), for a second person signed in beside the first. */
export async function startOtherBrowser() {
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
  return {
    async newContext(options) {
      const context = await browser.newContext(options);
      context.setDefaultTimeout(15_000);
      return context;
    },
    close: () => browser.close().catch(() => {}),
  };
}

export async function startBrowser() {
  const profile = tempDir("flagpost-e2e-profile-");
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 860 },
    timeout: 60_000,
  });
  context.setDefaultTimeout(15_000);
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Runs steps in order; a step builds on the ones before it, so the first failure ends the run. */
export async function runSteps(steps, { onFailure } = {}) {
  let passed = 0;
  let failed = 0;
  for (const [i, { name, run }] of steps.entries()) {
    const started = Date.now();
    try {
      await run();
      passed++;
      console.log(`  ✓ ${name} (${Date.now() - started} ms)`);
    } catch (err) {
      failed++;
      console.log(
        `  ✗ ${name}\n    ${String(err?.stack ?? err)
          .split("\n")
          .join("\n    ")}`,
      );
      await onFailure?.(name);
      const skipped = steps.length - i - 1;
      if (skipped) console.log(`  (${skipped} later steps not run: they build on this one)`);
      break;
    }
  }
  return { passed, failed };
}
