// Where a change's time goes, three ways:
//
// `node bench/profile.mjs [flagpost|baseline] [changes] [clients]`: a V8 CPU profile of the Worker's isolate
//   while 10 clients (or `clients`) toggle flags (each with one webhook delivery), with self and inclusive time per
//   function next to the runtime's total CPU per change. The isolate is sampled only while it runs;
//   time the runtime spends elsewhere (the local D1, the queue broker, native I/O) shows as gaps,
//   which are counted apart rather than charged to whatever function was sampled before them.
//   The profile is written to bench/results/<time>-<subject>.profile.json (Chrome DevTools opens it).
// `node bench/profile.mjs evaluation|me [requests]`: the same for an OFREP single evaluation (or an
//   authenticated GET /me) under 10 clients, on the project of figure 6.
// `node bench/profile.mjs breakdown [requests]`: the runtime's CPU per request, at 1 and 10 clients,
//   for requests that each do one step more than the last: GET /me (the API's front door), a PATCH
//   that changes nothing (validation, the writer's RPC and plan), a toggle on a project with no
//   webhook (its commit) and a toggle with one webhook (its delivery).
// `node bench/profile.mjs units [calls]`: what one platform call costs the local runtime (a D1
//   query, a D1 batch, a Durable Object RPC, a queue send, an outgoing POST, a timer that fires, one
//   set and cleared, an AbortSignal.timeout), made in a loop inside the baseline Worker.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import autocannon from "autocannon";
import { prepareEvaluation } from "./evaluation.mjs";
import { summarizeToggles, toggles } from "./scenarios.mjs";
import { flagpostSubject, startBaseline } from "./subjects.mjs";
import { createApiKey, flagpostClient } from "./lib/flagpost-api.mjs";
import { cannon } from "./lib/cannon.mjs";
import { summarize } from "./lib/stats.mjs";
import { cpuMs, freePort, killAllStarted, ROOT, startWorker } from "./lib/local-runtime.mjs";
import { startReceiver } from "./lib/receiver-process.mjs";

const [which = "flagpost", amountArg = "1500", clientsArg = "10"] = process.argv.slice(2);
const CLIENTS = Math.max(1, Number(clientsArg));
const AMOUNT = Math.max(20, Math.round(Number(amountArg) / 20) * 20); // whole on/off pairs for 10 clients

async function startFlagpostDirect(receiver, dir) {
  const worker = await startWorker({
    port: await freePort(),
    stateDir: path.join(dir, "state"),
    // As `npm run bench` runs it: the per-key budget off (the baseline has none, and one key sends it all).
    vars: { RETRY_SCHEDULE_SECONDS: "1,2,4,8,16", DELIVERY_TIMEOUT_MS: "5000", RATE_LIMIT_PER_MINUTE: "0" },
    logFile: path.join(dir, "wrangler.log"),
    readyPath: "/api/v1/openapi.json",
  });
  const key = await createApiKey(worker.base, "flagpost-local-admin", "profile");
  return { ...flagpostSubject(worker.base, worker.child, flagpostClient(worker.base, key), receiver, key), inspectorPort: worker.inspectorPort };
}

