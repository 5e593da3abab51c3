// Scenarios of the delivery machine (src/deliveries/, its rules at the top of lifecycle.ts): an
// outage longer than the probe's schedule, a webhook disabled and mended while a backlog waits, a
// message lost after every kind of send, a consumer batch with hanging receivers beside healthy
// ones, and twenty thousand failed deliveries recovered in bounded calls. Each ends with the audit.
import { sleep } from "../../bench/lib/local-runtime.mjs";
import { deliveriesOf, fault, finish, project } from "./kit.mjs";

const hookPath = (p, w) => `/projects/${p.id}/webhooks/${w.id}`;

async function until(what, check, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(200);
  }
}

/**
 * The endpoint is down long enough for the probe to use all six attempts (and the one it handed on
 * to, its own six), then back: every change made after that arrives. The outage's deliveries end
 * failed, each after six attempts.
 */
async function probeExhausted(ctx) {
  const name = "probe-exhausted-then-back";
  const p = await project(ctx, name, ["gate/probe"]);
  ctx.receiver.gate("probe", false);
  const during = await p.toggle(2);
  await until("the outage's deliveries fail", async () => (await deliveriesOf(ctx, p, p.webhooks[0], "failed")).length === during);
  ctx.receiver.gate("probe", true);
  const after = await p.toggle(5);
  const result = await finish(ctx, name, p, { changes: during + after });
  const succeeded = await deliveriesOf(ctx, p, p.webhooks[0], "succeeded");
  if (succeeded.length !== after) result.problems.push(`${succeeded.length} of the ${after} changes made after the outage arrived`);
  return { ...result, ok: result.problems.length === 0, line: `${result.line} failed_in_outage=${during}` };
}

/** Disabled while a backlog waits behind an open circuit, mended, enabled, recovered: everything arrives once. */
async function disableMendEnableRecover(ctx) {
  const name = "disable-mend-enable-recover";
  const p = await project(ctx, name, ["gate/mend"]);
  const since = new Date(Date.now() - 1000).toISOString();
  ctx.receiver.gate("mend", false);
  const changes = await p.toggle(8);
  const hook = hookPath(p, p.webhooks[0]);
  await until("the circuit opens", async () => (await ctx.api.call("GET", hook)).body.health.state === "circuit_open");
  await ctx.api.call("PATCH", hook, { enabled: false }, { expect: 200 });
  const waiting = (await deliveriesOf(ctx, p, p.webhooks[0], "pending")).length;
  ctx.receiver.gate("mend", true);
  await ctx.api.call("PATCH", hook, { enabled: true }, { expect: 200 });
  const recovered = (await ctx.api.call("POST", `${hook}/recover`, { since }, { expect: 202 })).body;
  const result = await finish(ctx, name, p, { changes });
  const problems = [...result.problems];
  if (waiting !== 0) problems.push(`${waiting} deliveries still pending after disabling`);
  if (recovered.deliveries !== changes || recovered.more) problems.push(`recover answered ${JSON.stringify(recovered)} for ${changes} changes`);
  const succeeded = await deliveriesOf(ctx, p, p.webhooks[0], "succeeded");
  if (succeeded.length !== changes) problems.push(`${succeeded.length} of ${changes} deliveries succeeded`);
  return {
    ok: problems.length === 0,
    line: `${result.line.replace(/^PASS|^FAIL/, problems.length ? "FAIL" : "PASS")} recovered=${recovered.deliveries}`,
    problems,
  };
}

/**
 * A message lost after every kind of send: the change's, a retry's (sent by the clock), "attempt
 * now"'s, recover's and a drain's release. The clock sends each again; everything arrives once.
 */
async function lostAfterEverySend(ctx) {
  const name = "lost-after-every-send";
  const p = await project(ctx, name, ["gate/lost"], { flags: 6 });
  const hook = hookPath(p, p.webhooks[0]);
  const since = new Date(Date.now() - 1000).toISOString();
  const t0 = Date.now();
  let changes = 0;
  // A change: its message is lost.
  await fault(ctx, "queue-sends", { drop: 1 });
  changes += await p.toggle(1);
  // A failed delivery, then recover, whose message is lost.
  ctx.receiver.gate("lost", false);
  changes += await p.toggle(1);
  await until("a delivery fails", async () => (await deliveriesOf(ctx, p, p.webhooks[0], "failed")).length >= 1);
  // A backlog behind an open circuit (more failures), and retries the clock sends.
  changes += await p.toggle(5);
  await until("the circuit opens", async () => (await ctx.api.call("GET", hook)).body.health.state === "circuit_open");
  ctx.receiver.gate("lost", true);
  // The probe's next retry (a clock's send) and the drain's releases that follow: three of them lost.
  await fault(ctx, "queue-sends", { drop: 3 });
  await until("the backlog drains", async () => (await deliveriesOf(ctx, p, p.webhooks[0], "pending")).length === 0, 90_000);
  await fault(ctx, "queue-sends", { drop: 1 });
  const recovered = (await ctx.api.call("POST", `${hook}/recover`, { since }, { expect: 202 })).body;
  const result = await finish(ctx, name, p, { changes, settleMs: 90_000 });
  // "Attempt now" on a succeeded delivery (after the audit: it succeeds a second time, as asked): its message is lost.
  const [done] = await deliveriesOf(ctx, p, p.webhooks[0], "succeeded");
  await fault(ctx, "queue-sends", { drop: 1 });
  await ctx.api.call("POST", `${hook}/deliveries/${done.id}/redeliver`, undefined, { expect: 202 });
  await until("the redelivered delivery arrives again", async () => ctx.receiver.delivery(done.id).ok === 2, 60_000).catch((err) =>
    result.problems.push(String(err.message)),
  );
  const again = await ctx.api.call("GET", `${hook}/deliveries/${done.id}`, undefined, { expect: 200 });
  if (again.body.status !== "succeeded" || again.body.attempts.length !== again.body.attempt_count)
    result.problems.push(`the redelivered delivery ended ${again.body.status} with ${again.body.attempts.length} attempts logged`);
  const left = (await ctx.admin.call("GET", "/admin/_faults/queue-sends", undefined, { expect: 200 })).body;
  if (left.drop !== 0) result.problems.push(`${left.drop} injected losses were not consumed`);
  return {
    ...result,
    ok: result.problems.length === 0,
    line: `${result.line} recovered=${recovered.deliveries} seconds_all=${Math.round((Date.now() - t0) / 1000)}`,
  };
}

