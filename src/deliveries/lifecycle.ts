// The life of a delivery: every statement that creates or moves a delivery row is in this file (the
// path every change's deliveries take) and in interventions.ts (what a person, a disabled webhook or
// the retention calendar starts), one named transition each. ProjectDO, the consumer, the routes and
// retention call these; none writes delivery SQL of its own.
//
//   created for an event ──► pending (due now, or held when its webhook's circuit is not closed)
//   created with a body ──► pending, due now                 (a test, a webhook.disabled notice)
//   pending ── swept when due ──► pending, enqueued          (the alarm's outbox sweep)
//   pending ── marked unsent ──► pending, never sent         (a queue send failed)
//   pending ── claimed ──► pending, claimed until T          (the consumer, once per attempt)
//   pending ── held by an open circuit ──► pending, held     (due, but its webhook is not taking it)
//   held ── released ──► pending, due now                    (oldest first, one at a time)
//   pending ── held for the drain ──► pending, held          (a probe succeeded: retries join the backlog)
//   claimed ── finished ──► succeeded | failed | pending with the next attempt scheduled
//   succeeded | failed | pending ── redelivered ──► pending, due now
//   failed ── recovered ──► pending, due now, final
//   pending ── webhook disabled ──► failed ("webhook disabled")
//   succeeded | failed, older than retention ── pruned ──► gone, with its attempts
//
// Invariants:
// - A committed event has exactly one delivery per webhook that matched it at commit time: the
//   deliveries are inserted in the change's own batch, and only if its event row was.
// - An attempt is made at most once per (delivery, attempt number): only a claim (a conditional
//   update on status, attempt count, due time and an expired or absent claim) leads to a request,
//   and only the claim's holder may finish it. A claim expires, so a dead consumer's attempt is
//   sent again.
// - Every attempt is logged exactly once, in the same batch that moves its delivery on.
// - A delivery has at most 1 + schedule.length attempts unless a person asks for one more (a
//   redelivery of a finished delivery, a recovery: those are `final`, never retried; a redelivery
//   of a pending one only brings its next attempt forward). Waiting behind a circuit is no attempt.
// - A webhook whose circuit is open has at most one delivery attempted at a time, its probe; the
//   others are held. When the probe succeeds, held deliveries are released oldest first, the next
//   one when the last has been attempted; a held delivery is never claimed.
// - Nothing pending is ever pruned, nor the event it still has to send.
// - A pending delivery is due (next_attempt_at set) or held (next_attempt_at null), never neither.
import { webhookMatches } from "../webhooks/matching";
import { SIGNING_COLUMNS, type SigningColumns } from "../webhooks/signing-material";
/** One queue message: one attempt of one delivery. */
export interface DeliveryMessage {
  delivery_id: string;
  attempt: number;
}

/** When a delivery's next attempt is due (decided by clock.ts), or null when it has had its last. */
export interface Retry {
  at: number | null;
}

/** Failed attempts in a row after which a webhook's circuit opens. */
export const CIRCUIT_THRESHOLD = 5;

/** A fresh UUID (v4) in SQL, for rows created inside a batch. */
export const SQL_UUID = `lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' ||
   substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))`;

/**
 * The body a delivery sends, as an SQL expression over `deliveries d` joined to `events e`: its own
 * (tests, notices), or its event's rendering in the delivery's format; null when its change did not
 * render that format (webhooks/event-bodies.ts renders it then; "" is the tggl column's "not rendered").
 */
export const DELIVERY_BODY =
  "COALESCE(d.body, CASE d.format WHEN 'tggl' THEN NULLIF(e.tggl_body, '') WHEN 'slack' THEN e.slack_body WHEN 'sentry' THEN e.sentry_body ELSE e.rollgate_body END)";

export interface EventAddress {
  orgId: string;
  projectId: string;
  eventId: string;
  event: string;
  /** Null for flag-level events, which no environment filter narrows. */
  envKey: string | null;
  now: number;
}

