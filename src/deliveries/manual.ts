// What a person starts by hand: the test call (answered inline), "attempt now" (redeliver) and the
// recovery of failed deliveries. A person's request goes through whatever the circuit (test and
// redeliver are `asked`); each is covered by its clock, armed before its message is sent, so a lost
// message or an attempt that could not be recorded is sent again.
import { readSettings } from "../kernel/env";
import { AppError } from "../kernel/errors";
import { renderTestBody } from "../outbound/payload";
import { circuitSettled, type Released } from "./circuit";
import { clockOf, orgClockId, requeueAfterMs, sendAttemptsNow } from "./clock";
import { attemptDelivery, type AttemptOutcome } from "./consumer";
import { createdWithBody, recovered, redelivered } from "./interventions";
import type { WebhookFormat } from "../outbound/bodies";
import { TEST_EVENT } from "../outbound/bodies";

export interface TestTarget {
  webhook: { id: string; orgId: string; format: string };
  /** The webhook's project, or null for an organization webhook. */
  project: { id: string; key: string; name: string } | null;
  actor: { id: string; email: string };
}

/** One signed webhook.test request now, logged as a delivery and never retried. */
export async function sendTestDelivery(env: Env, t: TestTarget): Promise<AttemptOutcome> {
  const now = Date.now();
  const id = crypto.randomUUID();
  const clockId = t.project?.id ?? orgClockId(t.webhook.orgId);
  const body = renderTestBody(t.webhook.format as WebhookFormat, {
    eventId: crypto.randomUUID(),
    timestamp: new Date(now).toISOString(),
    project: t.project,
    actor: t.actor,
  });
  await createdWithBody(env.DB, {
    id,
    webhookId: t.webhook.id,
    orgId: t.webhook.orgId,
    clockId,
    event: TEST_EVENT,
    format: t.webhook.format,
    body,
    final: true,
    now,
  }).run();
  // Armed first: if the attempt below cannot be recorded, its claim expires and the clock sends it again.
  await clockOf(env, clockId).armRetry(now + requeueAfterMs(readSettings(env).deliveryTimeoutMs));
  const outcome = await attemptDelivery(env, { delivery_id: id, attempt: 1 });
  if (!outcome) throw new AppError("internal", "the test delivery could not be attempted");
  return outcome;
}

type Row = { id: string; project_id: string | null; attempt_count: number };

/** Arms each row's clock for when its message would be presumed lost, then sends the messages. */
async function sendCovered(env: Env, rows: Row[], now: number): Promise<void> {
  const at = now + requeueAfterMs(readSettings(env).deliveryTimeoutMs);
  const clocks = new Set(rows.map((r) => r.project_id).filter((c): c is string => c !== null));
  await Promise.all([...clocks].map((c) => clockOf(env, c).armRetry(at)));
  // What could not be sent is marked for the sweep; the clock armed above comes for it.
  if (rows.length)
    await sendAttemptsNow(
      env,
      rows.map((r) => ({ delivery_id: r.id, attempt: r.attempt_count + 1 })),
    );
}

/** "Attempt now": one more attempt of the delivery, now, whatever the circuit; final for a finished one. */
export async function redeliver(env: Env, webhookId: string, deliveryId: string): Promise<void> {
  const now = Date.now();
  const row = await redelivered(env.DB, webhookId, deliveryId, now).first<Row>();
  if (!row) {
    const found = await env.DB.prepare("SELECT (SELECT enabled FROM webhooks WHERE id = ?2) AS enabled FROM deliveries WHERE id = ?1 AND webhook_id = ?2")
      .bind(deliveryId, webhookId)
      .first<{ enabled: number }>();
    if (!found) throw new AppError("not_found", "no such delivery");
    if (!found.enabled) throw new AppError("conflict", "the webhook is disabled; enable it first");
    throw new AppError("conflict", "an attempt of this delivery is in flight; try again when it has finished");
  }
  await sendCovered(env, [row], now);
}

export interface Recovery {
  deliveries: number;
  more: boolean;
}

/**
 * One more, final, attempt of up to 1,000 failed deliveries of the webhook created since `since`,
 * oldest first; `more` says whether others are left for another call. They go out as the circuit
 * allows: at once behind a closed one, else into its backlog (an open circuit with no probe takes the
 * oldest as its probe, now).
 */
export async function recover(env: Env, webhookId: string, since: number): Promise<Recovery> {
  const now = Date.now();
  const enabled = await env.DB.prepare("SELECT enabled FROM webhooks WHERE id = ?").bind(webhookId).first<{ enabled: number }>();
  if (!enabled?.enabled) throw new AppError("conflict", "the webhook is disabled; enable it first");
  const settle = circuitSettled(env.DB, { webhookIds: [webhookId], finishedIds: [], now, handOffAt: now, sendsNow: true });
  const [back, more, ...rest] = await env.DB.batch<Row & { seq: number; held: number; more?: number; enqueued_at?: number | null }>([
    ...recovered(env.DB, webhookId, since, now),
    ...settle,
  ]);
  const released = rest[rest.length - 1].results as unknown as Released[];
  const due = [...back.results.filter((r) => !r.held).sort((a, b) => a.seq - b.seq), ...released];
  await sendCovered(env, due, now);
  return { deliveries: back.results.length, more: Boolean(more.results[0]?.more) };
}
