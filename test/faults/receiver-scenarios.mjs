// Scenarios where the receiver misbehaves. Each project has a webhook that recovers after a few
// failed attempts (it must end succeeded) and, where useful, one that never recovers (it must end
// failed after every attempt of the schedule). A webhook that never recovers soon opens its
// circuit, after which its deliveries take their attempts one probe at a time: those scenarios make
// few changes, so that the schedule of each is run through in seconds.
import { sleep } from "../../bench/lib/local-runtime.mjs";
import { createReceiver } from "./receiver.mjs";
import { deliveriesOf, finish, project } from "./kit.mjs";

const CHANGES = 3;

/** A receiver answering `code` (500, 429) to the first two attempts of one webhook and every attempt of another. */
const answering = (code) => async (ctx) => {
  const name = `answers-${code}`;
  const p = await project(ctx, name, [`status/${code}/2`, `status/${code}/all`]);
  const changes = await p.toggle(CHANGES);
  return finish(ctx, name, p, { changes });
};

async function redirecting(ctx) {
  const name = "answers-301";
  const p = await project(ctx, name, ["redirect/2", "redirect/all"]);
  const changes = await p.toggle(CHANGES);
  const result = await finish(ctx, name, p, { changes, extra: { followed: ctx.receiver.hits(`/${name}/redirected/`) } });
  if (ctx.receiver.hits(`/${name}/redirected/`) > 0) return { ...result, ok: false, problems: [...result.problems, "a redirect was followed"] };
  return result;
}

async function closing(ctx) {
  const name = "closes-connection";
  const p = await project(ctx, name, ["close/2", "close/all"]);
  const changes = await p.toggle(CHANGES);
  return finish(ctx, name, p, { changes });
}

/**
 * Slower than DELIVERY_TIMEOUT_MS (1.5 s): the answer's headers to the first attempt of one webhook
 * and to every attempt of another; and a body that trickles in for 2.5 s to the first attempt of a
 * third (reading the answer is part of the attempt).
 */
async function slow(ctx) {
  const name = "slower-than-timeout";
  const p = await project(ctx, name, ["slow/2500/1", "slow/2500/all", "trickle/2500/1"]);
  const changes = await p.toggle(3, { concurrency: 3 });
  return finish(ctx, name, p, { changes, settleMs: 90_000 });
}

/**
 * Down, then up again mid-schedule: a receiver of its own is stopped while changes are made, so
 * the first attempts are refused (and the circuit opens); it comes back on the same port once a
 * delivery has had its second attempt refused.
 */
async function downThenUp(ctx) {
  const name = "down-then-up";
  const own = createReceiver();
  await own.start();
  const p = await project(ctx, name, ["ok"], { receiverUrl: own.url });
  await own.stop();
  const changes = await p.toggle(10, { concurrency: 2 });
  await waitForAttempts(ctx, p, 2);
  await own.start();
  const result = await finish({ ...ctx, receiver: own }, name, p, { changes, unseen: (a) => a.response === null });
  await own.stop();
  return result;
}

/** Until a delivery of the project has had `n` attempts (they are all refused). */
async function waitForAttempts(ctx, p, n) {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const pending = await deliveriesOf(ctx, p, p.webhooks[0]);
    if (pending.some((d) => d.attempt_count >= n)) return;
    await sleep(100);
  }
  throw new Error(`no delivery reached ${n} attempts within 30 s`);
}

/**
 * 600 changes, 10 at a time, to a receiver that fails 30% of requests (500 or a closed connection).
 * Five failures in a row happen by chance now and then, and open the circuit: what waits behind it
 * then drains one delivery at a time, which is what bounds this scenario's size.
 */
async function flapping(ctx) {
  const name = "flapping-30pct";
  const p = await project(ctx, name, ["flap/30"], { flags: 40 });
  const started = Date.now();
  const changes = await p.toggle(600, { concurrency: 10 });
  const committedIn = Date.now() - started;
  return finish(ctx, name, p, { changes, settleMs: 150_000, extra: { commit_ms: committedIn } });
}

export const receiverScenarios = [
  ["receiver answers 500", answering(500)],
  ["receiver answers 429", answering(429)],
  ["receiver answers 301", redirecting],
  ["receiver closes the connection", closing],
  ["receiver slower than the time-out", slow],
  ["receiver down, then up mid-schedule", downThenUp],
  ["flapping receiver under 600 changes", flapping],
];
