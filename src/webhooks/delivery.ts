// The queue consumer: one attempt per message.
//
// Guarantees:
// - An attempt is made at most once per (delivery, attempt number): the consumer first claims it
//   with a conditional update (due, unclaimed, attempt count as the message says). A repeated
//   message, or the sweep's re-send of one still in flight, finds nothing to claim and does nothing.
// - A claim expires after the time-out plus a margin, so an attempt whose consumer died is sent again.
// - The attempt's log row and the delivery's next state are one batch, both conditional on the
//   claim, so an attempt is logged once.
// - The messages of a batch are claimed in one D1 batch and attempted concurrently (they share one
//   thread with the API); finished attempts are recorded in groups, one D1 batch per group.
import { readSettings, type Settings } from "../env";
import { projectWriter } from "../projects/project-do";
import type { DeliveryMessage } from "./outbox";
import { signDelivery } from "./sign";
import { recoverEventBody } from "./event-bodies";
import type { WebhookFormat } from "./payload";
import { DELIVERY_BODY, keyringOf, openHeaders } from "./store";
import { openSigningMaterial, SIGNING_COLUMNS, type SigningColumns } from "./signing-material";
import { checkWebhookUrl } from "./url-guard";
import { FLAGPOST_VERSION } from "../env";

export const RESPONSE_BODY_LIMIT = 16 * 1024;
const CLAIM_MARGIN_MS = 5_000;
/** The writer's and the consumer's clocks may differ a little: an attempt due this soon is due. */
const CLOCK_SLACK_MS = 2_000;

export interface AttemptOutcome {
  success: boolean;
  status_code: number | null;
  response_time_ms: number;
}

interface Claimed extends SigningColumns {
  id: string;
  event: string;
  final: number;
  project_id: string | null;
  url: string | null;
  headers: string | null;
  headers_masked: string | null;
  event_id: string | null;
  format: string;
  /** Null only when its event's body in this format is missing and could not be rendered. */
  body: string | null;
  /** The event's revision; null for webhook.test deliveries, which have no event. */
  revision: number | null;
}

interface AttemptRecord {
  startedAt: number;
  durationMs: number;
  request: { url: string; headers: Record<string, string> };
  response: { status_code: number; headers: Record<string, string>; body: string } | null;
  error: string | null;
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

/**
 * Claims every due attempt among the messages in one D1 batch and sends them concurrently. Each
 * finished attempt is recorded with the others that finished while the previous record was being
 * written: a fan-out of fifty costs a few round trips to D1, not a hundred, and a fast attempt's
 * record never waits for a slow attempt in the same batch.
 */
export async function attemptDeliveries(env: Env, messages: DeliveryMessage[]): Promise<(AttemptOutcome | null)[]> {
  const settings = readSettings(env);
  const claims = await claimAttempts(env.DB, messages, settings);
  const recorder = new AttemptRecorder(env, settings);
  const settled = await Promise.allSettled(
    claims.map(async (claim, i) => {
      if (!claim) return null;
      const record = await sendAttempt(env, claim.row, messages[i], settings);
      const ok = record.response !== null && record.response.status_code >= 200 && record.response.status_code < 300 && record.error === null;
      const done = { claim, n: messages[i].attempt, record, ok };
      await recorder.record(done);
      return done;
    }),
  );
  // Every attempt has finished before a failure to record one is reported (and the batch retried).
  const failure = settled.find((r) => r.status === "rejected");
  if (failure) throw failure.reason;
  const sent = settled.map((r) => (r as PromiseFulfilledResult<Sent | null>).value);
  return sent.map((s) => s && { success: s.ok, status_code: s.record.response?.status_code ?? null, response_time_ms: s.record.durationMs });
}

/** Group commit of attempt records: one D1 write at a time, each taking all that finished meanwhile. */
class AttemptRecorder {
  private waiting: { sent: Sent; resolve: () => void; reject: (err: unknown) => void }[] = [];
  private writing = false;

  constructor(
    private readonly env: Env,
    private readonly settings: Settings,
  ) {}

  record(sent: Sent): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ sent, resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    while (this.waiting.length) {
      const group = this.waiting;
      this.waiting = [];
      try {
        await finishAttempts(this.env, group.map((g) => g.sent), this.settings);
        for (const g of group) g.resolve();
      } catch (err) {
        for (const g of group) g.reject(err);
      }
    }
    this.writing = false;
  }
}

interface Claim {
  row: Claimed;
  token: string;
}

async function claimAttempts(d1: D1Database, messages: DeliveryMessage[], settings: Settings): Promise<(Claim | null)[]> {
  if (messages.length === 0) return [];
  const now = Date.now();
  const tokens = messages.map(() => crypto.randomUUID());
  const statements = messages.flatMap((message, i) => [
    d1
      .prepare(
        `UPDATE deliveries SET claim_token = ?1, claimed_until = ?2
         WHERE id = ?3 AND status = 'pending' AND attempt_count = ?4 AND next_attempt_at <= ?5
           AND (claimed_until IS NULL OR claimed_until <= ?6)`,
      )
      .bind(tokens[i], now + settings.deliveryTimeoutMs + CLAIM_MARGIN_MS, message.delivery_id, message.attempt - 1, now + CLOCK_SLACK_MS, now),
    d1
      .prepare(
        `SELECT d.id, d.event, d.event_id, d.format, d.final, d.project_id, w.url, ${SIGNING_COLUMNS}, w.headers, w.headers_masked, ${DELIVERY_BODY} AS body, e.revision AS revision
         FROM deliveries d LEFT JOIN webhooks w ON w.id = d.webhook_id LEFT JOIN events e ON e.id = d.event_id
         WHERE d.id = ?1 AND d.claim_token = ?2`,
      )
      .bind(message.delivery_id, tokens[i]),
  ]);
  const results = await d1.batch<Claimed>(statements);
  return Promise.all(
    messages.map(async (_, i) => {
      const row = results[2 * i + 1].results[0];
      // A format its change did not render: rendered now from the rollgate body, never sent empty.
      if (row && row.body === null && row.event_id) row.body = await recoverEventBody(d1, row.event_id, row.format as WebhookFormat);
      return row ? { row, token: tokens[i] } : null;
    }),
  );
}

