// Claimed: how a queue batch's attempts are claimed (the delivery machine is written at the top of
// lifecycle.ts). One D1 batch of four statements, whatever the batch's size.
import { DELIVERY_BODY, type ClaimedDelivery, type DeliveryMessage } from "./lifecycle";
import { SIGNING_COLUMNS } from "../outbound/signing-material";

export type ClaimedRow = ClaimedDelivery & { circuit: string | null; failing_since: number | null; claim_token: string };

/**
 * The statements that claim a batch of messages' attempts, and where their read is:
 * 1. an open circuit with no probe takes the oldest due delivery among them (not asked) as its probe;
 * 2. every other due delivery of an open circuit, unless a person asked for it, is held (the backlog);
 * 3. each message's attempt is claimed for its token until `until` (of several messages for one
 *    attempt, one wins), only while its webhook is enabled (a test call goes whatever);
 * 4. what the won attempts need is read, each row with its token.
 */
export function claimed(d1: D1Database, messages: DeliveryMessage[], tokens: string[], now: number, dueBy: number, until: number) {
  const ids = JSON.stringify(messages.map((m) => m.delivery_id));
  // Due and unclaimed, for deliveries named `d` (or the table itself, with "").
  const dueAs = (d: string) =>
    `${d}status = 'pending' AND ${d}held = 0 AND ${d}next_attempt_at <= ?2 AND (${d}claimed_until IS NULL OR ${d}claimed_until <= ?3)`;
  const mine = `d.id IN (SELECT value FROM json_each(?1)) AND d.asked = 0 AND ${dueAs("d.")}`;
  const claims = JSON.stringify(messages.map((m, i) => ({ id: m.delivery_id, token: tokens[i], attempt: m.attempt })));
  const statements = [
    d1
      .prepare(
        `UPDATE webhooks SET probe_delivery_id = (SELECT d.id FROM deliveries d WHERE d.webhook_id = webhooks.id AND ${mine} ORDER BY d.seq LIMIT 1)
         WHERE circuit = 'open' AND enabled = 1 AND probe_delivery_id IS NULL AND id IN (SELECT d.webhook_id FROM deliveries d WHERE ${mine})`,
      )
      .bind(ids, dueBy, now),
    d1
      .prepare(
        `UPDATE deliveries SET held = 1, next_attempt_at = NULL, enqueued_at = NULL
         WHERE id IN (SELECT value FROM json_each(?1)) AND asked = 0 AND ${dueAs("")}
           AND EXISTS (SELECT 1 FROM webhooks w WHERE w.id = deliveries.webhook_id AND w.circuit = 'open' AND w.probe_delivery_id != deliveries.id)`,
      )
      .bind(ids, dueBy, now),
    d1
      .prepare(
        `UPDATE deliveries SET claim_token = m.token, claimed_until = ?4
         FROM (SELECT value ->> 'id' AS id, value ->> 'token' AS token, value ->> 'attempt' AS attempt FROM json_each(?1)) AS m
         WHERE deliveries.id = m.id AND deliveries.attempt_count = m.attempt - 1 AND ${dueAs("deliveries.")}
           AND EXISTS (SELECT 1 FROM webhooks w WHERE w.id = deliveries.webhook_id AND (w.enabled = 1 OR deliveries.event = 'webhook.test'))`,
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
  ];
  return { statements, read: statements.length - 1 };
}

/** A claim given back unsent (its turn for a connection came too late): the clock sends it again. */
export function claimReturned(d1: D1Database, deliveryId: string, token: string): D1PreparedStatement {
  return d1
    .prepare("UPDATE deliveries SET claim_token = NULL, claimed_until = NULL, enqueued_at = NULL WHERE id = ?1 AND claim_token = ?2")
    .bind(deliveryId, token);
}
