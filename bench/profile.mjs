// `node bench/profile.mjs [flagpost|baseline] [changes]`: where a toggle's time goes.
// `node bench/profile.mjs evaluation|me [requests]`: where an OFREP single evaluation's (or an
// authenticated GET /me's) time goes, under 10 clients, on the project of figure 6.
//
// Starts the subject on the local runtime (Flagpost with the same settings `npm run bench` uses),
// warms it up, then takes a V8 CPU profile of the Worker's isolate through wrangler's inspector
// while 10 clients toggle flags (each with one webhook delivery), and prints self and inclusive
// time per function next to the runtime's total CPU per change. The profile itself is written to
// bench/results/<time>-<subject>.profile.json (open it in Chrome DevTools' Performance panel).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import autocannon from "autocannon";
import { prepareEvaluation } from "./evaluation.mjs";
import { summarizeToggles, toggles } from "./scenarios.mjs";
import { flagpostSubject, startBaseline } from "./subjects.mjs";
import { createApiKey, flagpostClient } from "./lib/flagpost-api.mjs";
import { freePort, killAllStarted, ROOT, startWorker } from "./lib/local-runtime.mjs";
import { startReceiver } from "./lib/receiver-process.mjs";

const [which = "flagpost", amountArg = "1500"] = process.argv.slice(2);
const AMOUNT = Math.max(20, Math.round(Number(amountArg) / 20) * 20); // whole on/off pairs for 10 clients

async function startFlagpostDirect(receiver, dir) {
  const worker = await startWorker({
    port: await freePort(),
    stateDir: path.join(dir, "state"),
    vars: { RETRY_SCHEDULE_SECONDS: "1,2,4,8,16", DELIVERY_TIMEOUT_MS: "5000" },
    logFile: path.join(dir, "wrangler.log"),
    readyPath: "/api/v1/openapi.json",
  });
  const key = await createApiKey(worker.base, "flagpost-local-admin", "profile");
  return { ...flagpostSubject(worker.base, worker.child, flagpostClient(worker.base, key), receiver, key), inspectorPort: worker.inspectorPort };
}

/** A Chrome DevTools Protocol session over the inspector's WebSocket. */
async function inspect(port) {
  const [target] = await (await fetch(`http://127.0.0.1:${port}/json`)).json();
  // The inspector proxy accepts only local (or DevTools) origins; Node's WebSocket sends none by itself.
  const ws = new WebSocket(target.webSocketDebuggerUrl, { headers: { origin: "http://127.0.0.1" } });
  await new Promise((resolve, reject) => ((ws.onopen = resolve), (ws.onerror = reject)));
  const pending = new Map();
  let id = 0;
  ws.onmessage = (ev) => {
    const msg = JSON.parse(ev.data);
    if (msg.id && pending.has(msg.id)) pending.get(msg.id)(msg);
  };
  const send = (method, params = {}) =>
    new Promise((resolve, reject) => {
      const n = ++id;
      pending.set(n, (msg) => (msg.error ? reject(new Error(`${method}: ${msg.error.message}`)) : resolve(msg.result)));
      ws.send(JSON.stringify({ id: n, method, params }));
    });
  return { send, close: () => ws.close() };
}

/** Self and inclusive milliseconds per function name (+ line, for the bundle's anonymous ones). */
function aggregate(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const label = (n) => `${n.callFrame.functionName || "(anonymous)"} ${path.basename(n.callFrame.url || "")}:${n.callFrame.lineNumber + 1}`;
  const self = new Map();
  const inclusive = new Map();
  profile.samples.forEach((sample, i) => {
    const ms = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    const node = byId.get(sample);
    self.set(label(node), (self.get(label(node)) ?? 0) + ms);
    const seen = new Set();
    for (let id = sample; id !== undefined; id = parent.get(id)) {
      const l = label(byId.get(id));
      if (!seen.has(l)) inclusive.set(l, (inclusive.get(l) ?? 0) + ms);
      seen.add(l);
    }
  });
  const total = (profile.endTime - profile.startTime) / 1000;
  return { total, self, inclusive };
}

