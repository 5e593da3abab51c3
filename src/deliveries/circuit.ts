// A webhook's circuit and its enabled state: the transitions that move a whole webhook (the machine
// is written at the top of lifecycle.ts). Each answers D1 statements for the caller's batch.
import { jsonIds, SQL_UUID } from "./lifecycle";

export const WEBHOOK_DISABLED_EVENT = "webhook.disabled" as const;
export type DisableReason = "gone" | "failing";

/** A released delivery: the caller sends it (when `enqueued_at` is set) and arms its clock. */
export interface Released {
  id: string;
  project_id: string | null;
  attempt_count: number;
  next_attempt_at: number;
  enqueued_at: number | null;
}

export interface Settling {
  /** Webhooks whose deliveries just moved. */
  webhookIds: Iterable<string>;
  /** Deliveries whose attempt just ended: a drain's released one among them hands on to the next. */
  finishedIds: Iterable<string>;
  now: number;
  /** When a probe handed on is due: one retry step later after a failure, now for a person's recovery. */
  handOffAt: number;
  /** Whether the caller sends what is released due now at once (else the clock does). */
  sendsNow: boolean;
}

/**
 * Circuit settled: the statements that restore the circuit's rules after its deliveries moved, the
 * last of which answers what was released (`Released` rows).
 * 1. An open circuit with a probe holds every other waiting delivery (not in flight, not asked).
 * 2. An open circuit whose probe ended (or that has none) takes the oldest held as its probe; a
 *    draining one whose released delivery ended (or was never set) takes the oldest held as the next,
 *    and closes when nothing is held.
 * 3. A lead still held is released: a probe due at `handOffAt`, a drain's next due now.
 */
export function circuitSettled(d1: D1Database, s: Settling): D1PreparedStatement[] {
  const hooks = jsonIds(s.webhookIds);
  const oldestHeld = "(SELECT d.id FROM deliveries d WHERE d.webhook_id = webhooks.id AND d.status = 'pending' AND d.held = 1 ORDER BY d.seq LIMIT 1)";
  return [
    d1
      .prepare(
        // Only open circuits with a probe are looked into: a closed one's history is never scanned.
        `UPDATE deliveries SET held = 1, next_attempt_at = NULL, enqueued_at = NULL
         WHERE webhook_id IN (SELECT w.id FROM webhooks w WHERE w.circuit = 'open' AND w.probe_delivery_id IS NOT NULL AND w.id IN (SELECT value FROM json_each(?1)))
           AND status = 'pending' AND held = 0 AND asked = 0 AND (claimed_until IS NULL OR claimed_until <= ?2)
           AND id != (SELECT w.probe_delivery_id FROM webhooks w WHERE w.id = deliveries.webhook_id)`,
      )
      .bind(hooks, s.now),
    d1
      .prepare(
        `UPDATE webhooks SET probe_delivery_id = ${oldestHeld},
           circuit = CASE WHEN circuit = 'draining' AND ${oldestHeld} IS NULL THEN 'closed' ELSE circuit END
         WHERE id IN (SELECT value FROM json_each(?1)) AND enabled = 1 AND circuit IN ('open', 'draining')
           AND (probe_delivery_id IS NULL
                OR NOT EXISTS (SELECT 1 FROM deliveries p WHERE p.id = webhooks.probe_delivery_id AND p.status = 'pending')
                OR (circuit = 'draining' AND probe_delivery_id IN (SELECT value FROM json_each(?2))))`,
      )
      .bind(hooks, jsonIds(s.finishedIds)),
    d1
      .prepare(
        `UPDATE deliveries SET held = 0,
           next_attempt_at = CASE (SELECT w.circuit FROM webhooks w WHERE w.id = deliveries.webhook_id) WHEN 'draining' THEN ?2 ELSE ?3 END,
           enqueued_at = CASE WHEN ?4 = 1 AND ((SELECT w.circuit FROM webhooks w WHERE w.id = deliveries.webhook_id) = 'draining' OR ?3 <= ?2) THEN ?2 END
         WHERE id IN (SELECT probe_delivery_id FROM webhooks WHERE id IN (SELECT value FROM json_each(?1)) AND circuit IN ('open', 'draining'))
           AND status = 'pending' AND held = 1
         RETURNING id, project_id, attempt_count, next_attempt_at, enqueued_at`,
      )
      .bind(hooks, s.now, s.handOffAt, s.sendsNow ? 1 : 0),
  ];
}

