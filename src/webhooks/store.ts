// Webhooks, deliveries and attempts in D1. Secrets and custom header values are stored encrypted
// (secret-box); reads see `has_secret` and masked header values only.
import { and, desc, eq, isNull, lt, sql } from "drizzle-orm";
import { deliveries, webhooks } from "../kernel/db/schema";
import { disabledByHand, enabledByHand } from "../deliveries/circuit";
import { clockOf } from "../deliveries/clock";
import { healthOf } from "../deliveries/health";
import { droppedWithWebhook } from "../deliveries/interventions";
import { DELIVERY_BODY } from "../deliveries/lifecycle";
import { iso } from "../kernel/schemas";
import type { Attempt, CreateWebhookInput, Delivery, UpdateWebhookInput, Webhook } from "./schemas";
import { decryptSecret, encryptSecret, maskHeaderValue, type Keyring } from "../outbound/secret-box";
import type { Db } from "../kernel/app-env";

/** Where a webhook lives: a project, or (projectId null) the whole organization. */
export interface WebhookScope {
  orgId: string;
  projectId: string | null;
}

type WebhookRow = typeof webhooks.$inferSelect;
type DeliveryRow = typeof deliveries.$inferSelect;

export function toWebhook(row: WebhookRow): Webhook {
  return {
    id: row.id,
    name: row.name,
    url: row.url,
    events: row.events,
    has_secret: row.secret !== null,
    headers: row.headersMasked,
    environments: row.environments ?? null,
    format: row.format as Webhook["format"],
    enabled: row.enabled,
    created_at: iso(row.createdAt),
    ed25519_public_key: row.ed25519PublicKey ?? null,
    health: healthOf(row),
  };
}

function scopeWhere(scope: WebhookScope) {
  return and(eq(webhooks.orgId, scope.orgId), scope.projectId === null ? isNull(webhooks.projectId) : eq(webhooks.projectId, scope.projectId));
}

async function sealHeaders(keyring: Keyring, headers: Record<string, string>) {
  const masked = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, maskHeaderValue(v)]));
  return { headers: await encryptSecret(keyring, JSON.stringify(headers)), headersMasked: masked };
}

export async function openSecret(keyring: Keyring, sealed: string | null): Promise<string | null> {
  return sealed === null ? null : decryptSecret(keyring, sealed);
}

/**
 * Creates the webhook unless its scope already has `maxInScope`: the count and the insert are one
 * statement, so two concurrent creates cannot both take the last place. Null when the scope is full.
 */
export async function createWebhook(db: Db, keyring: Keyring, scope: WebhookScope, input: CreateWebhookInput, maxInScope: number): Promise<Webhook | null> {
  const now = Date.now();
  const id = crypto.randomUUID();
  const secret = input.secret ? await encryptSecret(keyring, input.secret) : null;
  const sealed = await sealHeaders(keyring, input.headers);
  await db.run(sql`
    INSERT INTO webhooks (id, org_id, project_id, name, url, events, secret, headers, headers_masked, environments, format, enabled, created_at, updated_at)
    SELECT ${id}, ${scope.orgId}, ${scope.projectId}, ${input.name}, ${input.url}, ${JSON.stringify(input.events)}, ${secret}, ${sealed.headers},
           ${JSON.stringify(sealed.headersMasked)}, ${input.environments ? JSON.stringify(input.environments) : null}, ${input.format}, ${input.enabled ? 1 : 0}, ${now}, ${now}
    WHERE (SELECT count(*) FROM webhooks WHERE org_id = ${scope.orgId} AND project_id IS ${scope.projectId}) < ${maxInScope}`);
  const [row] = await db.select().from(webhooks).where(eq(webhooks.id, id));
  return row ? toWebhook(row) : null;
}

/** The webhook's row in its scope, as a query (alone or in a batch). */
function webhookInScope(db: Db, scope: WebhookScope, id: string) {
  return db
    .select()
    .from(webhooks)
    .where(and(scopeWhere(scope), eq(webhooks.id, id)));
}

export async function findWebhookRow(db: Db, scope: WebhookScope, id: string): Promise<WebhookRow | null> {
  const [row] = await webhookInScope(db, scope, id);
  return row ?? null;
}

export async function listWebhooks(db: Db, scope: WebhookScope, after: number | null, limit: number) {
  const rows = await db
    .select()
    .from(webhooks)
    .where(and(scopeWhere(scope), after === null ? undefined : lt(webhooks.seq, after)))
    .orderBy(desc(webhooks.seq))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  return { webhooks: page.map(toWebhook), last: rows.length > limit ? page[page.length - 1].seq : null };
}

