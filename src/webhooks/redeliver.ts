// The two deliveries a person starts by hand: the test call (answered inline) and a redelivery.
import { eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { deliveries, webhooks } from "../db/schema";
import { AppError } from "../errors";
import { projectWriter } from "../projects/project-do";
import { projectById } from "../projects/store";
import { attemptDelivery, type AttemptOutcome } from "./delivery";
import { enqueueAttempts, markUnsent } from "./outbox";
import { renderTestBody, TEST_EVENT, type WebhookFormat } from "./payload";
import { toDelivery, type WebhookScope } from "./store";
import type { Delivery } from "./schemas";

type WebhookRow = typeof webhooks.$inferSelect;

/** One signed webhook.test request now, logged as a delivery and never retried. */
export async function sendTestDelivery(env: Env, webhook: WebhookRow, scope: WebhookScope, actor: { id: string; email: string }): Promise<AttemptOutcome> {
  const now = Date.now();
  const id = crypto.randomUUID();
  const project = scope.projectId ? await projectById(drizzle(env.DB), scope.projectId) : null;
  const body = renderTestBody(webhook.format as WebhookFormat, { eventId: crypto.randomUUID(), timestamp: new Date(now).toISOString(), project, actor });
  await drizzle(env.DB)
    .insert(deliveries)
    .values({ id, webhookId: webhook.id, orgId: webhook.orgId, projectId: scope.projectId, eventId: null, event: TEST_EVENT, format: webhook.format, body, status: "pending", attemptCount: 0, nextAttemptAt: now, enqueuedAt: now, final: true, createdAt: now });
  const outcome = await attemptDelivery(env, { delivery_id: id, attempt: 1 });
  if (!outcome) throw new AppError("internal", "the test delivery could not be attempted");
  return outcome;
}

/** One more attempt of the same delivery, now; its outcome is final. */
export async function redeliver(env: Env, webhookId: string, deliveryId: string): Promise<Delivery> {
  const now = Date.now();
  const row = await env.DB.prepare(
    `UPDATE deliveries SET status = 'pending', final = 1, next_attempt_at = ?1, enqueued_at = ?1, completed_at = NULL
     WHERE id = ?2 AND webhook_id = ?3 AND (claimed_until IS NULL OR claimed_until <= ?1)
     RETURNING *`,
  )
    .bind(now, deliveryId, webhookId)
    .first<Record<string, unknown>>();
  if (!row) {
    const exists = await env.DB.prepare("SELECT 1 FROM deliveries WHERE id = ? AND webhook_id = ?").bind(deliveryId, webhookId).first();
    if (!exists) throw new AppError("not_found", "no such delivery");
    throw new AppError("conflict", "an attempt of this delivery is in flight; try again when it has finished");
  }
  const attempt = Number(row.attempt_count) + 1;
  const failed = await enqueueAttempts(env.DELIVERIES, [{ delivery_id: deliveryId, attempt }]);
  if (failed.length) {
    const db = drizzle(env.DB);
    await markUnsent(db, failed);
    if (row.project_id) await projectWriter(env, String(row.project_id)).armRetry(now);
  }
  const [updated] = await drizzle(env.DB).select().from(deliveries).where(eq(deliveries.id, deliveryId));
  return toDelivery(updated);
}
