// The retry clock: when a delivery's next attempt is due, and the Durable Object alarm that makes
// it happen. Timing and logic live together here; ProjectDO only hosts the clock.
//
// Guarantees:
// - The alarm rings at the earliest of the clock's queues of due work (due-work.ts): deliveries due
//   (or whose message may be lost), webhooks reaching their auto-disable deadline.
// - Arming never moves an alarm later: arms run one at a time, each compares with the alarm as set.
// - A ring that throws (D1 or the queue unavailable) re-arms the alarm with back-off instead of
//   stranding the project's deliveries; the back-off resets after a ring that works.
// - Two rings at once (an alarm delivered twice) are harmless: the sweep marks what it sends, and
//   the consumer's claim makes one request per attempt whatever the number of messages.
import { judgedFailing, nextFailingDeadline, repairedBacklogs } from "./due-work";
import { markedUnsent, nextDueAt, sweptWhenDue, type DeliveryMessage, type Retry } from "./lifecycle";
import { enqueueAttempts } from "./queue";

/** A Retry-After is honoured up to this long. */
export const RETRY_AFTER_CAP_MS = 12 * 3600_000;
const SWEEP_LIMIT = 500;
const RING_BACKOFF_MS = [1_000, 5_000, 30_000, 120_000, 600_000];

export interface AttemptVerdict {
  ok: boolean;
  statusCode: number | null;
  retryAfter: string | null;
}

/**
 * After attempt `n`: a success, a final attempt, the last of the schedule or a 410 have no next one;
 * otherwise the schedule's delay, or a receiver's 429 Retry-After when that is later (capped).
 */
export function nextAttempt(n: number, v: AttemptVerdict, final: boolean, schedule: number[], now: number): Retry {
  if (v.ok || final || n > schedule.length || v.statusCode === 410) return { at: null };
  const scheduled = now + schedule[n - 1] * 1000;
  if (v.statusCode !== 429) return { at: scheduled };
  const asked = retryAfterMs(v.retryAfter, now);
  return { at: asked === null ? scheduled : Math.max(scheduled, now + Math.min(asked, RETRY_AFTER_CAP_MS)) };
}

/** A Retry-After header (delay in seconds, or an HTTP date) as milliseconds from now. */
export function retryAfterMs(header: string | null, now: number): number | null {
  if (!header) return null;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/** A message sent this long ago whose attempt has not happened is presumed lost and sent again. */
export function requeueAfterMs(deliveryTimeoutMs: number): number {
  return Math.max(2 * deliveryTimeoutMs, 10_000);
}

/** Where the clock of a delivery with no project lives (an organization webhook's test). */
export function orgClockId(orgId: string): string {
  return `org:${orgId}`;
}

/** What a clock's host gives it: the alarm, and a place for its back-off. */
export interface ClockStorage {
  getAlarm(): Promise<number | null>;
  setAlarm(at: number): Promise<void>;
  get<T>(key: string): Promise<T | undefined>;
  put<T>(key: string, value: T): Promise<void>;
}

export class RetryClock {
  private arming: Promise<void> = Promise.resolve();
  /** The alarm as this clock last set or read it (undefined: unknown), so most arms need no storage
   *  call. Only this clock sets or deletes the alarm (the runtime deletes it when it rings). */
  private known: number | null | undefined = undefined;

  constructor(
    private readonly storage: ClockStorage,
    private readonly env: Env,
    private readonly requeueAfter: number,
  ) {}

  /** Makes sure the alarm rings by `at`; never later than it is already set. */
  arm(at: number): Promise<void> {
    const run = this.arming.then(async () => {
      // An alarm due already may have rung: only one still ahead is taken on trust.
      if (this.known === undefined || (this.known !== null && this.known <= Date.now())) this.known = await this.storage.getAlarm();
      if (this.known !== null && this.known <= at) return;
      this.known = undefined;
      await this.storage.setAlarm(at);
      this.known = at;
    });
    this.arming = run.catch(() => undefined);
    return run;
  }

  /** The alarm: send what is due, then ring again when the next delivery needs it. */
  async ring(clockId: string, now = Date.now()): Promise<void> {
    // The alarm that rang is gone: the next arm reads the storage again.
    this.known = undefined;
    let next: number | null;
    try {
      next = await this.sweep(clockId, now);
    } catch (err) {
      const failures = ((await this.storage.get<number>("ringFailures")) ?? 0) + 1;
      await this.storage.put("ringFailures", failures);
      console.error("the retry clock's sweep failed; ringing again with back-off", String(err));
      await this.arm(now + RING_BACKOFF_MS[Math.min(failures, RING_BACKOFF_MS.length) - 1]);
      return;
    }
    if ((await this.storage.get<number>("ringFailures")) !== undefined) await this.storage.put("ringFailures", 0);
    if (next !== null) await this.arm(next);
  }

  /** Does what is due in each queue; answers when the clock is next needed, the earliest of the queues. */
  private async sweep(clockId: string, now: number): Promise<number | null> {
    await judgedFailing(this.env, clockId, now);
    await repairedBacklogs(this.env, clockId, now);
    const due = await sweptWhenDue(this.env.DB, clockId, now, this.requeueAfter, SWEEP_LIMIT);
    if (due.length) {
      const failed = await enqueueAttempts(this.env.DELIVERIES, due);
      if (failed.length) await this.env.DB.batch(markedUnsent(this.env.DB, failed));
      if (failed.length || due.length === SWEEP_LIMIT) return now + 1000;
    }
    const next = [await nextDueAt(this.env.DB, clockId, this.requeueAfter), await nextFailingDeadline(this.env, clockId)].filter(
      (t): t is number => t !== null,
    );
    return next.length ? Math.min(...next) : null;
  }
}

/** What the consumer and the routes may ask of a clock's host (ProjectDO) over RPC. */
export interface ClockHost {
  armRetry(at: number): Promise<void>;
}

/** The retry clock of `clockId`, hosted by the Durable Object of that name. */
export function clockOf(env: Env, clockId: string): ClockHost {
  return env.PROJECTS.getByName(clockId) as unknown as ClockHost;
}

/** Sends attempts now (new deliveries, a drained backlog); what could not be sent is marked for the sweep. Answers how many. */
export async function sendAttemptsNow(env: Env, messages: DeliveryMessage[]): Promise<number> {
  const failed = await enqueueAttempts(env.DELIVERIES, messages);
  if (failed.length) await env.DB.batch(markedUnsent(env.DB, failed));
  return failed.length;
}
