// Scenarios of a delivery's life (src/deliveries/): a commit batch failing half-way, a secret that
// no key opens, the retry clock failing and recovering, receivers that ask to wait (429) or say they
// are gone (410), an endpoint down for a thousand changes, and retention running beside pending
// deliveries. Each ends with the same audit as every scenario.
import { sleep } from "../../bench/lib/local-runtime.mjs";
import { deliveriesOf, fault, finish, project } from "./kit.mjs";

/**
 * A D1 batch failing mid-commit: twice during 20 changes the flag's rows are changed behind its
 * writer's back, so that flag's next commit aborts after its first statements ran. The client is
 * told (409), nothing of that change is stored or announced, and the next write goes through.
 */
async function commitFailsMidway(ctx) {
  const name = "commit-fails-midway";
  const p = await project(ctx, name, ["ok"], { flags: 1 });
  let accepted = 0;
  let refused = 0;
  let enabled = false;
  for (let i = 0; i < 20; i++) {
    if (i === 5 || i === 13) await fault(ctx, "stale-flag", { project_id: p.id, flag_key: "f0" });
    const res = await ctx.api.call("PATCH", `/projects/${p.id}/flags/f0/environments/production`, { enabled: !enabled });
    if (res.status === 200) {
      accepted++;
      enabled = !enabled;
    } else if (res.status === 409) refused++;
    else throw new Error(`a change answered ${res.status}`);
  }
  const problems = refused === 2 ? [] : [`${refused} changes were refused, expected the 2 whose batch failed`];
  return finish(ctx, name, p, { changes: accepted, problems, extra: { refused } });
}

/** A secret that no key of the keyring opens: every attempt is logged as failed, none is sent, all end failed. */
async function unopenableSecret(ctx) {
  const name = "secret-no-key-opens";
  const p = await project(ctx, name, ["ok"], { flags: 3 });
  await fault(ctx, "spoil-secret", { webhook_id: p.webhooks[0].id });
  const changes = await p.toggle(3);
  const result = await finish(ctx, name, p, { changes, settleMs: 90_000, unseen: (a) => a.response === null && /cannot be opened/.test(a.error ?? "") });
  const failed = await deliveriesOf(ctx, p, p.webhooks[0], "failed");
  if (failed.length !== changes) result.problems.push(`${failed.length} of ${changes} deliveries ended failed`);
  return { ...result, ok: result.problems.length === 0 };
}

/** Lines of the runtime's log that match `pattern`. */
const logLines = (ctx, pattern) =>
  ctx
    .log()
    .split("\n")
    .filter((l) => pattern.test(l)).length;

/**
 * The retry clock's sweep throws (D1 fails every statement on deliveries) at least twice, then D1
 * answers again: the clock re-arms itself with back-off each time, and everything is delivered.
 */
