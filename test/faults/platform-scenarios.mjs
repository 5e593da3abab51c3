// Scenarios where the platform misbehaves: queue messages delivered twice, queue sends that fail or
// vanish after the change committed, the project's alarm firing twice at once, and the runtime
// killed in the middle of a retry schedule. The first three use the test-only routes of src/faults.ts.
import { sleep } from "../../bench/lib/local-runtime.mjs";
import { deliveriesOf, fault, finish, project } from "./kit.mjs";

/**
 * Every message of 20 deliveries sent three times in all: twice more while the first attempt is in
 * flight (the receiver takes 300 ms), and again once all have succeeded, for attempts 1 and 2.
 */
async function duplicateMessages(ctx) {
  const name = "duplicate-queue-message";
  const p = await project(ctx, name, ["delay/300"]);
  const consumedBefore = ctx.queueMessages();
  const changes = await p.toggle(20, { concurrency: 4 });
  const all = await deliveriesOf(ctx, p, p.webhooks[0]);
  const { sent: whileInFlight } = await fault(ctx, "requeue", { messages: all.map((d) => ({ delivery_id: d.id, attempt: 1 })), copies: 2 });
  await sleep(1500);
  const again = all.flatMap((d) => [1, 2].map((attempt) => ({ delivery_id: d.id, attempt })));
  const { sent: afterSuccess } = await fault(ctx, "requeue", { messages: again });
  await sleep(1000);
  const extra = { duplicates_sent: whileInFlight + afterSuccess, queue_messages: ctx.queueMessages() - consumedBefore };
  return finish(ctx, name, p, { changes, extra });
}

/**
 * The queue send after commit fails for 5 sends and is silently lost for 3 more. Failed sends are
 * re-sent by the alarm within about a second; lost ones once presumed lost (requeueAfterMs).
 */
async function sendFailsAfterCommit(ctx) {
  const name = "queue-send-fails-after-commit";
  const p = await project(ctx, name, ["ok"]);
  await fault(ctx, "queue-sends", { fail: 5, drop: 3 });
  const changes = await p.toggle(12);
  const left = await ctx.admin.call("GET", "/admin/_faults/queue-sends", undefined, { expect: 200 });
  const problems = left.body.fail + left.body.drop > 0 ? [`the injected send faults were not all consumed: ${JSON.stringify(left.body)}`] : [];
  const t0 = Date.now();
  const result = await finish(ctx, name, p, { changes, settleMs: 60_000, problems, extra: { failed_sends: 5, lost_sends: 3 } });
  return { ...result, line: `${result.line} repaired_within_ms=${Date.now() - t0}` };
}

/**
 * The alarm firing more than once at the same moment. The queue sends of 20 changes fail, so all 20
 * deliveries are due and unsent while the alarm is a second away; then the alarm is fired with three
 * more copies of its sweep at once, every 100 ms for 3 s, across the first retries too (first
 * attempts answer 500). Concurrent sweeps send the same attempt more than once (queue_messages >
 * attempts shows it happened); the consumer's claim must still make exactly one request of each.
 */
async function alarmTwice(ctx) {
  const name = "alarm-fires-twice";
  const p = await project(ctx, name, ["status/500/1"]);
  const consumedBefore = ctx.queueMessages();
  await fault(ctx, "queue-sends", { fail: 20 });
  const changes = await p.toggle(20, { concurrency: 4 });
  let fired = 0;
  const until = Date.now() + 3000;
  while (Date.now() < until) {
    fired += (await fault(ctx, "alarm", { project_id: p.id, times: 3 })).fired;
    await sleep(100);
  }
  await sleep(500);
  return finish(ctx, name, p, { changes, extra: { alarms: fired, queue_messages: ctx.queueMessages() - consumedBefore } });
}

/**
 * The runtime killed (SIGKILL, no shutdown) in the middle of retry schedules and started again on
 * the same state directory. At the kill, the first attempts of two webhooks have failed and been
 * logged, their retries still ahead (kept in D1, woken by the persisted alarm); and a second project
 * has just committed changes to a slow webhook: the first attempt is in flight (the receiver has it,
 * nobody has logged it) and the rest wait in the local queue, which runs one batch at a time and
 * keeps its messages in memory, so they die with the process. All must end succeeded; an attempt in
 * flight may have reached the receiver once more than the log says.
 */
async function restartMidSchedule(ctx) {
  const name = "runtime-restarted-mid-schedule";
  // Retries 3 s apart so the kill lands well before any of them; and the fault routes switched off,
  // which must make them vanish.
  const vars = { RETRY_SCHEDULE_SECONDS: "3,3,3,3,3", FAULT_INJECTION: "false" };
  await ctx.restart({ vars });
  await ctx.checkFaultRoutes(false);
  const retrying = await project(ctx, name, ["status/500/1", "status/500/2"]);
  const inFlight = await project(ctx, `${name}-in-flight`, ["slow/1200/1"]);
  // Four changes: their first attempts stay below the five failures in a row that open a circuit.
  const changes = await retrying.toggle(4, { concurrency: 2 });
  await untilFirstAttemptsLogged(ctx, retrying, changes);
  const flying = await inFlight.toggle(5, { concurrency: 5 });
  await untilSeen(ctx, `/${name}-in-flight/`, 1);
  const seenAtKill = ctx.receiver.hits(`/${name}-in-flight/`);
  const t0 = Date.now();
  await ctx.restart({ kill: true, vars });
  const restartMs = Date.now() - t0;
  const a = await finish(ctx, name, retrying, { changes, settleMs: 60_000 });
  const b = await finish(ctx, `${name}-in-flight`, inFlight, { changes: flying, settleMs: 60_000, unlogged: () => 1 });
  const extra = `in_flight_at_kill=${seenAtKill} not_yet_attempted_at_kill=${flying - seenAtKill} restart_ms=${restartMs}`;
  return { ok: a.ok && b.ok, line: `${a.line}\n${b.line} ${extra}`, problems: [...a.problems, ...b.problems] };
}

async function untilSeen(ctx, prefix, count) {
  const deadline = Date.now() + 10_000;
  while (ctx.receiver.hits(prefix) < count) {
    if (Date.now() > deadline) throw new Error(`the receiver saw ${ctx.receiver.hits(prefix)} of ${count} requests under ${prefix}`);
    await sleep(20);
  }
}

async function untilFirstAttemptsLogged(ctx, p, changes) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const all = (await Promise.all(p.webhooks.map((w) => deliveriesOf(ctx, p, w)))).flat();
    if (all.length === changes * p.webhooks.length && all.every((d) => d.attempt_count >= 1 && d.status === "pending")) return;
    if (Date.now() > deadline) throw new Error("first attempts did not all fail in time");
    await sleep(50);
  }
}

export const platformScenarios = [
  ["the same queue message delivered twice", duplicateMessages],
  ["queue send failing after commit", sendFailsAfterCommit],
  ["the alarm firing twice", alarmTwice],
  ["runtime restarted mid-schedule", restartMidSchedule],
];