function top(map, n) {
  return [...map].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => `${v.toFixed(0).padStart(7)} ms  ${k}`).join("\n");
}

/** 10 clients sending one request kind `amount` times; answers requests/s and p50. */
function hammer(base, request, amount) {
  return new Promise((resolve, reject) =>
    autocannon({ url: base, connections: 10, amount, requests: [request], timeout: 30 }, (err, r) => (err ? reject(err) : resolve({ perSecond: Math.round(r["2xx"] / r.duration), p50: r.latency.p50, non2xx: r.non2xx }))),
  );
}

async function profileEvaluation() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flagpost-profile-"));
  const receiver = await startReceiver();
  const subject = await startFlagpostDirect(receiver, dir);
  try {
    const fixture = await prepareEvaluation(subject);
    const request =
      which === "me"
        ? { method: "GET", path: "/api/v1/me", headers: { authorization: `Bearer ${subject.apiKey}` } }
        : { method: "POST", path: "/ofrep/v1/evaluate/flags/e1", headers: { authorization: `Bearer ${fixture.key}`, "content-type": "application/json" }, body: fixture.context };
    await hammer(subject.base, request, 1000);
    const session = await inspect(subject.inspectorPort);
    await session.send("Profiler.enable");
    await session.send("Profiler.setSamplingInterval", { interval: 200 });
    await session.send("Profiler.start");
    const result = await hammer(subject.base, request, Math.max(1000, Number(amountArg)));
    const { profile } = await session.send("Profiler.stop");
    session.close();
    const stamp = new Date().toISOString().replace(/[:.]/g, "-");
    fs.writeFileSync(path.join(ROOT, "bench/results", `${stamp}-${which}.profile.json`), JSON.stringify(profile));
    const { total, self, inclusive } = aggregate(profile);
    console.log(`${which}: ${result.perSecond}/s at 10 clients, p50 ${result.p50} ms, non-2xx ${result.non2xx}`);
    console.log(`profiled ${total.toFixed(0)} ms of the Worker isolate\n\nself time:\n${top(self, 25)}\n\ninclusive time:\n${top(inclusive, 40)}`);
  } finally {
    await subject.stop();
    receiver.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  if (which === "evaluation" || which === "me") return profileEvaluation();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flagpost-profile-"));
  const receiver = await startReceiver();
  const subject = which === "baseline" ? await startBaseline(receiver, dir) : await startFlagpostDirect(receiver, dir);
  try {
    await subject.prepare();
    await toggles(subject, { connections: 10, amount: 400, receiver });
    const session = await inspect(subject.inspectorPort);
    await session.send("Profiler.enable");
    await session.send("Profiler.setSamplingInterval", { interval: 200 });
    await session.send("Profiler.start");
    const result = summarizeToggles([await toggles(subject, { connections: 10, amount: AMOUNT, receiver })]);
    const { profile } = await session.send("Profiler.stop");
    session.close();
    const stamp = new Date().toISOString().replace(/[:.]/g, "-");
    fs.writeFileSync(path.join(ROOT, "bench/results", `${stamp}-${which}.profile.json`), JSON.stringify(profile));
    const { total, self, inclusive } = aggregate(profile);
    console.log(`${which}: ${result.ok} toggles, ${result.togglesPerSecond}/s, p50 ${result.p50} ms; CPU ms per toggle by process: ${JSON.stringify(result.cpuPerChange)}`);
    console.log(`profiled ${total.toFixed(0)} ms of the Worker isolate\n\nself time:\n${top(self, 25)}\n\ninclusive time:\n${top(inclusive, 40)}`);
  } finally {
    await subject.stop();
    receiver.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  killAllStarted();
  process.exit(1);
});