export async function updateWebhook(env: Env, db: Db, keyring: Keyring, row: WebhookRow, patch: UpdateWebhookInput): Promise<Webhook> {
  const now = Date.now();
  const set: Partial<WebhookRow> = { updatedAt: now };
  if (patch.name !== undefined) set.name = patch.name;
  if (patch.url !== undefined) set.url = patch.url;
  if (patch.events !== undefined) set.events = patch.events;
  if (patch.secret !== undefined) {
    set.secret = patch.secret === null ? null : await encryptSecret(keyring, patch.secret);
    // Replacing the secret by hand ends any rotation's overlap: only rotate-secret keeps the old one.
    set.previousSecret = null;
    set.previousSecretExpiresAt = null;
  }
  if (patch.headers !== undefined) Object.assign(set, await sealHeaders(keyring, patch.headers));
  if (patch.environments !== undefined) set.environments = patch.environments;
  if (patch.format !== undefined) set.format = patch.format;
  // Disabling and enabling are the delivery machine's transitions (src/deliveries/circuit.ts).
  if (patch.enabled === false && row.enabled) await env.DB.batch(disabledByHand(env.DB, row.id, now));
  if (patch.enabled === true && !row.enabled) {
    const [, released] = await env.DB.batch<{ project_id: string | null }>(enabledByHand(env.DB, row.id, now));
    // Anything it had held (from before disabling failed what waited) is due now: its clock comes for it.
    const clocks = new Set(released.results.map((r) => r.project_id).filter((c): c is string => c !== null));
    await Promise.all([...clocks].map((c) => clockOf(env, c).armRetry(now)));
  }
  const [updated] = await db.update(webhooks).set(set).where(eq(webhooks.id, row.id)).returning();
  return toWebhook(updated);
}

/** A deleted webhook takes its delivery history with it. */
export async function deleteWebhook(d1: D1Database, id: string): Promise<void> {
  await d1.batch([...droppedWithWebhook(d1, id), d1.prepare("DELETE FROM webhooks WHERE id = ?").bind(id)]);
}

export function toDelivery(row: DeliveryRow): Delivery {
  return {
    id: row.id,
    event_id: row.eventId,
    event: row.event,
    status: row.status as Delivery["status"],
    attempt_count: row.attemptCount,
    next_attempt_at: row.status === "pending" && row.nextAttemptAt !== null ? iso(row.nextAttemptAt) : null,
    last_status_code: row.lastStatusCode,
    created_at: iso(row.createdAt),
    completed_at: row.completedAt === null ? null : iso(row.completedAt),
    error: row.error ?? null,
  };
}

export interface DeliveryFilter {
  status?: string;
  event?: string;
}

/**
 * A page of a webhook's deliveries, newest first, read in one D1 call with the webhook in its scope:
 * null when the scope has no such webhook (the page read beside it is then dropped).
 */
export async function listDeliveriesOfWebhook(db: Db, scope: WebhookScope, webhookId: string, filter: DeliveryFilter, after: number | null, limit: number) {
  const [[webhook], rows] = await db.batch([
    webhookInScope(db, scope, webhookId),
    db
      .select()
      .from(deliveries)
      .where(
        and(
          eq(deliveries.webhookId, webhookId),
          filter.status ? eq(deliveries.status, filter.status) : undefined,
          filter.event ? eq(deliveries.event, filter.event) : undefined,
          after === null ? undefined : lt(deliveries.seq, after),
        ),
      )
      .orderBy(desc(deliveries.seq))
      .limit(limit + 1),
  ]);
  if (!webhook) return null;
  const page = rows.slice(0, limit);
  return { deliveries: page.map(toDelivery), last: rows.length > limit ? page[page.length - 1].seq : null };
}

export async function findDelivery(db: Db, webhookId: string, id: string): Promise<DeliveryRow | null> {
  const [row] = await db
    .select()
    .from(deliveries)
    .where(and(eq(deliveries.webhookId, webhookId), eq(deliveries.id, id)));
  return row ?? null;
}

/** The delivery's attempts, each with the exact body that was sent (stored once, on the event). */
export async function deliveryAttempts(d1: D1Database, row: DeliveryRow): Promise<Attempt[]> {
  const [{ results: body }, { results: rows }] = await d1.batch<Record<string, unknown>>([
    d1.prepare(`SELECT ${DELIVERY_BODY} AS body FROM deliveries d LEFT JOIN events e ON e.id = d.event_id WHERE d.id = ?`).bind(row.id),
    d1.prepare("SELECT * FROM attempts WHERE delivery_id = ? ORDER BY number").bind(row.id),
  ]);
  const sent = String(body[0]?.body ?? "");
  return rows.map((a) => {
    const request = JSON.parse(String(a.request)) as { url: string; headers: Record<string, string> };
    return {
      number: Number(a.number),
      started_at: iso(Number(a.started_at)),
      duration_ms: Number(a.duration_ms),
      request: { ...request, body: sent },
      response: a.response ? (JSON.parse(String(a.response)) as Attempt["response"]) : null,
      error: (a.error as string | null) ?? null,
    };
  });
}
