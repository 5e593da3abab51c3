// The audit every fault scenario ends with, through the public API and the receiver's own records:
// 1. every committed change has one delivery per matching webhook (and no delivery besides);
// 2. every delivery ended succeeded or failed, with its attempts logged, numbered 1…n;
// 3. no delivery id succeeded twice at the receiver, and a succeeded one succeeded once;
// 4. the attempt count matches what the receiver saw (minus attempts it could not see: refused; plus,
//    only where a scenario kills the runtime, an attempt in flight at the kill, which nobody logged).
import { sleep } from "../../bench/lib/local-runtime.mjs";

const MAX_ATTEMPTS = 6; // the first attempt and one per retry of RETRY_SCHEDULE_SECONDS (five delays)

/** Waits until no delivery of `webhooks` is pending; throws after `timeoutMs`. */
export async function settle(api, projectId, webhooks, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let pending = 0;
    for (const w of webhooks)
      pending += (await api.call("GET", `/projects/${projectId}/webhooks/${w.id}/deliveries?status=pending&limit=200`)).body.data.length;
    if (pending === 0) return;
    if (Date.now() > deadline) throw new Error(`${pending} deliveries still pending after ${timeoutMs} ms`);
    await sleep(250);
  }
}

/** Runs `fn` over `items` with at most `limit` at once. */
async function pool(items, limit, fn) {
  const out = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return out;
}

/**
 * Audits one scenario's project. `changes` is how many toggles the API accepted; `unseen(attempt)`
 * says an attempt could not have reached the receiver (it was down); `unlogged(webhook)` is how many
 * requests per delivery may have reached the receiver without being logged (killed in flight).
 * Answers counts, and `problems`.
 */
export async function audit({ api, projectId, webhooks, receiver, changes, unseen = () => false, unlogged = () => 0 }) {
  const problems = [];
  const events = (await api.all(`/projects/${projectId}/events`)).filter((e) => e.event === "flag.toggled");
  if (events.length !== changes) problems.push(`${changes} changes were accepted but ${events.length} flag.toggled events exist`);
  const counts = { changes, deliveries: 0, succeeded: 0, failed: 0, attempts: 0, seen: 0 };
  for (const webhook of webhooks) {
    const list = await api.all(`/projects/${projectId}/webhooks/${webhook.id}/deliveries`);
    const perEvent = new Map();
    for (const d of list) perEvent.set(d.event_id, (perEvent.get(d.event_id) ?? 0) + 1);
    for (const e of events) if (perEvent.get(e.id) !== 1) problems.push(`event ${e.id} has ${perEvent.get(e.id) ?? 0} deliveries to webhook ${webhook.name}`);
    if (list.length !== events.length) problems.push(`webhook ${webhook.name} has ${list.length} deliveries for ${events.length} events`);
    const details = await pool(
      list,
      8,
      async (d) => (await api.call("GET", `/projects/${projectId}/webhooks/${webhook.id}/deliveries/${d.id}`, undefined, { expect: 200 })).body,
    );
    for (const d of details) checkDelivery(d, receiver.delivery(d.id), { unseen, unlogged: unlogged(webhook) }, problems, counts);
  }
  return { counts, problems };
}

function checkDelivery(d, seenBy, allow, problems, counts) {
  counts.deliveries++;
  counts.attempts += d.attempt_count;
  counts.seen += seenBy.seen;
  const say = (what) => problems.length < 50 && problems.push(`delivery ${d.id}: ${what}`);
  if (d.status === "succeeded") counts.succeeded++;
  else if (d.status === "failed") counts.failed++;
  else say(`ended ${d.status}`);
  const numbers = d.attempts.map((a) => a.number).join(",");
  const expected = Array.from({ length: d.attempt_count }, (_, i) => i + 1).join(",");
  if (numbers !== expected) say(`attempt_count ${d.attempt_count} but attempts logged [${numbers}]`);
  const ok = d.attempts.filter((a) => a.response && a.response.status_code >= 200 && a.response.status_code < 300 && !a.error);
  if (d.status === "succeeded" && (ok.length !== 1 || ok[0].number !== d.attempt_count)) say(`succeeded but ${ok.length} successful attempts logged`);
  if (d.status === "failed" && (ok.length !== 0 || d.attempt_count !== MAX_ATTEMPTS))
    say(`failed after ${d.attempt_count} attempts with ${ok.length} successful`);
  if (seenBy.ok > 1) say(`succeeded ${seenBy.ok} times at the receiver`);
  if (d.status === "succeeded" && seenBy.ok !== 1) say(`succeeded but the receiver answered 2xx ${seenBy.ok} times`);
  const visible = d.attempts.filter((a) => !allow.unseen(a)).length;
  const surplus = seenBy.seen - visible;
  if (surplus < 0 || surplus > allow.unlogged) say(`${visible} attempts could reach the receiver but it saw ${seenBy.seen}`);
  if (surplus > 0) counts.unlogged = (counts.unlogged ?? 0) + surplus;
}

/** One summary line: the scenario's name, its counts, and extra figures. */
export function summaryLine(name, ok, counts, extra = {}) {
  const parts = Object.entries({ ...counts, ...extra }).map(([k, v]) => `${k}=${v}`);
  return `${ok ? "PASS" : "FAIL"} ${name}: ${parts.join(" ")}`;
}
