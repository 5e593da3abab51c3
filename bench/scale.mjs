// `npm run bench:scale`: the scale figures of docs/performance.md, measured on the local runtime.
//
//   A. One project of SCALE_FLAGS flags (default 10,000), made through the API with 20 requests in
//      flight (a sustained load on one project's writer): creation changes/s; then, for a server SDK
//      key, the first /tggl/config after a change (the configuration read and compiled again), the
//      same and an OFREP bulk evaluation answered from the isolate's cache, the configuration's size,
//      and the isolate's used JavaScript heap (V8's figure, through the inspector; locally the Worker
//      and its Durable Objects share the isolate) at the start, after the writes (the writer's copy
//      of the flags) and after serving (the compiled configuration).
//   B. One organization of SCALE_PROJECTS projects (default 1,000) with one organization webhook:
//      a change in every project at once (20 in flight), each delivered to the organization webhook:
//      how long until every change is answered and every delivery has arrived, and a change's
//      latency in that organization against one in an organization of one project.
//
// Prints one JSON document. All traffic stays on 127.0.0.1.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { flagpostSubject } from "./subjects.mjs";
import { createApiKey, flagpostClient } from "./lib/flagpost-api.mjs";
import { freePort, killAllStarted, startWorker } from "./lib/local-runtime.mjs";
import { startReceiver } from "./lib/receiver-process.mjs";
import { summarize } from "./lib/stats.mjs";

const FLAGS = Number(process.env.SCALE_FLAGS ?? 10_000);
const PROJECTS = Number(process.env.SCALE_PROJECTS ?? 1000);
const IN_FLIGHT = 20;
const now = () => performance.now();

/** Runs `task(i)` for i < n with at most `width` in flight; answers the elapsed seconds. */
async function pool(n, width, task) {
  let next = 0;
  const started = now();
  await Promise.all(
    Array.from({ length: Math.min(width, n) }, async () => {
      while (next < n) await task(next++);
    }),
  );
  return (now() - started) / 1000;
}

/**
 * The isolate's used JavaScript heap after a full collection (V8's HeapProfiler.collectGarbage, then
 * Runtime.getHeapUsage, over the inspector), or null if it does not answer in 5 s. Without the
 * collection the figure counts garbage not yet collected, whatever is still in use. The runtime
 * carries out the collection only when the isolate next runs, so requests to `base` give it turns.
 */
async function heapUsed(inspectorPort, base) {
  const [target] = await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json();
  const ws = new WebSocket(target.webSocketDebuggerUrl, { headers: { origin: "http://127.0.0.1" } });
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  try {
    const answer = new Promise((resolve) => {
      const timer = setTimeout(() => resolve(null), 5000);
      ws.onmessage = (ev) => {
        const msg = JSON.parse(ev.data);
        if (msg.id === 2) ws.send(JSON.stringify({ id: 1, method: "Runtime.getHeapUsage" }));
        if (msg.id !== 1) return;
        clearTimeout(timer);
        resolve(msg.result ?? null);
      };
    });
    ws.send(JSON.stringify({ id: 2, method: "HeapProfiler.collectGarbage" }));
    let answered = false;
    void answer.then(() => (answered = true));
    while (!answered) {
      await (await fetch(`${base}/api/v1/openapi.json`)).arrayBuffer();
      await new Promise((r) => setTimeout(r, 200));
    }
    return (await answer)?.usedSize ?? null;
  } finally {
    ws.close();
  }
}

async function timed(fn) {
  const t0 = now();
  const res = await fn();
  const text = await res.text();
  if (!res.ok) throw new Error(`answered ${res.status}: ${text.slice(0, 200)}`);
  return { ms: Math.round((now() - t0) * 10) / 10, bytes: text.length };
}

