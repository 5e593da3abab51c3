// The deliveries a person starts by hand: the test call (answered inline), a redelivery, and the
// recovery of a webhook's failed deliveries. Each has the same repair path as any delivery: its
// retry clock is armed, so a message lost or an attempt that could not be recorded is sent again.
import { readSettings } from "../env";
import { AppError } from "../errors";
import { renderTestBody, TEST_EVENT, type WebhookFormat } from "../webhooks/payload";
import { clockOf, orgClockId, requeueAfterMs } from "./clock";
import { attemptDelivery, type AttemptOutcome } from "./consumer";
import { createdWithBody, recovered, redelivered } from "./interventions";
import { markedUnsent, type DeliveryMessage } from "./lifecycle";
import { enqueueAttempts } from "./queue";

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
  const body = renderTestBody(t.webhook.format as WebhookFormat, { eventId: crypto.randomUUID(), timestamp: new Date(now).toISOString(), project: t.project, actor: t.actor });
  await createdWithBody(env.DB, { id, webhookId: t.webhook.id, orgId: t.webhook.orgId, clockId, event: TEST_EVENT, format: t.webhook.format, body, final: true, now }).run();
  // Armed first: if the attempt below cannot be recorded, its claim expires and the clock sends it again.
  await clockOf(env, clockId).armRetry(now + requeueAfterMs(readSettings(env).deliveryTimeoutMs));
  const outcome = await attemptDelivery(env, { delivery_id: id, attempt: 1 });
  if (!outcome) throw new AppError("internal", "the test delivery could not be attempted");
  return outcome;
}

/** Sends the messages; whatever could not be sent is marked unsent and its clock rung at once. */
async function sendNow(env: Env, rows: { id: string; project_id: string | null; attempt_count: number }[]): Promise<void> {
  const failed = new Set(await enqueueAttempts(env.DELIVERIES, rows.map((r): DeliveryMessage => ({ delivery_id: r.id, attempt: r.attempt_count + 1 }))));
  if (failed.size === 0) return;
  await env.DB.batch(markedUnsent(env.DB, [...failed]));
  const clocks = new Set(rows.filter((r) => failed.has(r.id) && r.project_id).map((r) => r.project_id!));
  await Promise.all([...clocks].map((c) => clockOf(env, c).armRetry(Date.now())));
}

/** One more attempt of the delivery, now: final for a finished one; a pending one keeps its schedule. */
export async function redeliver(env: Env, webhookId: string, deliveryId: string): Promise<Record<string, unknown>> {
  const row = await redelivered(env.DB, webhookId, deliveryId, Date.now()).first<Record<string, unknown> & { id: string; project_id: string | null; attempt_count: number }>();
  if (!row) {
    const exists = await env.DB.prepare("SELECT 1 FROM deliveries WHERE id = ? AND webhook_id = ?").bind(deliveryId, webhookId).first();
    if (!exists) throw new AppError("not_found", "no such delivery");
    throw new AppError("conflict", "an attempt of this delivery is in flight; try again when it has finished");
  }
  await sendNow(env, [row]);
  return row;
}

/** One more, final, attempt of every failed delivery of the webhook created since `since`, oldest first. */
export async function recover(env: Env, webhookId: string, since: number): Promise<number> {
  const { results } = await recovered(env.DB, webhookId, since, Date.now()).all<{ seq: number; id: string; project_id: string | null; attempt_count: number }>();
  results.sort((a, b) => a.seq - b.seq);
  await sendNow(env, results);
  return results.length;
}