/**
 * Created for an event: one pending delivery per enabled webhook that matches it, chosen inside the
 * change's batch so the set of webhooks is exactly the one at commit time, and inserted only if the
 * event row was (a change that did not land announces nothing). A webhook whose circuit is not
 * closed gets its delivery held, behind those already waiting. Returns the ids of deliveries due now.
 */
export function createdForEvent(d1: D1Database, a: EventAddress): D1PreparedStatement {
  return d1
    .prepare(
      `INSERT INTO deliveries (id, webhook_id, org_id, project_id, event_id, event, format, status,
                               attempt_count, next_attempt_at, enqueued_at, final, created_at, held)
       SELECT ${SQL_UUID}, w.id, w.org_id, ?1, ?2, ?3, w.format, 'pending', 0,
              CASE w.circuit WHEN 'closed' THEN ?4 END, CASE w.circuit WHEN 'closed' THEN ?4 END, 0, ?4,
              w.circuit != 'closed'
       FROM webhooks w
       WHERE ${webhookMatches({ orgId: "?5", projectId: "?1", event: "?3", envKey: "?6" })}
         AND EXISTS (SELECT 1 FROM events WHERE id = ?2)
       ORDER BY w.seq
       RETURNING id, held`,
    )
    .bind(a.projectId, a.eventId, a.event, a.now, a.orgId, a.envKey);
}

/** Marked unsent: its queue message never left, so the next sweep sends it at once. */
export function markedUnsent(d1: D1Database, ids: string[]): D1PreparedStatement[] {
  const out: D1PreparedStatement[] = [];
  for (let i = 0; i < ids.length; i += 90) {
    const chunk = ids.slice(i, i + 90);
    out.push(d1.prepare(`UPDATE deliveries SET enqueued_at = NULL WHERE id IN (${chunk.map(() => "?").join(",")})`).bind(...chunk));
  }
  return out;
}

/**
 * Swept when due: every due attempt of the clock's deliveries that has no live message (never
 * sent, or sent more than `requeueAfterMs` ago and not claimed since, or its claim expired) is
 * marked sent now and answered, at most `limit` of them.
 */
export async function sweptWhenDue(d1: D1Database, clockId: string, now: number, requeueAfterMs: number, limit: number): Promise<DeliveryMessage[]> {
  const { results } = await d1
    .prepare(
      `UPDATE deliveries SET enqueued_at = ?2
       WHERE seq IN (SELECT seq FROM deliveries
                     WHERE project_id = ?1 AND status = 'pending' AND held = 0 AND next_attempt_at <= ?2
                       AND (enqueued_at IS NULL OR enqueued_at <= ?3)
                       AND (claimed_until IS NULL OR claimed_until <= ?2)
                     ORDER BY seq LIMIT ?4)
       RETURNING seq, id, attempt_count`,
    )
    .bind(clockId, now, now - requeueAfterMs, limit)
    .all<{ seq: number; id: string; attempt_count: number }>();
  // Oldest first, so a backlog is sent in the order of its changes.
  return results.sort((a, b) => a.seq - b.seq).map((r) => ({ delivery_id: r.id, attempt: r.attempt_count + 1 }));
}

/** The earliest moment a pending delivery of the clock could need the sweep; null when none. */
export async function nextDueAt(d1: D1Database, clockId: string, requeueAfterMs: number): Promise<number | null> {
  const row = await d1
    .prepare(
      `SELECT MIN(MAX(next_attempt_at, COALESCE(enqueued_at + ?2, 0), COALESCE(claimed_until, 0))) AS at
       FROM deliveries WHERE project_id = ?1 AND status = 'pending' AND next_attempt_at IS NOT NULL`,
    )
    .bind(clockId, requeueAfterMs)
    .first<{ at: number | null }>();
  return row?.at ?? null;
}