async function alarmThrowsThenRecovers(ctx) {
  const name = "alarm-throws-then-recovers";
  const p = await project(ctx, name, ["ok"]);
  const before = logLines(ctx, /the retry clock's sweep failed/);
  await fault(ctx, "queue-sends", { fail: 10 });
  const changes = await p.toggle(10);
  await fault(ctx, "deliveries-table", { broken: true });
  let throws = 0;
  try {
    const deadline = Date.now() + 20_000;
    for (;;) {
      throws = logLines(ctx, /the retry clock's sweep failed/) - before;
      if (throws >= 2) break;
      if (Date.now() > deadline) throw new Error(`the clock's sweep failed ${throws} times in 20 s, expected 2`);
      await sleep(100);
    }
  } finally {
    await fault(ctx, "deliveries-table", { broken: false });
  }
  return finish(ctx, name, p, { changes, settleMs: 60_000, extra: { sweep_throws: throws } });
}

/**
 * 429 with Retry-After: 3 s (the schedule says 1 s) to each delivery's first two requests: every
 * delivery succeeds on its third attempt, and no retry came sooner than the receiver asked.
 */
async function retryAfter(ctx) {
  const name = "answers-429-retry-after";
  const p = await project(ctx, name, ["retry-after/3/2"]);
  const changes = await p.toggle(4);
  const result = await finish(ctx, name, p, { changes, settleMs: 60_000 });
  let shortest = Infinity;
  for (const d of await deliveriesOf(ctx, p, p.webhooks[0])) {
    const at = ctx.receiver.delivery(d.id).at;
    for (let i = 1; i < at.length && i < 3; i++) shortest = Math.min(shortest, at[i] - at[i - 1]);
  }
  if (!(shortest >= 2900)) result.problems.push(`a retry came ${shortest} ms after a 429 asking for 3 s`);
  return { ...result, ok: result.problems.length === 0, line: `${result.line} shortest_wait_ms=${shortest}` };
}

/**
 * 410 Gone: the webhook's first delivery fails at once and the webhook is disabled (what it had
 * waiting fails, "webhook disabled"); an organization webhook subscribed to webhook.disabled is
 * told once; a second webhook of the project gets every change.
 */
async function gone(ctx) {
  const name = "answers-410";
  const p = await project(ctx, name, ["ok", "status/410/all"]);
  const watcher = (
    await ctx.api.call(
      "POST",
      "/webhooks",
      { name: `${name} watcher`, url: `${ctx.receiver.url}/${name}/ok/watcher`, events: ["webhook.disabled"] },
      { expect: 201 },
    )
  ).body;
  const changes = await p.toggle(6);
  const healthy = { ...p, webhooks: [p.webhooks[0]] };
  const result = await finish(ctx, name, healthy, { changes });
  const goneHook = (await ctx.api.call("GET", `/projects/${p.id}/webhooks/${p.webhooks[1].id}`, undefined, { expect: 200 })).body;
  if (goneHook.enabled || goneHook.health?.disabled_reason !== "gone") result.problems.push(`the 410 webhook is ${JSON.stringify(goneHook.health)}`);
  const goneDeliveries = await deliveriesOf(ctx, p, p.webhooks[1]);
  for (const d of goneDeliveries)
    if (d.status !== "failed" || d.attempt_count > 1) result.problems.push(`a delivery to the 410 webhook ended ${d.status} after ${d.attempt_count} attempts`);
  // Attempts already in flight when the webhook was disabled may still reach it; none comes after.
  const goneHits = ctx.receiver.hits(`/${name}/status/410/`);
  const attempted = goneDeliveries.reduce((n, d) => n + d.attempt_count, 0);
  if (goneHits < 1 || goneHits !== attempted) result.problems.push(`the 410 endpoint was called ${goneHits} times for ${attempted} logged attempts`);
  const deadline = Date.now() + 15_000;
  while (ctx.receiver.hits(`/${name}/ok/watcher`) < 1 && Date.now() < deadline) await sleep(100);
  await sleep(1500);
  const notices = ctx.receiver.hits(`/${name}/ok/watcher`);
  if (notices !== 1) result.problems.push(`the organization webhook was told ${notices} times`);
  await ctx.api.call("DELETE", `/webhooks/${watcher.id}`, undefined, { expect: 204 });
  return { ...result, ok: result.problems.length === 0, line: `${result.line} gone_deliveries=${goneDeliveries.length} notices=${notices}` };
}

/**
 * An endpoint down (503) for 1,000 changes, then back. The circuit opens after five failures, so
 * the rest wait without attempts while one probe at a time follows the schedule; once a probe
 * succeeds, everything that waited arrives one at a time, oldest first, none twice.
 */
async function downForAThousand(ctx) {
  const name = "down-for-1000-changes";
  // Retries 10 s apart: the probe's six attempts outlast making the thousand changes on a busy machine.
  await ctx.restart({ vars: { RETRY_SCHEDULE_SECONDS: "10,10,10,10,10", FAULT_INJECTION: "false" } });
  const p = await project(ctx, name, ["gate/g1000"], { flags: 8 });
  ctx.receiver.gate("g1000", false);
  const started = Date.now();
  const changes = await p.toggle(1000, { concurrency: 8 });
  const committedMs = Date.now() - started;
  const whileDown = ctx.receiver.hits(`/${name}/`);
  ctx.receiver.gate("g1000", true);
  const opened = Date.now();
  const result = await finish(ctx, name, p, { changes, settleMs: 150_000 });
  const drainedMs = Date.now() - opened;
  // Oldest first: after the first success (the probe), each delivery succeeds after every older one.
  const order = ctx.receiver.successOrder(`/${name}/`);
  const seq = new Map((await deliveriesOf(ctx, p, p.webhooks[0])).reverse().map((d, i) => [d.id, i]));
  let outOfOrder = 0;
  for (let i = 2; i < order.length; i++) if (seq.get(order[i]) < seq.get(order[i - 1])) outOfOrder++;
  if (outOfOrder) result.problems.push(`${outOfOrder} deliveries arrived before an older one`);
  if (result.problems.length === 0 && order.length !== changes) result.problems.push(`${order.length} of ${changes} deliveries arrived`);
  const extra = `requests_while_down=${whileDown} commit_ms=${committedMs} drained_ms=${drainedMs} out_of_order=${outOfOrder}`;
  return { ...result, ok: result.problems.length === 0, line: `${result.line} ${extra}` };
}

/**
 * Retention runs (with everything finished counting as old) while one webhook's deliveries are
 * pending (three failures each) and another's have succeeded: the finished ones go, the pending ones,
 * their attempts and their events stay, and they still end succeeded.
 */
async function retentionWhilePending(ctx) {
  const name = "retention-while-pending";
  const p = await project(ctx, name, ["status/500/3", "ok"]);
  const changes = await p.toggle(8);
  let pruned = 0;
  for (let i = 0; i < 6; i++) {
    pruned += (await fault(ctx, "retention", {})).deliveries;
    await sleep(300);
  }
  const pending = { ...p, webhooks: [p.webhooks[0]] };
  const result = await finish(ctx, name, pending, { changes, extra: { pruned_while_pending: pruned } });
  if (pruned < changes) result.problems.push(`retention pruned ${pruned} finished deliveries, expected at least the ${changes} that succeeded at once`);
  return { ...result, ok: result.problems.length === 0 };
}

export const lifecycleScenarios = [
  ["a D1 batch failing mid-commit", commitFailsMidway],
  ["a secret that no key opens", unopenableSecret],
  ["the alarm throwing twice, then recovering", alarmThrowsThenRecovers],
  ["429 with Retry-After", retryAfter],
  ["410 Gone", gone],
  ["retention while deliveries are pending", retentionWhilePending],
];

/** Needs no fault route: runs after the scenario that switches them off. */
export const lateLifecycleScenarios = [["an endpoint down for 1,000 changes, then back", downForAThousand]];