/**
 * One consumer batch: six receivers hang past the time-out on their first request, forty answer at
 * once. The batch holds at most six connections, so the forty wait their turn; their time-out starts
 * with their own request, so none fails and no healthy webhook's circuit opens.
 */
async function hangingBesideHealthy(ctx) {
  const name = "six-hang-forty-answer";
  const specs = [...Array.from({ length: 6 }, () => "slow/3000/1"), ...Array.from({ length: 40 }, () => "ok")];
  const p = await project(ctx, name, specs, { flags: 1 });
  const changes = await p.toggle(1);
  const result = await finish(ctx, name, p, { changes, settleMs: 90_000 });
  let healthyFailed = 0;
  for (const w of p.webhooks.slice(6)) {
    const [d] = await deliveriesOf(ctx, p, w);
    const hook = (await ctx.api.call("GET", hookPath(p, w), undefined, { expect: 200 })).body;
    if (d.attempt_count !== 1 || hook.health.consecutive_failures !== 0 || hook.health.state !== "healthy") healthyFailed++;
  }
  if (healthyFailed) result.problems.push(`${healthyFailed} healthy webhooks failed an attempt or are not healthy`);
  return { ...result, ok: result.problems.length === 0, line: `${result.line} healthy_failed=${healthyFailed}` };
}

/** 20,000 failed deliveries (as an outage and a disabled webhook leave them) recovered 1,000 a call: each arrives once. */
async function recoverTwentyThousand(ctx) {
  const name = "recover-20000";
  const p = await project(ctx, name, ["ok"], { flags: 1 });
  const hook = hookPath(p, p.webhooks[0]);
  const changes = await p.toggle(1);
  const since = new Date(Date.now() - 60_000).toISOString();
  await until("the change arrives", async () => (await deliveriesOf(ctx, p, p.webhooks[0], "succeeded")).length === 1);
  const { inserted } = await fault(ctx, "failed-deliveries", { webhook_id: p.webhooks[0].id, count: 20_000 });
  const t0 = Date.now();
  const calls = [];
  const pendingNone = async () => (await ctx.api.call("GET", `${hook}/deliveries?status=pending&limit=1`)).body.data.length === 0;
  // An operator's pace: the next call when what the last one brought back has gone out.
  for (let more = true; more; ) {
    const res = (await ctx.api.call("POST", `${hook}/recover`, { since }, { expect: 202 })).body;
    calls.push(res.deliveries);
    more = res.more;
    if (calls.length > 30) throw new Error("recover never said there was no more");
    await until("a recover call's deliveries end", pendingNone, 60_000);
  }
  const problems = [];
  if (calls.some((n) => n > 1000)) problems.push(`a recover call brought back ${Math.max(...calls)} deliveries`);
  if (calls.reduce((a, b) => a + b, 0) !== inserted) problems.push(`recover brought back ${calls.reduce((a, b) => a + b, 0)} of ${inserted}`);
  const all = await ctx.api.all(`${hook}/deliveries`);
  let notOnce = 0;
  for (const d of all) if (d.status !== "succeeded" || ctx.receiver.delivery(d.id).ok !== 1) notOnce++;
  if (notOnce) problems.push(`${notOnce} deliveries did not succeed exactly once`);
  const line = `${problems.length ? "FAIL" : "PASS"} ${name}: changes=${changes} inserted=${inserted} recover_calls=${calls.length} delivered=${all.length - notOnce} seconds_to_deliver=${Math.round((Date.now() - t0) / 1000)}`;
  return { ok: problems.length === 0, line, problems };
}

export const machineScenarios = [
  ["an endpoint down past the probe's schedule, then back", probeExhausted],
  ["disable while a backlog waits, mend, enable, recover", disableMendEnableRecover],
  ["a message lost after every kind of send", lostAfterEverySend],
  ["six receivers hanging beside forty answering", hangingBesideHealthy],
  ["20,000 failed deliveries recovered in bounded calls", recoverTwentyThousand],
];