/** What a claimed attempt needs: the delivery, its webhook (null columns once deleted) and its body. */
export interface ClaimedDelivery extends SigningColumns {
  id: string;
  webhook_id: string;
  org_id: string;
  event: string;
  event_id: string | null;
  final: number;
  project_id: string | null;
  name: string | null;
  url: string | null;
  headers: string | null;
  headers_masked: string | null;
  webhook_project_id: string | null;
  /** Null when its event's body in this format was not rendered (the consumer renders it then). */
  body: string | null;
  /** The event's revision; null for deliveries with no event (tests, notices). */
  revision: number | null;
}

/**
 * Claimed: the statements that claim a batch of messages' attempts. First, for the whole batch, an
 * open circuit without a probe takes the oldest due delivery among them as its probe, and every
 * other due delivery of an open circuit is held (waiting, no attempt). Then each message's attempt
 * is claimed for its token until `until` (of several messages for one attempt, one wins), and what
 * the won attempts need is read, each row with its token. Three statements, whatever the batch's
 * size. Answers the statements and where the read is.
 */
export function claimed(d1: D1Database, messages: DeliveryMessage[], tokens: string[], now: number, dueBy: number, until: number) {
  const ids = JSON.stringify(messages.map((m) => m.delivery_id));
  // Due and unclaimed, for deliveries named `d` (or the table itself, with "").
  const dueAs = (d: string) => `${d}status = 'pending' AND ${d}held = 0 AND ${d}next_attempt_at <= ?2 AND (${d}claimed_until IS NULL OR ${d}claimed_until <= ?3)`;
  const due = dueAs("");
  const statements = [
    d1
      .prepare(
        `UPDATE webhooks SET probe_delivery_id = (
           SELECT d.id FROM deliveries d WHERE d.webhook_id = webhooks.id AND d.id IN (SELECT value FROM json_each(?1)) AND d.final = 0 AND ${dueAs("d.")}
           ORDER BY d.seq LIMIT 1)
         WHERE circuit = 'open' AND probe_delivery_id IS NULL
           AND id IN (SELECT d.webhook_id FROM deliveries d WHERE d.id IN (SELECT value FROM json_each(?1)) AND d.final = 0 AND ${dueAs("d.")})`,
      )
      .bind(ids, dueBy, now),
    d1
      .prepare(
        `UPDATE deliveries SET held = 1, next_attempt_at = NULL, enqueued_at = NULL
         WHERE id IN (SELECT value FROM json_each(?1)) AND final = 0 AND ${due}
           AND EXISTS (SELECT 1 FROM webhooks w WHERE w.id = deliveries.webhook_id AND w.circuit = 'open' AND w.probe_delivery_id != deliveries.id)`,
      )
      .bind(ids, dueBy, now),
  ];
  const claims = JSON.stringify(messages.map((m, i) => ({ id: m.delivery_id, token: tokens[i], attempt: m.attempt })));
  statements.push(
    d1
      .prepare(
        `UPDATE deliveries SET claim_token = m.token, claimed_until = ?4
         FROM (SELECT value ->> 'id' AS id, value ->> 'token' AS token, value ->> 'attempt' AS attempt FROM json_each(?1)) AS m
         WHERE deliveries.id = m.id AND deliveries.attempt_count = m.attempt - 1 AND ${due}`,
      )
      .bind(claims, dueBy, now, until),
    d1
      .prepare(
        `SELECT d.id, d.claim_token, d.webhook_id, d.org_id, d.event, d.event_id, d.final, d.project_id, w.name, w.url, ${SIGNING_COLUMNS}, w.headers,
                w.headers_masked, w.project_id AS webhook_project_id, w.circuit, w.failing_since, ${DELIVERY_BODY} AS body,
                e.revision AS revision
         FROM deliveries d LEFT JOIN webhooks w ON w.id = d.webhook_id LEFT JOIN events e ON e.id = d.event_id
         WHERE d.id IN (SELECT value ->> 'id' FROM json_each(?1)) AND d.claim_token IN (SELECT value ->> 'token' FROM json_each(?1))`,
      )
      .bind(claims),
  );
  return { statements, read: statements.length - 1 };
}

