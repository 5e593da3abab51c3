// The two things the benchmark measures, behind one shape: Flagpost, started the way `npm start`
// starts it, and the platform baseline (bench/baseline). A subject knows its base URL, the root pid
// of its process tree (for memory), how to build autocannon's toggle requests and how to send one
// change of each scenario: `change("latency" | "fanout")` flips that scenario's flag, so every call
// is a real change; `change("sustained", i)` enables flag i.
import fs from "node:fs";
import path from "node:path";
import { flagpostClient } from "./lib/flagpost-api.mjs";
import { freePort, ROOT, sleep, spawnGroup, startWorker, stopGroup, tail, waitForHttp } from "./lib/local-runtime.mjs";

const TOGGLE_CLIENTS = 10;
const json = { "content-type": "application/json" };

/** The next value of a flag that each call flips, starting from disabled. */
function flipper() {
  const state = new Map();
  return (key) => {
    state.set(key, !state.get(key));
    return state.get(key);
  };
}

/**
 * The baseline Worker on its own port and state directory, delivering to `receiver`; with
 * `claimAndLog`, its consumer also claims and logs each attempt in D1 (see bench/baseline).
 */
export async function startBaseline(receiver, dir, { claimAndLog = false } = {}) {
  const port = await freePort();
  const worker = await startWorker({
    cwd: path.join(ROOT, "bench/baseline"),
    port,
    stateDir: path.join(dir, "state"),
    vars: { RECEIVER_URL: receiver.url, CLAIM_AND_LOG: String(claimAndLog) },
    logFile: path.join(dir, "wrangler.log"),
  });
  const flip = flipper();
  const change = (body) =>
    fetch(`${worker.base}/flags/${body.flag}`, { method: "PATCH", headers: json, body: JSON.stringify(body) }).then(async (res) => {
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`baseline change answered ${res.status}`);
    });
  return {
    name: claimAndLog ? "baseline + claim & log" : "baseline",
    base: worker.base,
    pid: worker.child.pid,
    inspectorPort: worker.inspectorPort,
    prepare: async () => {},
    toggleRequests: (i) =>
      [true, false].map((enabled) => ({ method: "PATCH", path: `/flags/t${i}`, headers: json, body: JSON.stringify({ enabled, path: "/s1" }) })),
    prepareSaturation: async () => {},
    saturationChange: (i, enabled) => change({ flag: `sat${i}`, enabled, path: "/s6" }),
    change: (kind) =>
      kind === "latency" ? change({ flag: "lat", enabled: flip("lat"), path: "/s2" }) : change({ flag: "fan", enabled: flip("fan"), path: "/s3", fanout: 100 }),
    stop: () => worker.stop(),
  };
}

