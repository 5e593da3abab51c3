// The transitions of a delivery that its normal path does not take (the machine and its invariants
// are written at the top of lifecycle.ts): a test is created with a body of its own, a person asks
// for another attempt or recovers failed ones, a webhook is deleted, retention prunes what is old.
/** At most this many deliveries are recovered by one call. */
export const RECOVER_LIMIT = 1000;

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

/** Created with a body of its own (a test), due now and asked: a person's request goes whatever the circuit. */
export function createdWithBody(d1: D1Database, d: OwnBodyDelivery): D1PreparedStatement {
  return d1
    .prepare(
      `INSERT INTO deliveries (id, webhook_id, org_id, project_id, event_id, event, format, body, status,
                               attempt_count, next_attempt_at, enqueued_at, final, created_at, asked)
       VALUES (?1, ?2, ?3, ?4, NULL, ?5, ?6, ?7, 'pending', 0, ?8, ?8, ?9, ?8, 1)`,
    )
    .bind(d.id, d.webhookId, d.orgId, d.clockId, d.event, d.format, d.body, d.now, d.final ? 1 : 0);
}

/**
 * Redelivered ("attempt now"): one more attempt of the delivery, due now and asked (it goes whatever
 * the circuit), unless an attempt is in flight or its webhook is disabled. A finished delivery's extra
 * attempt is final; a pending one keeps its schedule (the attempt simply comes earlier). Answers the
 * row, or nothing when it is unknown, in flight or its webhook disabled. The caller sends it and arms
 * its clock.
 */
export function redelivered(d1: D1Database, webhookId: string, deliveryId: string, now: number): D1PreparedStatement {
  return d1
    .prepare(
      `UPDATE deliveries SET final = CASE status WHEN 'pending' THEN final ELSE 1 END, status = 'pending', held = 0, asked = 1,
         next_attempt_at = ?1, enqueued_at = ?1, completed_at = NULL, error = NULL
       WHERE id = ?2 AND webhook_id = ?3 AND (claimed_until IS NULL OR claimed_until <= ?1)
         AND EXISTS (SELECT 1 FROM webhooks w WHERE w.id = ?3 AND w.enabled = 1)
       RETURNING *`,
    )
    .bind(now, deliveryId, webhookId);
}

/**
 * Recovered: up to RECOVER_LIMIT `failed` deliveries of the (enabled) webhook created since `since`,
 * oldest first, get one more, final, attempt: due now (sent at once) behind a closed circuit, else
 * they join the backlog in the order of their changes; then whether more are left. The caller adds
 * circuitSettled (an open circuit with no probe takes the oldest as its probe) and sends.
 */
export function recovered(d1: D1Database, webhookId: string, since: number, now: number): D1PreparedStatement[] {
  const held = "(SELECT x.circuit != 'closed' FROM webhooks x WHERE x.id = deliveries.webhook_id)";
  return [
    d1
      .prepare(
        `UPDATE deliveries SET status = 'pending', final = 1, asked = 0, held = ${held},
           next_attempt_at = CASE WHEN ${held} THEN NULL ELSE ?3 END, enqueued_at = CASE WHEN ${held} THEN NULL ELSE ?3 END,
           completed_at = NULL, error = NULL
         WHERE seq IN (SELECT seq FROM deliveries WHERE webhook_id = ?1 AND status = 'failed' AND created_at >= ?2 ORDER BY seq LIMIT ${RECOVER_LIMIT})
           AND EXISTS (SELECT 1 FROM webhooks w WHERE w.id = ?1 AND w.enabled = 1)
         RETURNING seq, id, project_id, attempt_count, held`,
      )
      .bind(webhookId, since, now),
    d1.prepare("SELECT EXISTS (SELECT 1 FROM deliveries WHERE webhook_id = ?1 AND status = 'failed' AND created_at >= ?2) AS more").bind(webhookId, since),
  ];
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
 * atomic pair; then events older than the cutoff that no delivery still names; then the revisions'
 * records of what they changed. Each query walks an
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
    // What each revision changed (revert reads it): older than the cutoff, a revision is no longer revertible.
    revisionChanges: d1
      .prepare(`DELETE FROM revision_changes WHERE rowid IN (SELECT rowid FROM revision_changes WHERE created_at < ?1 ORDER BY created_at LIMIT ${batch})`)
      .bind(cutoff),
  };
}