async function bigProject(subject, inspectorPort) {
  const api = subject.api;
  const { id } = await api.createProject("scale-flags");
  const heapAtStart = await heapUsed(inspectorPort, subject.base);
  const createSeconds = await pool(FLAGS, IN_FLIGHT, (i) => api.createFlag(id, `f${i}`));
  await pool(Math.floor(FLAGS / 3), IN_FLIGHT, (i) => api.toggle(id, `f${3 * i}`, true));
  const key = (await api.call("POST", `/projects/${id}/environments/production/sdk-keys`, { name: "scale", kind: "server" }, { expect: 201 })).body.key;
  const tggl = () => fetch(`${subject.base}/tggl/config`, { headers: { "x-tggl-api-key": key } });
  const bulk = () =>
    fetch(`${subject.base}/ofrep/v1/evaluate/flags`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ context: { targetingKey: "u-1" } }),
    });
  const heapBefore = await heapUsed(inspectorPort, subject.base);
  const cold = [];
  const warm = { tggl: [], bulk: [] };
  let size = 0;
  for (let round = 0; round < 5; round++) {
    await api.toggle(id, "f1", round % 2 === 0); // a new revision: the next read compiles again …
    await new Promise((r) => setTimeout(r, 1100)); // … once the isolate re-reads the revision (at most once a second)
    const first = await timed(tggl);
    cold.push(first.ms);
    size = first.bytes;
    for (let i = 0; i < 10; i++) warm.tggl.push((await timed(tggl)).ms);
    for (let i = 0; i < 10; i++) warm.bulk.push((await timed(bulk)).ms);
  }
  const heapAfter = await heapUsed(inspectorPort, subject.base);
  return {
    flags: FLAGS,
    createPerSecond: Math.round(FLAGS / createSeconds),
    firstConfigAfterChangeMs: summarize(cold),
    cachedConfigMs: summarize(warm.tggl),
    cachedBulkEvaluationMs: summarize(warm.bulk),
    configBytes: size,
    heapBytesAtStart: heapAtStart,
    heapBytesAfterWrites: heapBefore,
    heapBytesAfterServing: heapAfter,
  };
}

async function bigOrganization(base, receiver) {
  const key = await createApiKey(base, "flagpost-local-admin", "scale-org");
  const api = flagpostClient(base, key);
  const ids = new Array(PROJECTS);
  const createSeconds = await pool(PROJECTS, IN_FLIGHT, async (i) => {
    ids[i] = (await api.createProject(`p${i}`)).id;
    await api.createFlag(ids[i], "f");
  });
  await api.call("POST", "/webhooks", { name: "org", url: `${receiver.url}/s7/org`, events: ["flag.toggled"], secret: "scale-secret" }, { expect: 201 });
  const before = (await receiver.stats("s7")).count;
  const t0 = now();
  const answered = await pool(PROJECTS, IN_FLIGHT, (i) => api.toggle(ids[i], "f", true));
  const got = await receiver.waitFor("s7", before + PROJECTS, { from: before, timeoutMs: 120_000 });
  const allArrivedSeconds = (Math.max(...got.records.map((r) => r.at)) - (performance.timeOrigin + t0)) / 1000;
  // One change at a time: in the large organization, then in an organization of one project.
  const small = flagpostClient(base, await createApiKey(base, "flagpost-local-admin", "scale-small"));
  const one = (await small.createProject("solo")).id;
  await small.createFlag(one, "f");
  await small.call("POST", "/webhooks", { name: "org", url: `${receiver.url}/s7/small`, events: ["flag.toggled"], secret: "scale-secret" }, { expect: 201 });
  const latency = async (client, projectId) => {
    const times = [];
    for (let i = 0; i < 40; i++) {
      const t = now();
      await client.toggle(projectId, "f", i % 2 === 1);
      times.push(now() - t);
    }
    return summarize(times);
  };
  return {
    projects: PROJECTS,
    setupSeconds: Math.round(createSeconds),
    changeInEveryProject: {
      answeredSeconds: Math.round(answered * 10) / 10,
      deliveries: got.count - before,
      allArrivedSeconds: Math.round(allArrivedSeconds * 10) / 10,
    },
    changeLatencyLargeOrgMs: await latency(api, ids[PROJECTS - 1]),
    changeLatencyOneProjectOrgMs: await latency(small, one),
  };
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flagpost-scale-"));
  const receiver = await startReceiver();
  const worker = await startWorker({
    port: await freePort(),
    stateDir: path.join(dir, "state"),
    // The API keys' budget per minute is lifted: these are one client's tens of thousands of requests.
    vars: { RETRY_SCHEDULE_SECONDS: "1,2,4,8,16", DELIVERY_TIMEOUT_MS: "5000", RATE_LIMIT_PER_MINUTE: "0", SDK_RATE_LIMIT_PER_MINUTE: "1000000" },
    logFile: path.join(dir, "wrangler.log"),
    readyPath: "/api/v1/openapi.json",
  });
  try {
    const key = await createApiKey(worker.base, "flagpost-local-admin", "scale");
    const subject = flagpostSubject(worker.base, worker.child, flagpostClient(worker.base, key), receiver, key);
    const result = { machine: { cpus: os.cpus().length, load: os.loadavg().map((x) => Math.round(x * 10) / 10) } };
    if (FLAGS > 0) result.project = await bigProject(subject, worker.inspectorPort);
    if (PROJECTS > 0) result.organization = await bigOrganization(worker.base, receiver);
    result.machine.loadAfter = os.loadavg().map((x) => Math.round(x * 10) / 10);
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await worker.stop();
    receiver.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  killAllStarted();
  process.exit(1);
});
