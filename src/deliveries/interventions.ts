// The transitions of a delivery that its normal path does not take (the state machine and its
// invariants are written at the top of lifecycle.ts): a test or a notice is created with a body of
// its own, a person asks for another attempt, a webhook is disabled or deleted, retention prunes
// what is old.
import { SQL_UUID } from "./lifecycle";

export interface OwnBodyDelivery {
  id: string;
  webhookId: string;
  orgId: string;
  /** The retry clock's name: the project, or `org:<id>` for an organization webhook's test. */
  clockId: string;
  event: string;
  format: string;
  body: string;
  /** A test is final (one attempt, never retried); a notice follows the schedule. */
  final: boolean;
  now: number;
}

/** Created with a body of its own (a test, a `webhook.disabled` notice), due now. */
export function createdWithBody(d1: D1Database, d: OwnBodyDelivery): D1PreparedStatement {
  return d1
    .prepare(
      `INSERT INTO deliveries (id, webhook_id, org_id, project_id, event_id, event, format, body, status,
                               attempt_count, next_attempt_at, enqueued_at, final, created_at)
       VALUES (?1, ?2, ?3, ?4, NULL, ?5, ?6, ?7, 'pending', 0, ?8, ?8, ?9, ?8)`,
    )
    .bind(d.id, d.webhookId, d.orgId, d.clockId, d.event, d.format, d.body, d.now, d.final ? 1 : 0);
}

/**
 * Created for a notice to every organization webhook subscribed to `event` (other than `exceptId`,
 * the webhook the notice is about, and only if that one was disabled at `now`, in this batch), with
 * the body given; the notices follow the schedule on the clock named `clockId`.
 */
export function createdForNotice(d1: D1Database, n: { orgId: string; clockId: string; event: string; body: string; exceptId: string; now: number }): D1PreparedStatement {
  return d1
    .prepare(
      `INSERT INTO deliveries (id, webhook_id, org_id, project_id, event_id, event, format, body, status,
                               attempt_count, next_attempt_at, enqueued_at, final, created_at)
       SELECT ${SQL_UUID}, w.id, w.org_id, ?1, NULL, ?2, 'rollgate', ?3, 'pending', 0, ?4, NULL, 0, ?4
       FROM webhooks w
       WHERE w.org_id = ?5 AND w.project_id IS NULL AND w.enabled = 1 AND w.id != ?6
         AND EXISTS (SELECT 1 FROM webhooks x WHERE x.id = ?6 AND x.disabled_at = ?4)
         AND EXISTS (SELECT 1 FROM json_each(w.events) WHERE value = ?2)`,
    )
    .bind(n.clockId, n.event, n.body, n.now, n.orgId, n.exceptId);
}

/**
 * Redelivered: one more attempt of the delivery, due now, unless an attempt is in flight. A
 * finished delivery's extra attempt is final; a pending one keeps its schedule (the attempt simply
 * comes earlier). Answers the row, or nothing when it is unknown or in flight.
 */
export function redelivered(d1: D1Database, webhookId: string, deliveryId: string, now: number): D1PreparedStatement {
  return d1
    .prepare(
      `UPDATE deliveries SET final = CASE status WHEN 'pending' THEN final ELSE 1 END, status = 'pending', held = 0,
         next_attempt_at = ?1, enqueued_at = ?1, completed_at = NULL, error = NULL
       WHERE id = ?2 AND webhook_id = ?3 AND (claimed_until IS NULL OR claimed_until <= ?1)
       RETURNING *`,
    )
    .bind(now, deliveryId, webhookId);
}

/** Recovered: every `failed` delivery of the webhook created since `since` gets one more, final, attempt now. */
export function recovered(d1: D1Database, webhookId: string, since: number, now: number): D1PreparedStatement {
  return d1
    .prepare(
      `UPDATE deliveries SET status = 'pending', final = 1, held = 0, next_attempt_at = ?3, enqueued_at = NULL,
         completed_at = NULL, error = NULL
       WHERE webhook_id = ?1 AND status = 'failed' AND created_at >= ?2
       RETURNING seq, id, project_id, attempt_count`,
    )
    .bind(webhookId, since, now);
}

/** Webhook disabled: everything it still had waiting ends `failed`, saying why. */
export function failedWithWebhook(d1: D1Database, webhookId: string, now: number): D1PreparedStatement {
  return d1
    .prepare(
      `UPDATE deliveries SET status = 'failed', held = 0, next_attempt_at = NULL, enqueued_at = NULL, completed_at = ?2,
         error = 'webhook disabled'
       WHERE webhook_id = ?1 AND status = 'pending' AND (claimed_until IS NULL OR claimed_until <= ?2)`,
    )
    .bind(webhookId, now);
}

/** A deleted webhook takes its deliveries and their attempts with it. */
export function droppedWithWebhook(d1: D1Database, webhookId: string): D1PreparedStatement[] {
  return [
    d1.prepare("DELETE FROM attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE webhook_id = ?)").bind(webhookId),
    d1.prepare("DELETE FROM deliveries WHERE webhook_id = ?").bind(webhookId),
  ];
}

/**
 * Pruned: up to `batch` finished deliveries created before the cutoff, with their attempts, in one
 * atomic pair; then events older than the cutoff that no delivery still names. Each query walks an
 * index (deliveries_finished, the attempts' key, events_created, deliveries_event).
 */
export function pruned(d1: D1Database, cutoff: number, batch: number) {
  const oldFinished = `SELECT id FROM deliveries WHERE status IN ('succeeded', 'failed') AND created_at < ?1 ORDER BY status, created_at LIMIT ${batch}`;
  return {
    deliveries: [
      d1.prepare(`DELETE FROM attempts WHERE delivery_id IN (${oldFinished})`).bind(cutoff),
      d1.prepare(`DELETE FROM deliveries WHERE id IN (${oldFinished})`).bind(cutoff),
    ],
    events: d1
      .prepare(
        `DELETE FROM events WHERE seq IN (
           SELECT e.seq FROM events e WHERE e.created_at < ?1 AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id)
           ORDER BY e.created_at LIMIT ${batch})`,
      )
      .bind(cutoff),
  };
}