/** Flagpost through scripts/start.sh (`npm start`), with `retrySchedule`; its API key comes from start.sh. */
export async function startFlagpost(receiver, dir, { retrySchedule }) {
  const port = await freePort();
  const stateDir = path.join(dir, "state");
  const logFile = path.join(dir, "npm-start.log");
  const child = spawnGroup("bash", ["scripts/start.sh"], {
    // The whole bench runs on one API key, well past the local per-key budget (6,000 a minute): the
    // budget is off, as the baseline has none.
    env: { PORT: String(port), FLAGPOST_STATE_DIR: stateDir, RETRY_SCHEDULE_SECONDS: retrySchedule, DELIVERY_TIMEOUT_MS: "5000", RATE_LIMIT_PER_MINUTE: "0" },
    logFile,
  });
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${base}/api/v1/openapi.json`, { child, logFile, timeoutMs: 120_000 });
    const key = await localKey(path.join(stateDir, "flagpost-local-key.json"), child, logFile);
    return flagpostSubject(base, child, flagpostClient(base, key), receiver, key);
  } catch (err) {
    await stopGroup(child);
    throw err;
  }
}

/** start.sh writes the local API key beside the database once the server answers. */
async function localKey(file, child, logFile) {
  for (let i = 0; i < 300; i++) {
    if (fs.existsSync(file)) {
      try {
        return JSON.parse(fs.readFileSync(file, "utf8")).key;
      } catch {
        // Being written.
      }
    }
    if (child.exitCode !== null) break;
    await sleep(100);
  }
  throw new Error(`npm start printed no local API key:\n${tail(logFile)}`);
}

/** The projects, flags and webhooks of the scenarios, made through Flagpost's API. */
function flagpostFixtures(api, receiver) {
  const projects = {};
  const webhooks = [];
  const project = async (key, flags, group, hooks) => {
    const { id } = await api.createProject(key);
    for (const flag of flags) await api.createFlag(id, flag);
    for (let i = 0; i < hooks; i++)
      webhooks.push({ projectId: id, id: (await api.createWebhook(id, `${receiver.url}/${group}${hooks > 1 ? `/${i}` : ""}`)).id });
    return id;
  };
  return {
    projects,
    prepare: async () => {
      projects.toggles = await project(
        "bench-toggles",
        Array.from({ length: TOGGLE_CLIENTS }, (_, i) => `t${i}`),
        "s1",
        1,
      );
      projects.latency = await project("bench-latency", ["lat"], "s2", 1);
      projects.fanout = await project("bench-fanout", ["fan"], "s3", 100);
    },
    prepareSustained: async ({ flags, targets }) => {
      projects.sustained = await project(
        "bench-sustained",
        Array.from({ length: flags }, (_, i) => `s${i}`),
        "s4",
        targets,
      );
    },
    /** `orgWebhooks` organization webhooks (flag.toggled) and `count` projects of one flag each. */
    prepareWide: async ({ count, orgWebhooks }) => {
      projects.wide = [];
      for (let i = 0; i < count; i++) projects.wide.push(await project(`bench-wide-${i}`, ["wide"], "s5", 0));
      for (let i = 0; i < orgWebhooks; i++) {
        const body = { name: `wide ${i}`, url: `${receiver.url}/s5/${i}`, events: ["flag.toggled"], secret: "bench-secret" };
        webhooks.push({ projectId: null, id: (await api.call("POST", "/webhooks", body, { expect: 201 })).body.id });
      }
    },
    /** Figure 7: one project, a flag per client, one webhook. */
    prepareSaturation: async ({ flags }) => {
      projects.saturation = await project(
        "bench-saturation",
        Array.from({ length: flags }, (_, i) => `sat${i}`),
        "s6",
        1,
      );
    },
    /** Deliveries not succeeded, over every webhook of the run (none is expected). */
    unfinished: async () => {
      const scope = (w) => (w.projectId ? `/projects/${w.projectId}/webhooks/${w.id}` : `/webhooks/${w.id}`);
      const count = async (w, status) => (await api.all(`${scope(w)}/deliveries?status=${status}`)).length;
      let pending = 0;
      let failed = 0;
      for (const w of webhooks) {
        pending += await count(w, "pending");
        failed += await count(w, "failed");
      }
      return { pending, failed };
    },
  };
}

/** Flagpost's subject over a running server; `child` is the root of its process tree. */
export function flagpostSubject(base, child, api, receiver, key) {
  const { projects, ...fixtures } = flagpostFixtures(api, receiver);
  const flip = flipper();
  const headers = { authorization: `Bearer ${key}`, ...json };
  return {
    name: "flagpost",
    base,
    pid: child.pid,
    api,
    apiKey: key,
    ...fixtures,
    toggleRequests: (i) =>
      [true, false].map((enabled) => ({
        method: "PATCH",
        path: `/api/v1/projects/${projects.toggles}/flags/t${i}/environments/production`,
        headers,
        body: JSON.stringify({ enabled }),
      })),
    saturationChange: (i, enabled) => api.toggle(projects.saturation, `sat${i}`, enabled),
    change: (kind, i) => {
      if (kind === "latency") return api.toggle(projects.latency, "lat", flip("lat"));
      if (kind === "fanout") return api.toggle(projects.fanout, "fan", flip("fan"));
      return api.toggle(projects.sustained, `s${i}`, true);
    },
    sustainedFlag: (i) => `s${i}`,
    /** One change in every project of the wide fan-out, at once. */
    wideChange: () => {
      const enabled = flip("wide");
      return Promise.all(projects.wide.map((id) => api.toggle(id, "wide", enabled)));
    },
    stop: () => stopGroup(child),
  };
}