export interface AttemptLog {
  startedAt: number;
  durationMs: number;
  request: { url: string; headers: Record<string, string> };
  response: { status_code: number; headers: Record<string, string>; body: string } | null;
  error: string | null;
}

export interface FinishedAttempt {
  deliveryId: string;
  webhookId: string;
  token: string;
  n: number;
  log: AttemptLog;
  ok: boolean;
  /** What the retry clock decided (clock.ts): when the next attempt is due, or null when none. */
  retry: Retry;
  now: number;
}

/**
 * Finished: the attempt's log row and the delivery's next state, both only for the claim's holder;
 * then the webhook's health: a success closes the circuit (draining what waited, see `released`),
 * a failure counts toward opening it. A failed probe hands the probe on when its delivery is done.
 */
export function finished(d1: D1Database, f: FinishedAttempt): D1PreparedStatement[] {
  const status = f.ok ? "succeeded" : f.retry.at === null ? "failed" : "pending";
  const claimHeld = `EXISTS (SELECT 1 FROM deliveries WHERE id = ?1 AND claim_token = ?2)`;
  return [
    d1
      .prepare(
        `INSERT OR IGNORE INTO attempts (delivery_id, number, started_at, duration_ms, request, response, error)
         SELECT ?1, ?3, ?4, ?5, ?6, ?7, ?8 WHERE ${claimHeld}`,
      )
      .bind(f.deliveryId, f.token, f.n, f.log.startedAt, f.log.durationMs, JSON.stringify(f.log.request), f.log.response && JSON.stringify(f.log.response), f.log.error),
    f.ok
      ? d1
          .prepare(
            `UPDATE webhooks SET consecutive_failures = 0, failing_since = NULL, last_success_at = ?3, probe_delivery_id = NULL,
               circuit = CASE circuit WHEN 'closed' THEN 'closed' ELSE 'draining' END
             WHERE id = ?4 AND ${claimHeld}
               -- A healthy webhook's row is rewritten at most once a second (last_success_at to the second).
               AND (consecutive_failures != 0 OR circuit != 'closed' OR last_success_at IS NULL OR last_success_at <= ?3 - 1000)`,
          )
          .bind(f.deliveryId, f.token, f.now, f.webhookId)
      : d1
          .prepare(
            `UPDATE webhooks SET consecutive_failures = consecutive_failures + 1, failing_since = COALESCE(failing_since, ?3),
               last_failure_at = ?3,
               circuit = CASE WHEN consecutive_failures + 1 >= ${CIRCUIT_THRESHOLD} THEN 'open' ELSE circuit END,
               probe_delivery_id = CASE WHEN consecutive_failures + 1 < ${CIRCUIT_THRESHOLD} THEN probe_delivery_id
                                        WHEN ?5 = 'pending' THEN ?1 ELSE NULL END
             WHERE id = ?4 AND ${claimHeld}`,
          )
          .bind(f.deliveryId, f.token, f.now, f.webhookId, status),
    d1
      .prepare(
        `UPDATE deliveries SET attempt_count = ?3, status = ?4, next_attempt_at = ?5, enqueued_at = NULL,
           claim_token = NULL, claimed_until = NULL, last_status_code = ?6, completed_at = ?7
         WHERE id = ?1 AND claim_token = ?2`,
      )
      .bind(f.deliveryId, f.token, f.n, status, f.retry.at, f.log.response?.status_code ?? null, status === "pending" ? null : f.now),
  ];
}

/**
 * Finished, for a group of successful attempts whose webhooks' circuits were closed when they were
 * claimed (the common case): the same rows `finished` writes for each, in three statements whatever
 * the group's size (their log rows, their webhooks' health, their deliveries), each only for the
 * claim's holder. A webhook with many successes in the group is written once.
 */
