// The queue consumer: one attempt per message (the transitions it uses are in lifecycle.ts).
//
// - A batch's messages are claimed in one D1 batch; only a won claim leads to a request, so a
//   repeated message, or the sweep's re-send of one still in flight, does nothing.
// - Attempts run concurrently (they share one thread with the API); finished attempts are recorded
//   in groups, one D1 batch per group: all of the batch's attempts at once when they finish within
//   RECORD_WAIT_MS of each other, else what has finished every RECORD_WAIT_MS, so a fast attempt's
//   record waits for a slow one about that long at most (and for a write already in flight).
// - After recording, each retry clock involved is armed once, for its earliest need.
import { readSettings, type Settings } from "../env";
import { recoverEventBody } from "../webhooks/event-bodies";
import type { WebhookFormat } from "../webhooks/payload";
import { clockOf, nextAttempt, sendAttemptsNow } from "./clock";
import { disabledStatements, type DisableReason } from "./health";
import { claimed, finished, heldForDrain, released, succeededTogether, type ClaimedDelivery, type DeliveryMessage, type FinishedAttempt } from "./lifecycle";
import { sendAttempt, type SentAttempt } from "./request";

const CLAIM_MARGIN_MS = 5_000;
/** How long a finished attempt's record may wait for the batch's other attempts to join its write. */
export const RECORD_WAIT_MS = 50;
/** The writer's and the consumer's clocks may differ a little: an attempt due this soon is due. */
const CLOCK_SLACK_MS = 2_000;

export interface AttemptOutcome {
  success: boolean;
  status_code: number | null;
  response_time_ms: number;
}

interface Claim {
  row: ClaimedDelivery & { circuit: string | null; failing_since: number | null };
  token: string;
  n: number;
}

interface Done {
  claim: Claim;
  sent: SentAttempt;
}

export async function handleDeliveryBatch(batch: MessageBatch<DeliveryMessage>, env: Env): Promise<void> {
  try {
    await attemptDeliveries(env, batch.messages.map((m) => m.body));
    batch.ackAll();
  } catch (err) {
    console.error("delivery attempts could not be recorded; the messages will be retried", String(err));
    batch.retryAll({ delaySeconds: 5 });
  }
}

/** Makes the attempt the message names, if it is still due; null when there was nothing to do. */
export async function attemptDelivery(env: Env, message: DeliveryMessage): Promise<AttemptOutcome | null> {
  return (await attemptDeliveries(env, [message]))[0];
}

/** Claims every due attempt among the messages, sends them concurrently, records them in groups. */
export async function attemptDeliveries(env: Env, messages: DeliveryMessage[]): Promise<(AttemptOutcome | null)[]> {
  const settings = readSettings(env);
  const claims = await claimAttempts(env.DB, messages, settings);
  const recorder = new AttemptRecorder(env, settings, claims.filter(Boolean).length);
  const settled = await Promise.allSettled(
    claims.map(async (claim) => {
      if (!claim) return null;
      const done = { claim, sent: await sendAttempt(claim.row, settings) };
      await recorder.record(done);
      return done;
    }),
  );
  // Every attempt has finished before a failure to record one is reported (and the batch retried).
  const failure = settled.find((r) => r.status === "rejected");
  if (failure) throw failure.reason;
  return settled.map((r) => {
    const d = (r as PromiseFulfilledResult<Done | null>).value;
    return d && { success: d.sent.ok, status_code: d.sent.log.response?.status_code ?? null, response_time_ms: d.sent.log.durationMs };
  });
}

async function claimAttempts(d1: D1Database, messages: DeliveryMessage[], settings: Settings): Promise<(Claim | null)[]> {
  if (messages.length === 0) return [];
  const now = Date.now();
  const tokens = messages.map(() => crypto.randomUUID());
  const { statements, read } = claimed(d1, messages, tokens, now, now + CLOCK_SLACK_MS, now + settings.deliveryTimeoutMs + CLAIM_MARGIN_MS);
  const results = await d1.batch<Claim["row"] & { claim_token: string }>(statements);
  const won = new Map(results[read].results.map(({ claim_token, ...row }) => [claim_token, row]));
  return Promise.all(
    messages.map(async (m, i) => {
      const row = won.get(tokens[i]);
      if (!row) return null;
      // A format its change did not render: rendered now from the rollgate body (never sent empty).
      if (row.body === null && row.event_id) row.body = await recoverEventBody(d1, row.event_id, row.format as WebhookFormat);
      return { row, token: tokens[i], n: m.attempt };
    }),
  );
}

