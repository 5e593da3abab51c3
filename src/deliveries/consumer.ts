// The queue consumer: one attempt per message (the machine it follows is written at the top of
// lifecycle.ts; it decides nothing of its own).
//
// - A batch's messages are claimed in one D1 batch; only a won claim leads to a request, so a
//   repeated message, or the sweep's re-send of one still in flight, does nothing.
// - At most six attempts' connections are open at once (connections.ts); each attempt's time-out
//   starts with its request. A claim lasts as long as the batch's attempts could take, waiting for a
//   connection and recording included; an attempt whose turn comes too late is given back unsent.
// - Finished attempts are recorded in groups, one D1 batch per group (record.ts).
import { readSettings, type Settings } from "../kernel/env";
import { recoverEventBody } from "../outbound/event-bodies";
import { claimed, claimReturned, type ClaimedRow } from "./claims";
import { ConnectionSlots } from "./connections";
import type { DeliveryMessage } from "./lifecycle";
import { AttemptRecorder, type Claim, type Done } from "./record";
import { sendAttempt } from "./request";
import type { WebhookFormat } from "../outbound/bodies";

/** Preparing an attempt (opening its secret, signing) is given this long, beside the time-out. */
const PREPARE_MS = 5_000;
/** Recording an attempt is given this long: a D1 write in flight ahead of it, and its own. */
export const RECORD_MS = 30_000;
/** The writer's and the consumer's clocks may differ a little: an attempt due this soon is due. */
const CLOCK_SLACK_MS = 2_000;
/** The claim's own round trip, and the time between it and the first attempts' start. */
const CLAIM_MS = 5_000;

export interface AttemptOutcome {
  success: boolean;
  status_code: number | null;
  response_time_ms: number;
}

export async function handleDeliveryBatch(batch: MessageBatch<DeliveryMessage>, env: Env): Promise<void> {
  try {
    await attemptDeliveries(
      env,
      batch.messages.map((m) => m.body),
    );
    batch.ackAll();
  } catch (err) {
    console.error("delivery attempts could not be recorded; the messages will be retried", String(err));
    batch.retryAll({ delaySeconds: 5 });
  }
}

/** Makes the attempt the message names, if it is still due; null when there was nothing to do. */
export async function attemptDelivery(env: Env, message: DeliveryMessage): Promise<AttemptOutcome | null> {
  return (await attemptDeliveries(env, [message]))[0];
}

/** How long the claims of `n` attempts last: the claim itself, every turn for a connection (each a whole attempt), then the record. */
export function claimWindowMs(n: number, settings: Settings, slots = 6): number {
  return CLAIM_MS + Math.ceil(Math.max(n, 1) / slots) * (settings.deliveryTimeoutMs + PREPARE_MS) + RECORD_MS;
}

/** Claims every due attempt among the messages, sends them six at a time, records them in groups. */
export async function attemptDeliveries(env: Env, messages: DeliveryMessage[], slots = new ConnectionSlots()): Promise<(AttemptOutcome | null)[]> {
  const settings = readSettings(env);
  const { claims, until } = await claimAttempts(env.DB, messages, settings, slots.size);
  const recorder = new AttemptRecorder(env, settings, claims.filter(Boolean).length, slots);
  const settled = await Promise.allSettled(
    claims.map(async (claim) => {
      if (!claim) return null;
      const sent = await slots.run(async () => {
        // Too late to finish and be recorded within the claim: given back, the clock sends it again.
        if (Date.now() + settings.deliveryTimeoutMs + PREPARE_MS + RECORD_MS > until) return null;
        return sendAttempt(claim.row, settings);
      });
      if (!sent) {
        await env.DB.batch([claimReturned(env.DB, claim.row.id, claim.token)]);
        recorder.skip();
        return null;
      }
      const done: Done = { claim, sent };
      await recorder.record(done);
      return done;
    }),
  );
  // Every attempt has finished before a failure to record one is reported (and the batch retried).
  const failure = settled.find((r) => r.status === "rejected");
  if (failure) throw failure.reason;
  return settled.map((r) => {
    const d = (r as PromiseFulfilledResult<Done | null>).value;
    return d && { success: d.sent.ok, status_code: d.sent.log.response?.status_code ?? null, response_time_ms: d.sent.log.durationMs };
  });
}

async function claimAttempts(
  d1: D1Database,
  messages: DeliveryMessage[],
  settings: Settings,
  slots: number,
): Promise<{ claims: (Claim | null)[]; until: number }> {
  const now = Date.now();
  const until = now + claimWindowMs(messages.length, settings, slots);
  if (messages.length === 0) return { claims: [], until };
  const tokens = messages.map(() => crypto.randomUUID());
  const { statements, read } = claimed(d1, messages, tokens, now, now + CLOCK_SLACK_MS, until);
  const results = await d1.batch<ClaimedRow>(statements);
  const won = new Map(results[read].results.map(({ claim_token, ...row }) => [claim_token, row]));
  const claims = await Promise.all(
    messages.map(async (m, i) => {
      const row = won.get(tokens[i]);
      if (!row) return null;
      // A format its change did not render: rendered now from the rollgate body (never sent empty).
      if (row.body === null && row.event_id) row.body = await recoverEventBody(d1, row.event_id, row.format as WebhookFormat);
      return { row, token: tokens[i], n: m.attempt };
    }),
  );
  return { claims, until };
}
