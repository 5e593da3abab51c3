// Finished: an attempt's log row, its delivery's next state and its webhook's health, written by the
// claim's holder only (the delivery machine is written at the top of lifecycle.ts). After these, the
// caller adds circuitSettled (circuit.ts) for the webhooks involved, in the same batch.
import { CIRCUIT_THRESHOLD, type FinishedAttempt } from "./lifecycle";

const claimHeld = "EXISTS (SELECT 1 FROM deliveries WHERE id = ?1 AND claim_token = ?2)";
/** The webhook of delivery ?1 is enabled: otherwise a delivery that would wait for a retry ends failed. */
const webhookEnabled = "EXISTS (SELECT 1 FROM webhooks w WHERE w.id = deliveries.webhook_id AND w.enabled = 1)";

/**
 * A failed attempt: logged; its delivery due at its next retry, or failed (after its last attempt, or
 * when its webhook was disabled meanwhile: "webhook disabled"); its webhook's failures counted, and
 * the circuit opened at the threshold, this delivery its probe if it has a retry. An open circuit
 * keeps its probe; which deliveries wait behind it is circuitSettled's to say.
 */
export function failed(d1: D1Database, f: FinishedAttempt): D1PreparedStatement[] {
  const pending = f.retry.at !== null;
  return [
    d1
      .prepare(
        `INSERT OR IGNORE INTO attempts (delivery_id, number, started_at, duration_ms, request, response, error)
         SELECT ?1, ?3, ?4, ?5, ?6, ?7, ?8 WHERE ${claimHeld}`,
      )
      .bind(
        f.deliveryId,
        f.token,
        f.n,
        f.log.startedAt,
        f.log.durationMs,
        JSON.stringify(f.log.request),
        f.log.response && JSON.stringify(f.log.response),
        f.log.error,
      ),
    d1
      .prepare(
        `UPDATE webhooks SET consecutive_failures = consecutive_failures + 1, failing_since = COALESCE(failing_since, ?3), last_failure_at = ?3,
           probe_delivery_id = CASE WHEN circuit = 'open' OR consecutive_failures + 1 < ${CIRCUIT_THRESHOLD} THEN probe_delivery_id
                                    WHEN ?5 = 1 THEN ?1 ELSE NULL END,
           circuit = CASE WHEN consecutive_failures + 1 >= ${CIRCUIT_THRESHOLD} THEN 'open' ELSE circuit END
         WHERE id = ?4 AND ${claimHeld}`,
      )
      .bind(f.deliveryId, f.token, f.now, f.webhookId, pending ? 1 : 0),
    d1
      .prepare(
        `UPDATE deliveries SET attempt_count = ?3, asked = 0, enqueued_at = NULL, claim_token = NULL, claimed_until = NULL, last_status_code = ?6,
           status = CASE WHEN ?4 = 1 AND ${webhookEnabled} THEN 'pending' ELSE 'failed' END,
           next_attempt_at = CASE WHEN ?4 = 1 AND ${webhookEnabled} THEN ?5 END,
           completed_at = CASE WHEN ?4 = 1 AND ${webhookEnabled} THEN NULL ELSE ?7 END,
           error = CASE WHEN ?4 = 1 AND NOT ${webhookEnabled} THEN 'webhook disabled' END
         WHERE id = ?1 AND claim_token = ?2`,
      )
      .bind(f.deliveryId, f.token, f.n, pending ? 1 : 0, f.retry.at, f.log.response?.status_code ?? null, f.now),
  ];
}

/** A group of successful attempts as one JSON parameter. */
function rowsOf(attempts: FinishedAttempt[]): string {
  return JSON.stringify(
    attempts.map((f) => ({
      id: f.deliveryId,
      token: f.token,
      n: f.n,
      started: f.log.startedAt,
      duration: f.log.durationMs,
      request: JSON.stringify(f.log.request),
      response: f.log.response && JSON.stringify(f.log.response),
      error: f.log.error,
      code: f.log.response?.status_code ?? null,
    })),
  );
}

// The group's attempts whose claim is still held, as a table.
const HELD = `(SELECT j.value ->> 'id' AS id, j.value ->> 'n' AS n, j.value ->> 'code' AS code, d.webhook_id AS webhook_id, j.value AS value
               FROM json_each(?1) j JOIN deliveries d ON d.id = j.value ->> 'id' AND d.claim_token = j.value ->> 'token')`;

/**
 * Successful attempts, in four statements whatever the group's size: first, a webhook whose circuit
 * is open starts its drain (everything of it that waits, not in flight and not asked, joins the
 * backlog); then the log rows, the webhooks' health (a success closes nothing by itself: open becomes
 * draining, with no lead until circuitSettled releases the oldest), and the deliveries. A healthy
 * webhook's row is rewritten at most once a second.
 */
export function succeeded(d1: D1Database, attempts: FinishedAttempt[], now: number): D1PreparedStatement[] {
  if (attempts.length === 0) return [];
  const rows = rowsOf(attempts);
  return [
    d1
      .prepare(
        // Only the group's open circuits are looked into: a closed one's history is never scanned.
        `UPDATE deliveries SET held = 1, next_attempt_at = NULL, enqueued_at = NULL
         WHERE webhook_id IN (SELECT w.id FROM webhooks w WHERE w.circuit = 'open' AND w.id IN (SELECT h.webhook_id FROM ${HELD} h))
           AND status = 'pending' AND held = 0 AND asked = 0 AND (claimed_until IS NULL OR claimed_until <= ?2)`,
      )
      .bind(rows, now),
    d1
      .prepare(
        `INSERT OR IGNORE INTO attempts (delivery_id, number, started_at, duration_ms, request, response, error)
         SELECT h.id, h.n, h.value ->> 'started', h.value ->> 'duration', h.value ->> 'request', h.value ->> 'response', h.value ->> 'error'
         FROM ${HELD} h`,
      )
      .bind(rows),
    d1
      .prepare(
        `UPDATE webhooks SET consecutive_failures = 0, failing_since = NULL, last_success_at = ?2,
           probe_delivery_id = CASE circuit WHEN 'open' THEN NULL ELSE probe_delivery_id END,
           circuit = CASE circuit WHEN 'closed' THEN 'closed' ELSE 'draining' END
         WHERE id IN (SELECT h.webhook_id FROM ${HELD} h)
           AND (consecutive_failures != 0 OR circuit != 'closed' OR last_success_at IS NULL OR last_success_at <= ?2 - 1000)`,
      )
      .bind(rows, now),
    d1
      .prepare(
        `UPDATE deliveries SET attempt_count = h.n, status = 'succeeded', next_attempt_at = NULL, enqueued_at = NULL, asked = 0,
           claim_token = NULL, claimed_until = NULL, last_status_code = h.code, completed_at = ?2
         FROM ${HELD} h
         WHERE deliveries.id = h.id`,
      )
      .bind(rows, now),
  ];
}