/**
 * Group commit of attempt records: one D1 write at a time. A write leaves when every attempt of the
 * batch has finished, or when the oldest record waiting has waited RECORD_WAIT_MS: a batch of quick
 * attempts is one write, not one per handful that happened to finish together.
 */
class AttemptRecorder {
  private waiting: { done: Done; resolve: () => void; reject: (err: unknown) => void }[] = [];
  private writing = false;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly env: Env,
    private readonly settings: Settings,
    /** Attempts of the batch not finished yet. */
    private running: number,
  ) {}

  record(done: Done): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ done, resolve, reject });
      this.running--;
      this.next();
    });
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
      await finishAttempts(this.env, group.map((g) => g.done), this.settings);
      for (const g of group) g.resolve();
    } catch (err) {
      for (const g of group) g.reject(err);
    } finally {
      this.writing = false;
      this.next();
    }
  }
}

/**
 * Logs every attempt and moves its delivery and its webhook's health on, in one batch; with them
 * the circuit's next release and, where an endpoint is gone or has failed for too long, its
 * disabling. Then sends what the circuit released and arms each retry clock involved once.
 */
async function finishAttempts(env: Env, group: Done[], settings: Settings): Promise<void> {
  if (group.length === 0) return;
  const record = new GroupRecord(env.DB, settings, Date.now());
  for (const done of group) record.add(done);
  const results = await env.DB.batch<Released>(record.batch());
  await record.after(env, results);
}

type Released = { id: string; project_id: string | null; attempt_count: number };

/** The statements that record a group of attempts, and what to do once they are written. */
class GroupRecord {
  private readonly statements: D1PreparedStatement[] = [];
  /** Successes on closed circuits: written together in three statements, after the group's other attempts. */
  private readonly successes: FinishedAttempt[] = [];
  private readonly wakes = new Map<string, number>();
  private readonly releases: { index: number; now: boolean }[] = [];

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
    if (retry.at !== null) this.wake(row.project_id, retry.at);
    const attempt = { deliveryId: row.id, webhookId: row.webhook_id, token: claim.token, n: claim.n, log: sent.log, ok: sent.ok, retry, now };
    if (sent.ok && row.circuit === "closed") {
      this.successes.push(attempt);
      return;
    }
    this.statements.push(...finished(d1, attempt));
    const reason = disableReason(sent, status, row.failing_since, now, this.settings);
    if (reason) {
      this.statements.push(...disabledStatements(d1, row, reason, now));
      this.wake(row.project_id, now);
    } else if (row.circuit !== "closed" || !sent.ok) {
      // While draining, each finished attempt (a failed one goes back to its own schedule) releases the
      // next that waited, sent at once; a failed probe of an open circuit hands the probe on, on the schedule.
      if (sent.ok && row.circuit === "open") this.statements.push(heldForDrain(d1, row.webhook_id, row.id, now));
      const atOnce = sent.ok || row.circuit === "draining";
      this.releases.push({ index: this.statements.length, now: atOnce });
      const at = atOnce ? now : now + (this.settings.retrySchedule[0] ?? 60) * 1000;
      this.statements.push(...released(d1, row.webhook_id, at, atOnce ? now : null));
    }
  }

  /** The group's statements: the attempts in the order they finished, then the successes together. */
  batch(): D1PreparedStatement[] {
    return [...this.statements, ...succeededTogether(this.d1, this.successes, this.now)];
  }

  /** Sends what was released now (what cannot be sent is left to its clock), then arms the clocks. */
  async after(env: Env, results: D1Result<Released>[]): Promise<void> {
    const drained: Released[] = [];
    for (const { index, now } of this.releases) for (const r of results[index].results) (now ? drained.push(r) : this.wake(r.project_id, this.now));
    const messages = drained.map((r) => ({ delivery_id: r.id, attempt: r.attempt_count + 1 }));
    if (messages.length && (await sendAttemptsNow(env, messages))) for (const r of drained) this.wake(r.project_id, this.now + 1000);
    await Promise.all([...this.wakes].map(([clockId, at]) => clockOf(env, clockId).armRetry(at)));
  }

  private wake(clockId: string | null, at: number): void {
    if (clockId) this.wakes.set(clockId, Math.min(at, this.wakes.get(clockId) ?? Infinity));
  }
}

/** 410 Gone disables at once; a webhook failing with no success for too long is disabled too. */
function disableReason(sent: SentAttempt, status: number | null, failingSince: number | null, now: number, settings: Settings): DisableReason | null {
  if (sent.ok) return null;
  if (status === 410) return "gone";
  if (failingSince !== null && now - failingSince >= settings.autoDisableSeconds * 1000) return "failing";
  return null;
}
