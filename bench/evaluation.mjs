// Figure 6: the evaluation path against an authenticated GET /me on the same server, in the same run.
// GET /me is authentication and nothing else (its principal is cached in the isolate), so the
// ratios say what evaluation costs beyond authenticating. Rounds alternate the requests so that
// whatever else the machine does weighs on all alike.
import { cannon } from "./lib/cannon.mjs";
import { summarize } from "./lib/stats.mjs";

const BULK_FLAGS = 100;

/** A project of 100 flags (some targeted, some rolled out, some disabled) and a server SDK key for production. */
export async function prepareEvaluation(subject) {
  const api = subject.api;
  const { id } = await api.createProject("bench-eval");
  for (let i = 0; i < BULK_FLAGS; i++) {
    const flag = await api.createFlag(id, `e${i}`);
    const [live] = flag.variations;
    const state =
      i % 3 === 0
        ? { enabled: true, rollout_percentage: 30 }
        : i % 3 === 1
          ? { enabled: true, conditions: [{ variation_id: live.id, rules: [{ property: "plan", operator: "STR_EQUALS", values: ["pro"] }] }] }
          : { enabled: false };
    await api.call("PATCH", `/projects/${id}/flags/e${i}/environments/production`, state, { expect: 200 });
  }
  const key = (await api.call("POST", `/projects/${id}/environments/production/sdk-keys`, { name: "bench", kind: "server" }, { expect: 201 })).body.key;
  const context = JSON.stringify({ context: { targetingKey: "user-42", plan: "pro", country: "fr" } });
  const bulk = await fetch(`${subject.base}/ofrep/v1/evaluate/flags`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: context,
  });
  const body = await bulk.json();
  if (bulk.status !== 200 || body.flags.length !== BULK_FLAGS) throw new Error(`bulk evaluation answered ${bulk.status} with ${body.flags?.length} flags`);
  return { key, context, etag: bulk.headers.get("etag") };
}

/** The requests compared: path, method, headers and body of each. */
function requests(subject, fixture) {
  const sdk = { authorization: `Bearer ${fixture.key}`, "content-type": "application/json" };
  return {
    me: { method: "GET", path: "/api/v1/me", headers: { authorization: `Bearer ${subject.apiKey}` } },
    single: { method: "POST", path: "/ofrep/v1/evaluate/flags/e1", headers: sdk, body: fixture.context },
    bulk: { method: "POST", path: "/ofrep/v1/evaluate/flags", headers: sdk, body: fixture.context },
    notModified: { method: "POST", path: "/ofrep/v1/evaluate/flags", headers: { ...sdk, "if-none-match": fixture.etag }, body: fixture.context },
  };
}

/** Sequential latencies of each request kind and throughput at `clients`, over `rounds` alternating rounds. */
export async function evaluation(subject, fixture, { rounds, sequential, concurrent, clients }) {
  const reqs = requests(subject, fixture);
  const times = Object.fromEntries(Object.keys(reqs).map((k) => [k, []]));
  const rate = { me: [], single: [] };
  const bad = { me: 0, single: 0, bulk: 0, notModified: 0 };
  for (let r = 0; r < rounds; r++) {
    for (const [name, req] of Object.entries(reqs)) {
      const { result, times: t } = await cannon({ url: subject.base, connections: 1, amount: sequential, requests: [req] });
      times[name].push(...t);
      bad[name] += result.errors + result.timeouts + (name === "notModified" ? result.non2xx - (result["3xx"] ?? 0) + (result["2xx"] ?? 0) : result.non2xx);
    }
    for (const name of ["me", "single"]) {
      const { result, seconds } = await cannon({ url: subject.base, connections: clients, amount: concurrent, requests: [reqs[name]] });
      rate[name].push(result["2xx"] / seconds);
      bad[name] += result.errors + result.timeouts + result.non2xx;
    }
  }
  const perSecond = (xs) => Math.round(xs.reduce((a, b) => a + b, 0) / xs.length);
  return {
    me: summarize(times.me),
    single: summarize(times.single),
    bulk100: summarize(times.bulk),
    notModified: summarize(times.notModified),
    mePerSecond: perSecond(rate.me),
    evaluationsPerSecond: perSecond(rate.single),
    unexpectedAnswers: bad,
  };
}
