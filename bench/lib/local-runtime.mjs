// Starting and stopping Workers on wrangler's local runtime, and watching their memory. Shared by
// the benchmark (bench/run.mjs) and the fault suite (test/faults/run.mjs).
//
// Every process is spawned in its own process group and stopped through that group's id, so a run
// never touches another engineer's servers and never leaves a workerd behind, even when it crashes.
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";

export const ROOT = path.resolve(import.meta.dirname, "../..");
export const WRANGLER = path.join(ROOT, "node_modules/.bin/wrangler");

/** What wrangler needs to run quietly and offline. */
export const WRANGLER_ENV = {
  CI: "true",
  WRANGLER_SEND_METRICS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  WRANGLER_HIDE_BANNER: "true",
  WRANGLER_WRITE_LOGS: "false",
};

const started = new Set();

/** A free TCP port on 127.0.0.1, chosen by the kernel. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Spawns `command` in a new process group with output to `logFile`. */
export function spawnGroup(command, args, { cwd = ROOT, env = {}, logFile }) {
  const out = fs.openSync(logFile, "a");
  const child = spawn(command, args, { cwd, env: { ...process.env, ...WRANGLER_ENV, ...env }, detached: true, stdio: ["ignore", out, out] });
  fs.closeSync(out);
  started.add(child);
  child.once("exit", () => started.delete(child));
  return child;
}

/** Signals the whole group of `child`; resolves when its leader has exited (SIGKILL after `graceMs`). */
export async function stopGroup(child, { signal = "SIGTERM", graceMs = 5000 } = {}) {
  if (child.exitCode !== null || child.signalCode !== null) return killGroup(child.pid, "SIGKILL");
  const exited = new Promise((resolve) => child.once("exit", resolve));
  killGroup(child.pid, signal);
  const timer = setTimeout(() => killGroup(child.pid, "SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
  // workerd may outlive wrangler by a moment; make sure nothing of the group remains.
  killGroup(child.pid, "SIGKILL");
}

function killGroup(pgid, signal) {
  try {
    process.kill(-pgid, signal);
  } catch {
    // The group is already gone.
  }
}

/** Kills every group this process started; for exit paths that cannot await. */
export function killAllStarted() {
  for (const child of started) killGroup(child.pid, "SIGKILL");
}

/** Runs a command to completion; rejects with its log tail when it fails. */
export async function runToEnd(command, args, options) {
  const child = spawnGroup(command, args, options);
  const code = await new Promise((resolve) => child.once("exit", (c) => resolve(c)));
  if (code !== 0) throw new Error(`${path.basename(command)} ${args.join(" ")} exited ${code}:\n${tail(options.logFile)}`);
}

export function tail(file, lines = 30) {
  try {
    return fs.readFileSync(file, "utf8").split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

/** Polls `url` until it answers 2xx; fails with the log tail after `timeoutMs` or if `child` exits. */
export async function waitForHttp(url, { child, logFile, timeoutMs = 60_000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`the server exited (${child.exitCode}) before answering ${url}:\n${tail(logFile)}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // Not listening yet.
    }
    await sleep(100);
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms:\n${tail(logFile)}`);
}

/** The D1 migrations, then `wrangler dev --local` on 127.0.0.1:`port` with state in `stateDir`. */
/** `main`: another entry than wrangler.toml's (the fault runner's, which adds its fault routes). */
export async function startWorker({ cwd = ROOT, port, stateDir, vars = {}, logFile, readyPath = "/", main }) {
  fs.mkdirSync(stateDir, { recursive: true });
  await runToEnd(WRANGLER, ["d1", "migrations", "apply", "DB", "--local", "--persist-to", stateDir], { cwd, logFile });
  const varArgs = Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`]);
  const inspector = await freePort();
  const args = [
    "dev",
    ...(main ? [main] : []),
    "--local",
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--inspector-port",
    String(inspector),
    "--persist-to",
    stateDir,
    "--show-interactive-dev-session=false",
    ...varArgs,
  ];
  const child = spawnGroup(WRANGLER, args, { cwd, logFile });
  await waitForHttp(`http://127.0.0.1:${port}${readyPath}`, { child, logFile });
  return { child, base: `http://127.0.0.1:${port}`, inspectorPort: inspector, stop: (opts) => stopGroup(child, opts) };
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The processes below `rootPid` (inclusive), by reading /proc. */
export function processTree(rootPid) {
  const children = new Map();
  const names = new Map();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      const ppid = Number(stat.slice(close + 2).split(" ")[1]);
      names.set(Number(entry), stat.slice(stat.indexOf("(") + 1, close));
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  const out = [];
  const stack = [rootPid];
  while (stack.length) {
    const pid = stack.pop();
    out.push({ pid, name: names.get(pid) ?? "" });
    stack.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** Resident size in bytes of the workerd processes under `rootPid` (the runtime, not wrangler's node). */
export function runtimeRss(rootPid) {
  let total = 0;
  for (const { pid, name } of processTree(rootPid)) {
    if (name !== "workerd") continue;
    try {
      const match = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
      if (match) total += Number(match[1]) * 1024;
    } catch {
      // Exited.
    }
  }
  return total;
}

/**
 * CPU milliseconds (user + system) used so far by the processes under `rootPid`, by role: the
 * workerd that runs the Worker ("runtime", the one with an inspector), wrangler's entry proxy
 * ("proxy", the other workerd) and wrangler's node ("wrangler").
 */
export function cpuMs(rootPid) {
  const out = { runtime: 0, proxy: 0, wrangler: 0 };
  for (const { pid, name } of processTree(rootPid)) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const ms = ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in 1/100 s
      if (name === "workerd") out[fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("--inspector-addr") ? "runtime" : "proxy"] += ms;
      else if (name.startsWith("node")) out.wrangler += ms;
    } catch {
      // Exited.
    }
  }
  return out;
}

/** Samples `runtimeRss` every `intervalMs`; `peak` and `last` are in bytes. */
export function rssSampler(rootPid, intervalMs = 200) {
  const state = { peak: 0, last: 0, samples: 0 };
  const sample = () => {
    const rss = runtimeRss(rootPid);
    if (rss > 0) {
      state.last = rss;
      state.peak = Math.max(state.peak, rss);
      state.samples++;
    }
    return rss;
  };
  const timer = setInterval(sample, intervalMs);
  timer.unref();
  sample();
  const stop = () => {
    clearInterval(timer);
    sample();
    return state;
  };
  return { state, sample, stop };
}
