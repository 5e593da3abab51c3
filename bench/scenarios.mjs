// The measured scenarios. Each takes a subject (Flagpost or the baseline, see subjects.mjs) and the
// receiver, and answers its figures. Latencies are in milliseconds; arrivals are stamped by the
// receiver on the clock the sender uses (performance.timeOrigin + performance.now()).
import { cannon } from "./lib/cannon.mjs";
import { cpuMs } from "./lib/local-runtime.mjs";
import { summarize } from "./lib/stats.mjs";

const now = () => performance.timeOrigin + performance.now();

/**
 * Figure 1: PATCHes of `enabled`, `connections` clients, each alternating one flag of its own on
 * and off so that every request is a real change (`amount` must be a multiple of 2 × connections).
 * Answers the raw samples of one round (see `summarizeToggles`), with the runtime's CPU counted until
 * the changes' deliveries have all arrived (group "s1"): a figure that another load on the machine
 * disturbs far less than latency.
 */
export async function toggles(subject, { connections, amount, receiver }) {
  let nextClient = 0;
  const before = receiver ? (await receiver.stats("s1")).count : 0;
  const cpu0 = cpuMs(subject.pid);
  const { result, times, seconds } = await cannon({
    url: subject.base,
    connections,
    amount,
    setupClient: (client) => client.setRequests(subject.toggleRequests(nextClient++)),
  });
  const ok = result["2xx"];
  if (receiver) await receiver.waitFor("s1", before + ok, { timeoutMs: 30_000 });
  const cpu1 = cpuMs(subject.pid);
  const cpu = Object.fromEntries(Object.keys(cpu1).map((k) => [k, cpu1[k] - cpu0[k]]));
  return { times, ok, errors: result.errors + result.non2xx + result.timeouts, seconds, cpu };
}

/** Latencies, toggles/s and CPU per change over the rounds of `toggles`. */
export function summarizeToggles(rounds) {
  const sum = (f) => rounds.reduce((a, r) => a + f(r), 0);
  const ok = sum((r) => r.ok);
  const perChange = (k) => Math.round((sum((r) => r.cpu[k]) / ok) * 100) / 100;
  return {
    ...summarize(rounds.flatMap((r) => r.times)),
    ok,
    errors: sum((r) => r.errors),
    togglesPerSecond: Math.round(ok / sum((r) => r.seconds)),
    cpuPerChange: { runtime: perChange("runtime"), proxy: perChange("proxy"), wrangler: perChange("wrangler") },
  };
}

/** Figure 2: one change at a time; the time from sending it to its first arrival at the receiver. */
export async function changeToArrival(subject, receiver, { changes }) {
  const arrivals = [];
  const api = [];
  let count = (await receiver.stats("s2")).count;
  for (let i = 0; i < changes; i++) {
    const t0 = now();
    await subject.change("latency");
    api.push(now() - t0);
    const got = await receiver.waitFor("s2", count + 1, { from: count, timeoutMs: 10_000 });
    if (got.timedOut) throw new Error(`change ${i} did not arrive within 10 s`);
    count = got.count;
    arrivals.push(got.records[0].at - t0);
  }
  return { arrivals, api };
}

export const summarizeArrivals = (rounds) => ({
  arrival: summarize(rounds.flatMap((r) => r.arrivals)),
  api: summarize(rounds.flatMap((r) => r.api)),
  expected: rounds.reduce((a, r) => a + r.arrivals.length, 0),
});

/** Figure 3: one change to `targets` webhooks at a time; first and last arrival after sending it. */
export async function fanout(subject, receiver, { rounds, targets }) {
  const first = [];
  const last = [];
  let count = (await receiver.stats("s3")).count;
  for (let i = 0; i < rounds; i++) {
    const t0 = now();
    await subject.change("fanout");
    const got = await receiver.waitFor("s3", count + targets, { from: count, timeoutMs: 15_000 });
    if (got.timedOut) throw new Error(`fan-out round ${i}: ${got.count - count} of ${targets} arrived within 15 s`);
    count = got.count;
    const ats = got.records.slice(0, targets).map((r) => r.at);
    first.push(Math.min(...ats) - t0);
    last.push(Math.max(...ats) - t0);
  }
  return { first, last, targets };
}

export const summarizeFanout = (rounds) => ({
  first: summarize(rounds.flatMap((r) => r.first)),
  last: summarize(rounds.flatMap((r) => r.last)),
  expected: rounds.reduce((a, r) => a + r.first.length * r.targets, 0),
});

/**
 * Figure 3b: a fan-out to 1,000 webhooks — one change in each of `projects` projects at once, each
 * delivered to the organization's `orgWebhooks` webhooks. First and last arrival after sending them.
 */
export async function wideFanout(subject, receiver, { rounds, targets }) {
  const first = [];
  const last = [];
  let count = (await receiver.stats("s5")).count;
  for (let i = 0; i < rounds; i++) {
    const t0 = now();
    await subject.wideChange();
    const got = await receiver.waitFor("s5", count + targets, { from: count, timeoutMs: 60_000 });
    if (got.timedOut) throw new Error(`wide fan-out round ${i}: ${got.count - count} of ${targets} arrived within 60 s`);
    count = got.count;
    const ats = got.records.slice(0, targets).map((r) => r.at);
    first.push(Math.min(...ats) - t0);
    last.push(Math.max(...ats) - t0);
  }
  return { first: summarize(first), last: summarize(last), targets, expected: rounds * targets };
}

/**
 * Figure 4: `rate` changes per second for `seconds`, each to its own flag, with `targets` webhooks.
 * Sends on a fixed schedule (open loop), so a slow answer does not slow the offered load.
 */
export async function sustained(subject, receiver, { rate, seconds, targets }) {
  const total = rate * seconds;
  const sentAt = new Map();
  const api = [];
  const inFlight = [];
  const before = (await receiver.stats("s4")).count;
  const start = now();
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const t0 = now();
    sentAt.set(subject.sustainedFlag(i), t0);
    inFlight.push(subject.change("sustained", i).then(() => api.push(now() - t0)));
  }
  await Promise.all(inFlight);
  const expected = total * targets;
  const got = await receiver.waitFor("s4", before + expected, { from: before, timeoutMs: 30_000 });
  const records = got.records;
  const latencies = records.map((r) => r.at - sentAt.get(r.flag)).filter((x) => Number.isFinite(x));
  const end = Math.max(...records.map((r) => r.at));
  return {
    arrival: summarize(latencies),
    api: summarize(api),
    deliveriesPerSecond: Math.round(records.length / ((end - start) / 1000)),
    offeredPerSecond: rate * targets,
    expected,
  };
}

/** Deliveries that never arrived: expected minus distinct delivery ids seen in the group. */
export async function lost(receiver, group, expected) {
  await receiver.waitFor(group, expected, { timeoutMs: 15_000 });
  const { unique, count } = await receiver.stats(group);
  return { expected, received: unique, duplicates: count - unique, lost: Math.max(0, expected - unique) };
}