export function succeededTogether(d1: D1Database, attempts: FinishedAttempt[], now: number): D1PreparedStatement[] {
  if (attempts.length === 0) return [];
  const rows = JSON.stringify(
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
  // The group's attempts whose claim is still held, as a table.
  const held = `(SELECT j.value ->> 'id' AS id, j.value ->> 'n' AS n, j.value ->> 'code' AS code, d.webhook_id AS webhook_id, j.value AS value
                 FROM json_each(?1) j JOIN deliveries d ON d.id = j.value ->> 'id' AND d.claim_token = j.value ->> 'token')`;
  return [
    d1
      .prepare(
        `INSERT OR IGNORE INTO attempts (delivery_id, number, started_at, duration_ms, request, response, error)
         SELECT h.id, h.n, h.value ->> 'started', h.value ->> 'duration', h.value ->> 'request', h.value ->> 'response', h.value ->> 'error'
         FROM ${held} h`,
      )
      .bind(rows),
    d1
      .prepare(
        `UPDATE webhooks SET consecutive_failures = 0, failing_since = NULL, last_success_at = ?2, probe_delivery_id = NULL,
           circuit = CASE circuit WHEN 'closed' THEN 'closed' ELSE 'draining' END
         WHERE id IN (SELECT h.webhook_id FROM ${held} h)
           -- A healthy webhook's row is rewritten at most once a second (last_success_at to the second).
           AND (consecutive_failures != 0 OR circuit != 'closed' OR last_success_at IS NULL OR last_success_at <= ?2 - 1000)`,
      )
      .bind(rows, now),
    d1
      .prepare(
        `UPDATE deliveries SET attempt_count = h.n, status = 'succeeded', next_attempt_at = NULL, enqueued_at = NULL,
           claim_token = NULL, claimed_until = NULL, last_status_code = h.code, completed_at = ?2
         FROM ${held} h
         WHERE deliveries.id = h.id`,
      )
      .bind(rows, now),
  ];
}

/**
 * Held for the drain: when a probe closes an open circuit, every other delivery of the webhook that
 * waits for a scheduled retry joins the held ones, so the backlog is sent in the order of its changes.
 */
export function heldForDrain(d1: D1Database, webhookId: string, probeId: string, now: number): D1PreparedStatement {
  return d1
    .prepare(
      `UPDATE deliveries SET held = 1, next_attempt_at = NULL, enqueued_at = NULL
       WHERE webhook_id = ?1 AND id != ?2 AND status = 'pending' AND held = 0 AND final = 0
         AND (claimed_until IS NULL OR claimed_until <= ?3)`,
    )
    .bind(webhookId, probeId, now);
}

/**
 * Released: the oldest held delivery of a webhook whose circuit is draining (or, for an open
 * circuit that lost its probe, the next probe) becomes due at `at`, marked sent when the caller
 * sends its message at once (`sentAt`). When nothing is held any more a draining circuit closes.
 * Answers the released delivery's id, clock and attempt count, if any.
 */
export function released(d1: D1Database, webhookId: string, at: number, sentAt: number | null): D1PreparedStatement[] {
  return [
    d1
      .prepare(
        `UPDATE deliveries SET held = 0, next_attempt_at = ?2, enqueued_at = ?3
         WHERE seq = (SELECT d.seq FROM deliveries d WHERE d.webhook_id = ?1 AND d.held = 1 AND d.status = 'pending' ORDER BY d.seq LIMIT 1)
           AND EXISTS (SELECT 1 FROM webhooks w WHERE w.id = ?1 AND w.enabled = 1
                       AND (w.circuit = 'draining' OR (w.circuit = 'open' AND w.probe_delivery_id IS NULL)))
           AND NOT EXISTS (SELECT 1 FROM deliveries o WHERE o.webhook_id = ?1 AND o.status = 'pending' AND o.held = 0 AND o.final = 0
                           AND o.next_attempt_at IS NOT NULL AND o.next_attempt_at <= ?2)
         RETURNING id, project_id, attempt_count`,
      )
      .bind(webhookId, at, sentAt),
    d1
      .prepare(
        `UPDATE webhooks SET circuit = 'closed'
         WHERE id = ?1 AND circuit = 'draining'
           AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.webhook_id = ?1 AND d.held = 1 AND d.status = 'pending')`,
      )
      .bind(webhookId),
  ];
}