/** Everything the webhook still had waiting ends `failed`, saying why; an attempt in flight finishes. */
export function failedWithWebhook(d1: D1Database, webhookId: string, now: number): D1PreparedStatement {
  return d1
    .prepare(
      `UPDATE deliveries SET status = 'failed', held = 0, asked = 0, next_attempt_at = NULL, enqueued_at = NULL, completed_at = ?2,
         error = 'webhook disabled'
       WHERE webhook_id = ?1 AND status = 'pending' AND (claimed_until IS NULL OR claimed_until <= ?2)`,
    )
    .bind(webhookId, now);
}

/**
 * Disabled by hand: no attempt starts after this batch (claims check `enabled`), what waited fails,
 * the circuit closes. Its counters stay for its owner to read until it is enabled again.
 */
export function disabledByHand(d1: D1Database, webhookId: string, now: number): D1PreparedStatement[] {
  return [
    d1.prepare("UPDATE webhooks SET enabled = 0, circuit = 'closed', probe_delivery_id = NULL, updated_at = ?2 WHERE id = ?1").bind(webhookId, now),
    failedWithWebhook(d1, webhookId, now),
  ];
}

/**
 * Enabled by hand: the circuit closed and the counters reset. Nothing of it waits (disabling failed
 * it); a delivery held before this rule existed is released now, and the caller arms its clock.
 */
export function enabledByHand(d1: D1Database, webhookId: string, now: number): D1PreparedStatement[] {
  return [
    d1
      .prepare(
        `UPDATE webhooks SET enabled = 1, disabled_reason = NULL, disabled_at = NULL, consecutive_failures = 0, failing_since = NULL,
           circuit = 'closed', probe_delivery_id = NULL, updated_at = ?2
         WHERE id = ?1`,
      )
      .bind(webhookId, now),
    d1
      .prepare(
        "UPDATE deliveries SET held = 0, next_attempt_at = ?2, enqueued_at = NULL WHERE webhook_id = ?1 AND status = 'pending' AND held = 1 RETURNING project_id",
      )
      .bind(webhookId, now),
  ];
}

/** The notice's bodies, one per format that may subscribe (a sentry webhook may not). */
export interface NoticeBodies {
  rollgate: string;
  tggl: string;
  slack: string;
}

export interface Disabling {
  webhookId: string;
  orgId: string;
  /** The disabled webhook's project, or null for an organization webhook. */
  projectId: string | null;
  /** The clock the notices follow. */
  clockId: string;
  reason: DisableReason;
  notices: NoticeBodies;
  now: number;
}

/**
 * Disabled by Flagpost (410, or failing too long): disabled if still enabled, what waited fails, and a
 * notice (in each subscriber's format) is created for every other enabled webhook subscribed to
 * `webhook.disabled` that may hear of it: the organization's, and the project's own for a project
 * webhook. The notices exist only if this batch is the one that disabled it.
 */
export function disabledByFlagpost(d1: D1Database, x: Disabling): D1PreparedStatement[] {
  return [
    d1
      .prepare(
        `UPDATE webhooks SET enabled = 0, disabled_reason = ?2, disabled_at = ?3, circuit = 'closed', probe_delivery_id = NULL, updated_at = ?3
         WHERE id = ?1 AND enabled = 1`,
      )
      .bind(x.webhookId, x.reason, x.now),
    failedWithWebhook(d1, x.webhookId, x.now),
    d1
      .prepare(
        `INSERT INTO deliveries (id, webhook_id, org_id, project_id, event_id, event, format, body, status,
                                 attempt_count, next_attempt_at, enqueued_at, final, created_at)
         SELECT ${SQL_UUID}, w.id, w.org_id, ?1, NULL, '${WEBHOOK_DISABLED_EVENT}', w.format,
                CASE w.format WHEN 'tggl' THEN ?6 WHEN 'slack' THEN ?7 ELSE ?5 END, 'pending', 0, ?4, NULL, 0, ?4
         FROM webhooks w
         WHERE w.org_id = ?2 AND w.enabled = 1 AND w.id != ?3 AND w.format != 'sentry'
           AND (w.project_id IS NULL OR w.project_id = ?8)
           AND EXISTS (SELECT 1 FROM webhooks x WHERE x.id = ?3 AND x.disabled_at = ?4 AND x.enabled = 0)
           AND EXISTS (SELECT 1 FROM json_each(w.events) WHERE value = '${WEBHOOK_DISABLED_EVENT}')`,
      )
      .bind(x.clockId, x.orgId, x.webhookId, x.now, x.notices.rollgate, x.notices.tggl, x.notices.slack, x.projectId),
  ];
}
