// The kinds of work a project's clock rings for, each its own queue with its own "next due": the
// deliveries due (lifecycle.ts: sweptWhenDue, nextDueAt) and the webhooks judged for auto-disable
// here. The alarm is set to the earliest of the queues, so one kind's burst never delays another's
// due time; a later kind of due work (a scheduled change) adds a queue beside these.
import { readSettings } from "../kernel/env";
import { circuitSettled, disabledByFlagpost, type Released } from "./circuit";
import { disablingOf } from "./health";
import { jsonIds } from "./lifecycle";

/** The clock's own webhooks, as an SQL condition on `webhooks` with the clock's id as ?1. */
function clockWebhooks(clockId: string): string {
  return clockId.startsWith("org:") ? "project_id IS NULL AND org_id = substr(?1, 5)" : "project_id = ?1";
}

interface FailingRow {
  id: string;
  org_id: string;
  project_id: string | null;
  name: string;
  url: string;
}

/**
 * Auto-disable, judged by the clock: every enabled webhook of this clock failing with no success for
 * WEBHOOK_AUTO_DISABLE_SECONDS is disabled ("failing"), what it had waiting fails, and notices go out
 * (due now on this clock: the ring's sweep, which runs next, sends them). Answers how many were disabled.
 */
export async function judgedFailing(env: Env, clockId: string, now: number): Promise<number> {
  const cutoff = now - readSettings(env).autoDisableSeconds * 1000;
  const { results } = await env.DB.prepare(
    `SELECT id, org_id, project_id, name, url FROM webhooks WHERE ${clockWebhooks(clockId)} AND failing_since IS NOT NULL AND failing_since <= ?2 AND enabled = 1`,
  )
    .bind(clockId, cutoff)
    .all<FailingRow>();
  if (!results.length) return 0;
  const statements = results.flatMap((w) =>
    disabledByFlagpost(env.DB, disablingOf({ id: w.id, name: w.name, url: w.url, projectId: w.project_id, orgId: w.org_id }, "failing", clockId, now)),
  );
  await env.DB.batch(statements);
  return results.length;
}

/** When the next webhook of this clock reaches its auto-disable deadline; null when none is failing. */
export async function nextFailingDeadline(env: Env, clockId: string): Promise<number | null> {
  const row = await env.DB.prepare(
    `SELECT MIN(failing_since) AS at FROM webhooks WHERE ${clockWebhooks(clockId)} AND failing_since IS NOT NULL AND enabled = 1`,
  )
    .bind(clockId)
    .first<{ at: number | null }>();
  return row?.at == null ? null : row.at + readSettings(env).autoDisableSeconds * 1000;
}

/**
 * Held deliveries of this clock whose circuit has no live lead, whatever state they were left in (a
 * webhook disabled and enabled before the rules of lifecycle.ts): a closed circuit releases them, an
 * open or draining one takes the oldest as its lead, due now, for the sweep that follows to send.
 */
export async function repairedBacklogs(env: Env, clockId: string, now: number): Promise<Released[]> {
  const { results } = await env.DB.prepare(
    `SELECT DISTINCT d.webhook_id FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id
     WHERE d.project_id = ?1 AND d.status = 'pending' AND d.next_attempt_at IS NULL AND d.held = 1
       AND (w.circuit = 'closed' OR w.probe_delivery_id IS NULL
            OR NOT EXISTS (SELECT 1 FROM deliveries p WHERE p.id = w.probe_delivery_id AND p.status = 'pending'))`,
  )
    .bind(clockId)
    .all<{ webhook_id: string }>();
  if (!results.length) return [];
  const ids = results.map((r) => r.webhook_id);
  const settled = circuitSettled(env.DB, { webhookIds: ids, finishedIds: [], now, handOffAt: now, sendsNow: false });
  const out = await env.DB.batch<Released>([
    env.DB.prepare(
      `UPDATE deliveries SET held = 0, next_attempt_at = ?2, enqueued_at = NULL
         WHERE webhook_id IN (SELECT value FROM json_each(?1)) AND status = 'pending' AND held = 1
           AND EXISTS (SELECT 1 FROM webhooks w WHERE w.id = deliveries.webhook_id AND w.circuit = 'closed')`,
    ).bind(jsonIds(ids), now),
    ...settled,
  ]);
  return out[out.length - 1].results;
}
