// Recording a consumer batch's finished attempts: in groups, one D1 batch per group, each followed by
// the circuit's own rules for the webhooks involved (circuit.ts), then what the circuit released is
// sent and each clock involved is armed once, for its earliest need. The machine these transitions
// belong to is written at the top of lifecycle.ts.
import type { Settings } from "../kernel/env";
import { circuitSettled, type Released } from "./circuit";
import type { ClaimedRow } from "./claims";
import { clockOf, nextAttempt, requeueAfterMs } from "./clock";
import type { ConnectionSlots } from "./connections";
import { disabledByFlagpost } from "./circuit";
import { failed, succeeded } from "./finish";
import { disablingOf, failingPastDeadline, healthClockOf } from "./health";
import type { FinishedAttempt } from "./lifecycle";
import { enqueueAttempts } from "./queue";
import { markedUnsent } from "./lifecycle";
import type { SentAttempt } from "./request";

/** How long a finished attempt's record may wait for the batch's other attempts to join its write. */
export const RECORD_WAIT_MS = 50;

export interface Claim {
  row: Omit<ClaimedRow, "claim_token">;
  token: string;
  n: number;
}

export interface Done {
  claim: Claim;
  sent: SentAttempt;
}

/**
 * Group commit of attempt records: one D1 write at a time. A write leaves when every attempt of the
 * batch has finished, or when the oldest record waiting has waited RECORD_WAIT_MS: a batch of quick
 * attempts is one write, not one per handful that happened to finish together.
 */
export class AttemptRecorder {
  private waiting: { done: Done; resolve: () => void; reject: (err: unknown) => void }[] = [];
  private writing = false;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly env: Env,
    private readonly settings: Settings,
    /** Attempts of the batch not finished yet. */
    private running: number,
    private readonly slots: ConnectionSlots,
  ) {}

  record(done: Done): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ done, resolve, reject });
      this.running--;
      this.next();
    });
  }

  /** An attempt given back unsent: nothing to wait for. */
  skip(): void {
    this.running--;
    this.next();
  }

  /** Writes now when nothing else is to come (or in flight), else makes sure a write leaves in time. */
  private next(): void {
    if (this.writing || !this.waiting.length) return;
    if (this.running > 0) {
      this.timer ??= setTimeout(() => {
        this.timer = null;
        void this.drain();
      }, RECORD_WAIT_MS);
      return;
    }
    void this.drain();
  }

  private async drain(): Promise<void> {
    if (this.writing || !this.waiting.length) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.writing = true;
    const group = this.waiting;
    this.waiting = [];
    try {
      const record = new GroupRecord(this.env.DB, this.settings, Date.now());
      for (const g of group) record.add(g.done);
      await record.after(this.env, await this.env.DB.batch<Released>(record.batch()), this.slots);
      for (const g of group) g.resolve();
    } catch (err) {
      for (const g of group) g.reject(err);
    } finally {
      this.writing = false;
      this.next();
    }
  }
}

/** The statements that record a group of attempts, and what to do once they are written. */
class GroupRecord {
  private readonly statements: D1PreparedStatement[] = [];
  private readonly successes: FinishedAttempt[] = [];
  private readonly webhooks = new Set<string>();
  private readonly finishedIds: string[] = [];
  private readonly wakes = new Map<string, number>();

  constructor(
    private readonly d1: D1Database,
    private readonly settings: Settings,
    private readonly now: number,
  ) {}

  add({ claim, sent }: Done): void {
    const { row } = claim;
    const { d1, now } = this;
    const status = sent.log.response?.status_code ?? null;
    const retry = nextAttempt(claim.n, { ok: sent.ok, statusCode: status, retryAfter: sent.retryAfter }, row.final === 1, this.settings.retrySchedule, now);
    const attempt: FinishedAttempt = { deliveryId: row.id, webhookId: row.webhook_id, token: claim.token, n: claim.n, log: sent.log, ok: sent.ok, retry, now };
    this.webhooks.add(row.webhook_id);
    this.finishedIds.push(row.id);
    if (sent.ok) {
      this.successes.push(attempt);
      return;
    }
    // The delivery's clock for its retry (also its hand-off's); its webhook's health clock for the auto-disable deadline.
    this.wake(row.project_id, retry.at ?? now + this.stepMs());
    if (row.failing_since === null && row.url !== null)
      this.wake(healthClockOf({ projectId: row.webhook_project_id, orgId: row.org_id }), now + this.settings.autoDisableSeconds * 1000);
    this.statements.push(...failed(d1, attempt));
    const reason = status === 410 ? "gone" : failingPastDeadline(row.failing_since, now, this.settings.autoDisableSeconds) ? "failing" : null;
    if (reason && row.url !== null && row.name !== null) {
      const webhook = { id: row.webhook_id, name: row.name, url: row.url, projectId: row.webhook_project_id, orgId: row.org_id };
      this.statements.push(...disabledByFlagpost(d1, disablingOf(webhook, reason, row.project_id ?? "", now)));
      this.wake(row.project_id, now); // its notices are due now, on this clock
    }
  }

  /** The group's statements: failed attempts as they finished, the successes together, then the circuits settled. */
  batch(): D1PreparedStatement[] {
    const settle = { webhookIds: this.webhooks, finishedIds: this.finishedIds, now: this.now, handOffAt: this.now + this.stepMs(), sendsNow: true };
    return [...this.statements, ...succeeded(this.d1, this.successes, this.now), ...circuitSettled(this.d1, settle)];
  }

  /** Sends what the circuits released now (what cannot be sent is left to its clock), then arms the clocks. */
  async after(env: Env, results: D1Result<Released>[], slots: ConnectionSlots): Promise<void> {
    const released = results[results.length - 1].results;
    const requeue = requeueAfterMs(this.settings.deliveryTimeoutMs);
    // A released delivery is covered by its clock: at its due time, or when its message would be presumed lost.
    for (const r of released) this.wake(r.project_id, r.enqueued_at === null ? r.next_attempt_at : r.enqueued_at + requeue);
    const now = released.filter((r) => r.enqueued_at !== null).map((r) => ({ delivery_id: r.id, attempt: r.attempt_count + 1 }));
    if (now.length) {
      const failedIds = await slots.run(() => enqueueAttempts(env.DELIVERIES, now));
      if (failedIds.length) {
        await env.DB.batch(markedUnsent(env.DB, failedIds));
        for (const r of released) if (failedIds.includes(r.id)) this.wake(r.project_id, this.now + 1000);
      }
    }
    await Promise.all([...this.wakes].map(([clockId, at]) => clockOf(env, clockId).armRetry(at)));
  }

  private stepMs(): number {
    return (this.settings.retrySchedule[0] ?? 60) * 1000;
  }

  private wake(clockId: string | null, at: number): void {
    if (clockId) this.wakes.set(clockId, Math.min(at, this.wakes.get(clockId) ?? Infinity));
  }
}