async function sendAttempt(env: Env, row: Claimed, message: DeliveryMessage, settings: Settings): Promise<AttemptRecord> {
  const startedAt = Date.now();
  const failed = (error: string, url = row.url ?? "", headers: Record<string, string> = {}): AttemptRecord => ({
    startedAt,
    durationMs: Date.now() - startedAt,
    request: { url, headers },
    response: null,
    error,
  });
  if (row.url === null || row.headers === null) return failed("the webhook was deleted");
  const allowed = checkWebhookUrl(row.url, { allowInsecure: settings.allowInsecureUrls, ownHosts: settings.publicHosts });
  if (!allowed.ok) return failed(`URL no longer allowed: ${allowed.reason}`);
  if (!row.body) return failed("the delivery's body is missing and cannot be rendered: nothing was sent");
  const keyring = keyringOf(settings.secretsKeyring);
  const headers = await signDelivery({
    deliveryId: row.id,
    event: row.event,
    body: row.body,
    ...(await openSigningMaterial(keyring, row)),
    timestampSeconds: Math.floor(startedAt / 1000),
    customHeaders: await openHeaders(keyring, row.headers),
    version: FLAGPOST_VERSION,
  });
  if (row.revision !== null) headers["X-Flagpost-Revision"] = String(row.revision);
  const logged = { ...headers, ...(JSON.parse(row.headers_masked ?? "{}") as Record<string, string>) };
  try {
    const res = await fetch(row.url, { method: "POST", headers, body: row.body, redirect: "manual", signal: AbortSignal.timeout(settings.deliveryTimeoutMs) });
    const body = await readCapped(res, RESPONSE_BODY_LIMIT);
    const response = { status_code: res.status, headers: Object.fromEntries(res.headers), body };
    const redirect = res.status >= 300 && res.status < 400 ? `redirect to ${res.headers.get("location") ?? "(no location)"} not followed` : null;
    return { startedAt, durationMs: Date.now() - startedAt, request: { url: row.url, headers: logged }, response, error: redirect };
  } catch (err) {
    const name = (err as Error)?.name;
    const error = name === "TimeoutError" || name === "AbortError" ? `timed out after ${settings.deliveryTimeoutMs} ms` : `request failed: ${(err as Error)?.message ?? String(err)}`;
    return failed(error, row.url, logged);
  }
}

/** Reads at most `limit` bytes of the body, then lets the rest go. */
async function readCapped(res: Response, limit: number): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < limit) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
  }
  if (size >= limit) await reader.cancel().catch(() => undefined);
  const all = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    all.set(c, offset);
    offset += c.byteLength;
  }
  return new TextDecoder().decode(all.subarray(0, limit));
}

/** The next state of a delivery after attempt `n`: done, or due again after the schedule's delay. */
export function nextAttemptAt(n: number, ok: boolean, final: boolean, schedule: number[], now: number): number | null {
  if (ok || final || n > schedule.length) return null;
  return now + schedule[n - 1] * 1000;
}

interface Sent {
  claim: Claim;
  n: number;
  record: AttemptRecord;
  ok: boolean;
}

/** Logs every attempt and moves its delivery on, in one batch; then arms each project's retry clock. */
async function finishAttempts(env: Env, sent: Sent[], settings: Settings): Promise<void> {
  if (sent.length === 0) return;
  const now = Date.now();
  const d1 = env.DB;
  const retries = new Map<string, number>();
  const statements = sent.flatMap(({ claim, n, record, ok }) => {
    const next = nextAttemptAt(n, ok, claim.row.final === 1, settings.retrySchedule, now);
    const status = ok ? "succeeded" : next === null ? "failed" : "pending";
    if (next !== null && claim.row.project_id) retries.set(claim.row.project_id, Math.min(next, retries.get(claim.row.project_id) ?? Infinity));
    return [
      d1
        .prepare(
          `INSERT OR IGNORE INTO attempts (delivery_id, number, started_at, duration_ms, request, response, error)
           SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7 WHERE EXISTS (SELECT 1 FROM deliveries WHERE id = ?1 AND claim_token = ?8)`,
        )
        .bind(claim.row.id, n, record.startedAt, record.durationMs, JSON.stringify(record.request), record.response && JSON.stringify(record.response), record.error, claim.token),
      d1
        .prepare(
          `UPDATE deliveries SET attempt_count = ?1, status = ?2, next_attempt_at = ?3, enqueued_at = NULL,
             claim_token = NULL, claimed_until = NULL, last_status_code = ?4, completed_at = ?5
           WHERE id = ?6 AND claim_token = ?7`,
        )
        .bind(n, status, next, record.response?.status_code ?? null, status === "pending" ? null : now, claim.row.id, claim.token),
    ];
  });
  await d1.batch(statements);
  await Promise.all([...retries].map(([projectId, at]) => projectWriter(env, projectId).armRetry(at)));
}
