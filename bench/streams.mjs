// Figure 8: OFREP event streams. How long after a change is answered its event reaches a connected
// client, how long until the OFREP web provider (changeDetection 'sse', no polling) reads the new
// value, and how many open streams one environment holds (one StreamsDO locally) with the runtime's
// resident memory per 1,000 and how long one change takes to reach all of them.
import { openWebClient } from "../test/sdk-node/web-provider.mjs";
import fs from "node:fs";
import { processTree, runtimeRss, sleep } from "./lib/local-runtime.mjs";
import { summarize } from "./lib/stats.mjs";

/** A project with one flag on in production, and a client key whose stream URL a bulk answer gives. */
export async function prepareStreams(subject) {
  const api = subject.api;
  const { id } = await api.createProject(`bench-streams-${Date.now()}`);
  await api.createFlag(id, "s");
  await api.toggle(id, "s", true);
  const key = (await api.call("POST", `/projects/${id}/environments/production/sdk-keys`, { name: "streams", kind: "client" }, { expect: 201 })).body.key;
  const bulk = await fetch(`${subject.base}/ofrep/v1/evaluate/flags`, { method: "POST", headers: { authorization: `Bearer ${key}` }, body: "{}" });
  const body = await bulk.json();
  if (!body.eventStreams?.length) throw new Error(`the bulk answer advertises no event stream: ${bulk.status}`);
  return { projectId: id, key, streamUrl: `${subject.base}${body.eventStreams[0].endpoint.requestUri}` };
}

/** An SSE connection: `opened` resolves at the server's first comment; `onEvent(id, at)` for each event. */
function openStream(url, onEvent) {
  const abort = new AbortController();
  const opened = (async () => {
    const res = await fetch(url, { signal: abort.signal });
    if (res.status !== 200) throw new Error(`stream answered ${res.status}`);
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    let first = true;
    return new Promise((resolve, reject) => {
      const pump = async () => {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          buffer += decoder.decode(value, { stream: true });
          for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
            const frame = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            if (first) {
              first = false;
              resolve();
            }
            const id = /^id: (\d+)$/m.exec(frame);
            if (id) onEvent(Number(id[1]), performance.now());
          }
        }
      };
      pump().catch((err) => (first ? reject(err) : undefined));
    });
  })();
  return { opened, close: () => abort.abort() };
}

const revisionOf = async (api, projectId) => (await api.call("GET", `/projects/${projectId}`, undefined, { expect: 200 })).body.revision;

/** Change answered → event at one connected client, `changes` times. */
async function eventLatency(subject, fx, changes) {
  const waiting = new Map();
  const stream = openStream(fx.streamUrl, (id, at) => waiting.get(id)?.(at));
  await stream.opened;
  const times = [];
  const fromSent = [];
  await subject.api.toggle(fx.projectId, "s", true); // so that the first toggle below (to false) is a change
  let revision = await revisionOf(subject.api, fx.projectId);
  try {
    for (let i = 0; i < changes; i++) {
      revision++;
      const arrived = new Promise((resolve) => waiting.set(revision, resolve));
      const sent = performance.now();
      await subject.api.toggle(fx.projectId, "s", i % 2 === 1);
      const answered = performance.now();
      const at = await Promise.race([arrived, sleep(5000).then(() => null)]);
      if (at === null) throw new Error(`no event for revision ${revision} within 5 s`);
      times.push(Math.max(0, at - answered)); // the event often beats the answer home: 0
      fromSent.push(at - sent);
      waiting.delete(revision);
    }
  } finally {
    stream.close();
  }
  return { afterAnswer: summarize(times), afterRequest: summarize(fromSent) };
}

/** Change answered → the web provider's next evaluation reads the new value. */
async function providerLatency(subject, fx, changes) {
  const web = await openWebClient(subject.base, fx.key);
  const times = [];
  try {
    if (!web.streaming) throw new Error("the web provider opened no event stream");
    for (let i = 0; i < changes; i++) {
      const on = web.client.getBooleanValue("s", false);
      const change = web.nextChange(5000);
      await subject.api.toggle(fx.projectId, "s", !on);
      const answered = performance.now();
      const seen = await change;
      if (!seen || web.client.getBooleanValue("s", on) === on) throw new Error("the provider did not read the new value");
      times.push(seen.at - answered);
    }
  } finally {
    await web.close();
  }
  return summarize(times);
}

/** Resident MB and open files of each workerd process: the one that runs the Worker (it has the inspector) and wrangler's entry proxy. */
function workerdSplit(rootPid) {
  const out = { runtime: 0, proxy: 0, runtimeFds: 0, proxyFds: 0 };
  for (const { pid, name } of processTree(rootPid)) {
    if (name !== "workerd") continue;
    try {
      const rss = Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 1024;
      const role = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("--inspector-addr") ? "runtime" : "proxy";
      out[role] += Math.round(rss);
      out[`${role}Fds`] += fs.readdirSync(`/proc/${pid}/fd`).length;
    } catch {
      // exited
    }
  }
  return out;
}

/** Opens `count` streams on one environment; resident memory before and after, one change's fan-out to all. */
async function capacity(subject, fx, count) {
  await sleep(500);
  const before = runtimeRss(subject.pid);
  const splitBefore = workerdSplit(subject.pid);
  const arrivals = [];
  let wanted = Number.POSITIVE_INFINITY;
  const streams = [];
  const started = performance.now();
  for (let i = 0; i < count; i += 250) {
    const batch = Array.from({ length: Math.min(250, count - i) }, () => openStream(fx.streamUrl, (id, at) => id === wanted && arrivals.push(at)));
    await Promise.all(batch.map((s) => s.opened));
    streams.push(...batch);
  }
  const openSeconds = (performance.now() - started) / 1000;
  await sleep(1000);
  const after = runtimeRss(subject.pid);
  const splitAfter = workerdSplit(subject.pid);
  const counted = (await subject.api.call("GET", `/projects/${fx.projectId}/propagation`, undefined, { expect: 200 })).body.sdk_keys[0].streams;
  await subject.api.toggle(fx.projectId, "s", false); // whatever it was, so that the next toggle is a change
  wanted = (await revisionOf(subject.api, fx.projectId)) + 1;
  await subject.api.toggle(fx.projectId, "s", true);
  const answered = performance.now();
  for (let waited = 0; arrivals.length < count && waited < 30_000; waited += 50) await sleep(50);
  for (const s of streams) s.close();
  return {
    streams: count,
    counted,
    openSeconds: Math.round(openSeconds * 10) / 10,
    rssBeforeMB: Math.round(before / 1024 / 1024),
    rssAfterMB: Math.round(after / 1024 / 1024),
    rssByProcessMB: { before: splitBefore, after: splitAfter },
    rssPer1000MB: Math.round((((after - before) / count) * 1000 * 10) / 1024 / 1024) / 10,
    reached: arrivals.length,
    fanout: summarize(arrivals.map((at) => Math.max(0, at - answered))),
  };
}

export async function streamFigures(subject, { changes, webChanges, streams }) {
  const fx = await prepareStreams(subject);
  return {
    event: await eventLatency(subject, fx, changes),
    provider: await providerLatency(subject, fx, webChanges),
    capacity: await capacity(subject, fx, streams),
  };
}
