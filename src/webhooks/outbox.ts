// The delivery outbox. A change's deliveries are written in the change's own D1 batch (so a
// committed change always has them); sending their queue messages comes after, and the project's
// alarm re-sends whatever is due and was never sent, or was sent long enough ago to be presumed lost.
import { and, eq, inArray, sql } from "drizzle-orm";
import { deliveries } from "../db/schema";
import type { Db } from "../flags/store";
import { webhookMatches } from "./matching";

/** One queue message: one attempt of one delivery. */
export interface DeliveryMessage {
  delivery_id: string;
  attempt: number;
}

const SQL_UUID = `lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' ||
   substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))`;

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
 * One pending delivery per enabled webhook that matches the event, chosen inside the batch so the
 * set of webhooks is exactly the one at commit time. Returns the new delivery ids.
 */
export function insertDeliveries(d1: D1Database, a: EventAddress): D1PreparedStatement {
  return d1
    .prepare(
      `INSERT INTO deliveries (id, webhook_id, org_id, project_id, event_id, event, format, status,
                               attempt_count, next_attempt_at, enqueued_at, final, created_at)
       SELECT ${SQL_UUID}, w.id, w.org_id, ?1, ?2, ?3, w.format, 'pending', 0, ?4, ?4, 0, ?4
       FROM webhooks w
       WHERE ${webhookMatches({ orgId: "?5", projectId: "?1", event: "?3", envKey: "?6" })}
       ORDER BY w.seq
       RETURNING id`,
    )
    .bind(a.projectId, a.eventId, a.event, a.now, a.orgId, a.envKey);
}

/** Test-only, set by src/faults.ts (off unless FAULT_INJECTION): what the next queue sends do: `fail` ones throw, `drop` ones are silently lost. Module state of
 *  this isolate, shared with the ProjectDO instances it hosts (the local runtime runs both in one). */
export const sendFaults = { fail: 0, drop: 0 };

/** Consulted by the outbox before each queue send: "fail", "drop", or null (no fault injected). */
function takeSendFault(): "fail" | "drop" | null {
  if (sendFaults.fail > 0) {
    sendFaults.fail--;
    return "fail";
  }
  if (sendFaults.drop > 0) {
    sendFaults.drop--;
    return "drop";
  }
  return null;
}

/** Sends the messages; answers the delivery ids whose message could not be sent. */
export async function enqueueAttempts(queue: Queue<DeliveryMessage>, messages: DeliveryMessage[]): Promise<string[]> {
  const failed: string[] = [];
  for (let i = 0; i < messages.length; i += 100) {
    const chunk = messages.slice(i, i + 100);
    try {
      const fault = takeSendFault(); // always null unless the fault suite set it
      if (fault === "fail") throw new Error("injected fault: the queue send failed");
      if (fault !== "drop") await queue.sendBatch(chunk.map((body) => ({ body, contentType: "json" as const })));
    } catch (err) {
      console.error("queue send failed; the project's alarm will re-send", String(err));
      failed.push(...chunk.map((m) => m.delivery_id));
    }
  }
  return failed;
}

/** Marks deliveries as never sent, so the next sweep sends them at once. */
export async function markUnsent(db: Db, ids: string[]): Promise<void> {
  for (let i = 0; i < ids.length; i += 50) {
    await db.update(deliveries).set({ enqueuedAt: null }).where(inArray(deliveries.id, ids.slice(i, i + 50)));
  }
}

const SWEEP_LIMIT = 500;

/**
 * Re-sends every due attempt of the project that has no live message: never sent, or sent more than
 * `requeueAfterMs` ago and not claimed by a consumer since (or its claim expired). Answers when the
 * project next needs a sweep, or null when nothing is pending.
 */
export async function sweepDueDeliveries(db: Db, queue: Queue<DeliveryMessage>, projectId: string, now: number, requeueAfterMs: number): Promise<number | null> {
  const stale = now - requeueAfterMs;
  const due = await db
    .select({ id: deliveries.id, attemptCount: deliveries.attemptCount })
    .from(deliveries)
    .where(
      and(
        eq(deliveries.projectId, projectId),
        eq(deliveries.status, "pending"),
        sql`${deliveries.nextAttemptAt} <= ${now}`,
        sql`(${deliveries.enqueuedAt} IS NULL OR ${deliveries.enqueuedAt} <= ${stale})`,
        sql`(${deliveries.claimedUntil} IS NULL OR ${deliveries.claimedUntil} <= ${now})`,
      ),
    )
    .limit(SWEEP_LIMIT);
  if (due.length) {
    const ids = due.map((d) => d.id);
    for (let i = 0; i < ids.length; i += 50) {
      await db.update(deliveries).set({ enqueuedAt: now }).where(inArray(deliveries.id, ids.slice(i, i + 50)));
    }
    const failed = await enqueueAttempts(queue, due.map((d) => ({ delivery_id: d.id, attempt: d.attemptCount + 1 })));
    if (failed.length) await markUnsent(db, failed);
    if (failed.length || due.length === SWEEP_LIMIT) return now + 1000;
  }
  return nextSweepAt(db, projectId, requeueAfterMs);
}

/** The earliest moment a pending delivery of the project could need the sweep. */
async function nextSweepAt(db: Db, projectId: string, requeueAfterMs: number): Promise<number | null> {
  const [row] = await db
    .select({
      at: sql<number | null>`MIN(MAX(${deliveries.nextAttemptAt},
                                    COALESCE(${deliveries.enqueuedAt} + ${requeueAfterMs}, 0),
                                    COALESCE(${deliveries.claimedUntil}, 0)))`,
    })
    .from(deliveries)
    .where(and(eq(deliveries.projectId, projectId), eq(deliveries.status, "pending")));
  return row?.at ?? null;
}
