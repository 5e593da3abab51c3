// The delivery machine: a webhook's circuit and health, and its deliveries' states, decided here and in
// the files beside this one, one named transition each: claims.ts (claimed), finish.ts (an attempt
// recorded), circuit.ts (the circuit settled, disabled, enabled), interventions.ts (tests, "attempt
// now", recover, deletion, retention), due-work.ts (what the clock judges), with record.ts and
// health.ts putting them together for the consumer. ProjectDO, the consumer, the routes, the clock
// and retention call these transitions and decide nothing of their own; none writes delivery or
// circuit SQL of its own.
//
// A WEBHOOK
//   enabled ── disabled by hand ──► disabled: what waited fails ("webhook disabled"); no attempt starts
//   enabled ── 410, or failing past WEBHOOK_AUTO_DISABLE_SECONDS (judged by the clock) ──► disabled,
//              the same, and webhook.disabled notices to the webhooks that subscribed
//   disabled ── enabled by hand ──► enabled, circuit closed, counters reset
//   closed ── 5 failed attempts in a row ──► open: the failing delivery is the probe if it has a retry;
//             every other waiting delivery is held (the backlog)
//   open ── the probe ends without success (its last attempt, or 410) ──► open, the oldest held
//           delivery the probe, due one retry step later; nothing held: no probe until the next delivery
//   open ── any successful attempt (the probe's, a test's, "attempt now"'s) ──► draining
//   draining ── the released delivery's attempt ends ──► draining, the next oldest held released now;
//               nothing held ──► closed
//   draining ── 5 failed attempts in a row ──► open (as from closed)
//
// A DELIVERY (pending until it ends succeeded or failed)
//   created for an event ─► due now; held when its webhook's circuit is draining, or open with a probe
//   created with a body ─► due now                          (a test: asked; a webhook.disabled notice)
//   due ── swept when due ─► due, its message sent           (the clock; again if the message was lost)
//   due ── claimed ─► in flight until T                      (the consumer, once per attempt)
//   due ── claimed while its circuit is open, not the probe, not asked ─► held
//   in flight ── finished ─► succeeded | failed | due at its next retry | held (open circuit, not the probe)
//   held ── released (the probe hand-off, the drain) ─► due
//   any ── redelivered ("attempt now") ─► due now, asked      (a finished one gets one final attempt)
//   failed ── recovered ─► due now (closed circuit) or held (open or draining), final
//   pending ── webhook disabled ─► failed ("webhook disabled")
//   succeeded | failed, older than retention ── pruned ─► gone, with its attempts
//
// Invariants:
// - A pending delivery always has something that will move it: a due time its clock's alarm will
//   honour (every transition that makes a delivery due arms that clock, or says which clock does),
//   an attempt in flight, or a place in the backlog behind a live lead (the probe, or the drain's
//   released delivery, itself due or in flight).
// - An open circuit has at most one probe; only the probe, asked deliveries (a person's request) and
//   attempts already in flight when it opened are attempted while it is open.
// - The backlog drains oldest first (by change), one released delivery at a time.
// - A disabled webhook has nothing waiting and starts no attempt (but a test call, which a person asks).
// - A committed event has exactly one delivery per webhook enabled and matching at commit time.
// - An attempt is made at most once per (delivery, attempt number): only a claim leads to a request,
//   only the claim's holder records it, and a claim outlives the longest attempt it may start
//   (waiting for a connection, sending, reading, recording), so no sweep sends one still in flight.
// - Every attempt is logged exactly once, in the same batch that moves its delivery on.
// - A delivery has at most 1 + schedule.length attempts unless a person asks for one more. Waiting
//   behind a circuit is no attempt.
// - Nothing pending is ever pruned, nor the event it still has to send.
import { webhookMatches } from "../outbound/matching";
import type { SigningColumns } from "../outbound/signing-material";
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
 * render that format (outbound/event-bodies.ts renders it then; "" is the tggl column's "not rendered").
 */
export const DELIVERY_BODY =
  "COALESCE(d.body, CASE d.format WHEN 'tggl' THEN NULLIF(e.tggl_body, '') WHEN 'slack' THEN e.slack_body WHEN 'sentry' THEN e.sentry_body ELSE e.rollgate_body END)";

/** Whether webhook `w`'s circuit holds a new delivery behind its backlog (a live lead exists). */
export const HOLDS = "(w.circuit = 'draining' OR (w.circuit = 'open' AND w.probe_delivery_id IS NOT NULL))";

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
 * event row was (a change that did not land announces nothing). A webhook whose circuit is draining,
 * or open with a probe, gets its delivery held behind those already waiting; an open circuit with no
 * probe gets it due now, and the first of those claimed becomes the probe (claims.ts). Returns the
 * deliveries with whether each is held; the writer sends the others (its clock was armed first).
 */
export function createdForEvent(d1: D1Database, a: EventAddress): D1PreparedStatement {
  return d1
    .prepare(
      `INSERT INTO deliveries (id, webhook_id, org_id, project_id, event_id, event, format, status,
                               attempt_count, next_attempt_at, enqueued_at, final, created_at, held)
       SELECT ${SQL_UUID}, w.id, w.org_id, ?1, ?2, ?3, w.format, 'pending', 0,
              CASE WHEN ${HOLDS} THEN NULL ELSE ?4 END, CASE WHEN ${HOLDS} THEN NULL ELSE ?4 END, 0, ?4, ${HOLDS}
       FROM webhooks w
       WHERE ${webhookMatches({ orgId: "?5", projectId: "?1", event: "?3", envKey: "?6" })}
         AND EXISTS (SELECT 1 FROM events WHERE id = ?2)
       ORDER BY w.seq
       RETURNING id, held`,
    )
    .bind(a.projectId, a.eventId, a.event, a.now, a.orgId, a.envKey);
}

/** A notice that is not a change (a change request opened or approved), with its body in each format it is sent in. */
export interface Announcement {
  orgId: string;
  projectId: string;
  event: string;
  envKey: string | null;
  bodies: { rollgate: string; slack: string };
  now: number;
}

/**
 * Created for an announcement: like createdForEvent (the same webhooks match, the same circuit rules
 * hold a delivery or make it due now), for the webhooks of the formats it is rendered in, with its
 * own body. Returns the deliveries with whether each is held; the caller sends the others.
 */
export function createdForAnnouncement(d1: D1Database, a: Announcement): D1PreparedStatement {
  return (
    d1
      .prepare(
        `INSERT INTO deliveries (id, webhook_id, org_id, project_id, event_id, event, format, body, status,
                               attempt_count, next_attempt_at, enqueued_at, final, created_at, held)
       SELECT ${SQL_UUID}, w.id, w.org_id, ?1, ?2, ?3, w.format, CASE w.format WHEN 'slack' THEN ?8 ELSE ?7 END, 'pending', 0,
              CASE WHEN ${HOLDS} THEN NULL ELSE ?4 END, CASE WHEN ${HOLDS} THEN NULL ELSE ?4 END, 0, ?4, ${HOLDS}
       FROM webhooks w
       WHERE ${webhookMatches({ orgId: "?5", projectId: "?1", event: "?3", envKey: "?6" })}
         AND w.format IN ('rollgate', 'slack')
       ORDER BY w.seq
       RETURNING id, held`,
      )
      // ?2: a notice has no event row
      .bind(a.projectId, null, a.event, a.now, a.orgId, a.envKey, a.bodies.rollgate, a.bodies.slack)
  );
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

/** The ids as one bound JSON parameter (D1 binds at most 100 parameters a statement). */
export const jsonIds = (ids: Iterable<string>) => JSON.stringify([...new Set(ids)]);