/** Starts a subject (with its receiver and a state directory) for `run`, and stops it whatever happens. */
async function withSubject(start, run) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flagpost-profile-"));
  const receiver = await startReceiver();
  const subject = await start(receiver, dir);
  try {
    return await run(subject, receiver);
  } finally {
    await subject.stop();
    receiver.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A Chrome DevTools Protocol session over the inspector's WebSocket. */
async function inspect(port) {
  const [target] = await (await fetch(`http://127.0.0.1:${port}/json`)).json();
  // The inspector proxy accepts only local (or DevTools) origins; Node's WebSocket sends none by itself.
  const ws = new WebSocket(target.webSocketDebuggerUrl, { headers: { origin: "http://127.0.0.1" } });
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
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
  let gaps = 0;
  let inside = 0;
  profile.samples.forEach((sample, i) => {
    // A sample stands for one sampling interval; a longer wait before the next one is time the
    // thread spent outside this isolate, counted as a gap.
    const delta = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    const ms = Math.min(delta, SAMPLING_MS * 1.5);
    gaps += delta - ms;
    inside += ms;
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
  return { total, inside, gaps, self, inclusive };
}

const SAMPLING_MS = 0.2;

/** The `n` largest entries, in ms per `per` (a change, a request). */
function top(map, n, per) {
  return [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `${(v / per).toFixed(3).padStart(8)} ms  ${k}`)
    .join("\n");
}

function printProfile(profile, per, what) {
  const { total, inside, gaps, self, inclusive } = aggregate(profile);
  console.log(
    `profiled ${total.toFixed(0)} ms: in the Worker's isolate ${(inside / per).toFixed(3)} ms per ${what}, elsewhere in the runtime ${(gaps / per).toFixed(3)} ms per ${what}`,
  );
  console.log(`\nself time, ms per ${what}:\n${top(self, 25, per)}\n\ninclusive time, ms per ${what}:\n${top(inclusive, 40, per)}`);
}

/** 10 clients sending one request kind `amount` times; answers requests/s and p50. */
function hammer(base, request, amount) {
  return new Promise((resolve, reject) =>
    autocannon({ url: base, connections: 10, amount, requests: [request], timeout: 30 }, (err, r) =>
      err ? reject(err) : resolve({ perSecond: Math.round(r["2xx"] / r.duration), p50: r.latency.p50, non2xx: r.non2xx }),
    ),
  );
}

async function profileEvaluation() {
  await withSubject(startFlagpostDirect, async (subject) => {
    const fixture = await prepareEvaluation(subject);
    const request =
      which === "me"
        ? { method: "GET", path: "/api/v1/me", headers: { authorization: `Bearer ${subject.apiKey}` } }
        : {
            method: "POST",
            path: "/ofrep/v1/evaluate/flags/e1",
            headers: { authorization: `Bearer ${fixture.key}`, "content-type": "application/json" },
            body: fixture.context,
          };
    await hammer(subject.base, request, 1000);
    const session = await inspect(subject.inspectorPort);
    await session.send("Profiler.enable");
    await session.send("Profiler.setSamplingInterval", { interval: SAMPLING_MS * 1000 });
    await session.send("Profiler.start");
    const result = await hammer(subject.base, request, Math.max(1000, Number(amountArg)));
    const { profile } = await session.send("Profiler.stop");
    session.close();
    const stamp = new Date().toISOString().replace(/[:.]/g, "-");
    fs.writeFileSync(path.join(ROOT, "bench/results", `${stamp}-${which}.profile.json`), JSON.stringify(profile));
    console.log(`${which}: ${result.perSecond}/s at 10 clients, p50 ${result.p50} ms, non-2xx ${result.non2xx}`);
    printProfile(profile, Math.max(1000, Number(amountArg)), "request");
  });
}

/** The runtime's CPU per request for `amount` requests of one kind, each client sending its own `requests`. */
async function cpuPerRequest(subject, connections, amount, requestsOf) {
  let n = 0;
  const run = (count) => cannon({ url: subject.base, connections, amount: count, setupClient: (c) => c.setRequests(requestsOf(n++ % 10)) });
  await run(Math.min(200, amount));
  n = 0;
  const cpu0 = cpuMs(subject.pid);
  const { result, times } = await run(amount);
  const cpu = cpuMs(subject.pid).runtime - cpu0.runtime;
  if (result.non2xx || result.errors) throw new Error(`${result.non2xx} non-2xx answers, ${result.errors} errors`);
  return { perRequest: cpu / result["2xx"], p50: summarize(times).p50 };
}

async function breakdown() {
  const amount = Math.max(200, Math.round(Number(process.argv[3] ?? 2000) / 20) * 20);
  await withSubject(startFlagpostDirect, async (subject, receiver) => {
    await subject.prepare();
    const headers = { authorization: `Bearer ${subject.apiKey}`, "content-type": "application/json" };
    const project = (await subject.api.call("GET", "/projects")).body.data.find((p) => p.key === "bench-toggles").id;
    const patch = (i, query = "") => ({
      method: "PATCH",
      path: `/api/v1/projects/${project}/flags/t${i}/environments/production${query}`,
      headers,
      body: JSON.stringify({ enabled: false }),
    });
    const steps = [
      ["GET /me", () => [{ method: "GET", path: "/api/v1/me", headers }]],
      ["PATCH that changes nothing", (i) => [patch(i)]],
    ];
    await toggles(subject, { connections: 10, amount: 400, receiver });
    const rows = [];
    for (const connections of [1, 10]) {
      for (const [name, requestsOf] of steps) rows.push({ connections, step: name, ...(await cpuPerRequest(subject, connections, amount, requestsOf)) });
      const cpu0 = cpuMs(subject.pid);
      const round = await toggles(subject, { connections, amount, receiver });
      rows.push({
        connections,
        step: "toggle with one webhook",
        perRequest: (cpuMs(subject.pid).runtime - cpu0.runtime) / round.ok,
        p50: summarize(round.times).p50,
      });
    }
    for (const hook of (await subject.api.call("GET", `/projects/${project}/webhooks`)).body.data)
      await subject.api.call("DELETE", `/projects/${project}/webhooks/${hook.id}`, undefined, { expect: 204 });
    for (const connections of [1, 10]) {
      const cpu0 = cpuMs(subject.pid);
      const round = await toggles(subject, { connections, amount });
      rows.push({
        connections,
        step: "toggle with no webhook",
        perRequest: (cpuMs(subject.pid).runtime - cpu0.runtime) / round.ok,
        p50: summarize(round.times).p50,
      });
    }
    const order = ["GET /me", "PATCH that changes nothing", "toggle with no webhook", "toggle with one webhook"];
    console.log(`runtime CPU per request and latency p50 (ms), ${amount} requests each\n${"".padEnd(28)}  CPU, 1 client   CPU, 10 clients   p50, 1 client`);
    for (const step of order) {
      const at = (c) => rows.find((r) => r.step === step && r.connections === c);
      console.log(
        `${step.padEnd(28)}${at(1).perRequest.toFixed(2).padStart(14)}${at(10).perRequest.toFixed(2).padStart(18)}${at(1).p50.toFixed(1).padStart(16)}`,
      );
    }
  });
}

async function units() {
  const calls = Math.max(100, Number(process.argv[3] ?? 2000));
  await withSubject(startBaseline, async (subject) => {
    const call = async (what, n) => {
      const res = await fetch(`${subject.base}/unit/${what}?n=${n}`);
      if (!res.ok) throw new Error(`${what}: ${res.status} ${await res.text()}`);
    };
    console.log(`runtime CPU per platform call (ms), ${calls} calls in a row inside one request`);
    for (const what of ["d1", "d1-batch-of-5", "rpc", "queue-send", "fetch", "timer", "timer-cleared", "abort-signal-timeout"]) {
      await call(what, 100);
      const cpu0 = cpuMs(subject.pid).runtime;
      const t0 = performance.now();
      for (let done = 0; done < calls; done += 500) await call(what, Math.min(500, calls - done));
      console.log(
        `${what.padEnd(16)}${((cpuMs(subject.pid).runtime - cpu0) / calls).toFixed(3).padStart(8)}   (wall ${((performance.now() - t0) / calls).toFixed(3)} ms)`,
      );
    }
  });
}

async function main() {
  if (which === "breakdown") return breakdown();
  if (which === "units") return units();
  if (which === "evaluation" || which === "me") return profileEvaluation();
  await withSubject(which === "baseline" ? startBaseline : startFlagpostDirect, async (subject, receiver) => {
    await subject.prepare();
    await toggles(subject, { connections: 10, amount: 400, receiver });
    const session = await inspect(subject.inspectorPort);
    await session.send("Profiler.enable");
    await session.send("Profiler.setSamplingInterval", { interval: SAMPLING_MS * 1000 });
    await session.send("Profiler.start");
    const result = summarizeToggles([await toggles(subject, { connections: CLIENTS, amount: AMOUNT, receiver })]);
    const { profile } = await session.send("Profiler.stop");
    session.close();
    const stamp = new Date().toISOString().replace(/[:.]/g, "-");
    fs.writeFileSync(path.join(ROOT, "bench/results", `${stamp}-${which}.profile.json`), JSON.stringify(profile));
    console.log(
      `${which}: ${result.ok} toggles, ${result.togglesPerSecond}/s, p50 ${result.p50} ms; CPU ms per toggle by process: ${JSON.stringify(result.cpuPerChange)}`,
    );
    printProfile(profile, result.ok, "change");
  });
}

main().catch((err) => {
  console.error(err);
  killAllStarted();
  process.exit(1);
});
