// Propagation (CONTRACT.md v1.2, "Propagation: who holds a revision"): for one revision, which
// webhooks got it delivered and which SDK keys hold it; for the project, where each stands.
//
// - A webhook's entry is its deliveries of the revision's events, taken together: `failed` if one
//   failed, else `pending` if one is pending, else `delivered` (when the last succeeded).
// - A key holds revision R when the highest revision it was served is R or later (a revision is only
//   served once committed). Keys are `holding`, else `behind` (served within 24 h) or `idle`.
// - What keys were served comes from serve/served.ts, which batches it: this isolate's buffer is
//   written before reading, other isolates' figures may be SERVED_FLUSH_SECONDS (5 s) old.
// - `streams` asks every shard of each environment's streams object how many it holds now.
import { allStreamsObjects } from "../kernel/streams";
import type { Environment } from "../kernel/project-scope";
import { flushServed } from "./served";

export const IDLE_AFTER_MS = 24 * 3600 * 1000;

export type WebhookStatus = "delivered" | "pending" | "failed";

export interface WebhookHold {
  id: string;
  name: string;
  scope: "organization" | "project";
  status: WebhookStatus;
  delivered_at: string | null;
  attempts: number;
}

export interface KeyHold {
  id: string;
  name: string | null;
  environment: Environment;
  kind: string;
  holds: boolean;
  last_revision: number | null;
  last_seen_at: string | null;
  streams: number;
}

export interface PropagationSummary {
  webhooks: { delivered: number; pending: number; failed: number };
  sdk_keys: { holding: number; behind: number; idle: number };
}

interface KeyRow {
  id: string;
  name: string | null;
  kind: string;
  last_revision: number | null;
  last_seen_at: number | null;
  env_id: string;
  env_key: string;
  env_name: string;
}

interface DeliveryRow {
  revision: number;
  webhook_id: string;
  name: string;
  project_id: string | null;
  status: string;
  attempt_count: number;
  completed_at: number | null;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function keysStatement(db: D1Database, projectId: string) {
  return db
    .prepare(
      `SELECT k.id, k.name, k.kind, k.last_revision, k.last_seen_at, e.id AS env_id, e.key AS env_key, e.name AS env_name
       FROM sdk_keys k JOIN environments e ON e.id = k.environment_id WHERE k.project_id = ? ORDER BY e.position, k.created_at`,
    )
    .bind(projectId);
}

function deliveriesStatement(db: D1Database, projectId: string, revisions: number[]) {
  return db
    .prepare(
      `SELECT ev.revision, d.webhook_id, w.name, w.project_id, d.status, d.attempt_count, d.completed_at
       FROM events ev JOIN deliveries d ON d.event_id = ev.id JOIN webhooks w ON w.id = d.webhook_id
       WHERE ev.project_id = ? AND ev.revision IN (${revisions.map(() => "?").join(",")})`,
    )
    .bind(projectId, ...revisions);
}

/** One entry per webhook, its deliveries of one revision taken together. */
function webhookHolds(rows: DeliveryRow[]): WebhookHold[] {
  const byWebhook = new Map<string, DeliveryRow[]>();
  for (const r of rows) byWebhook.set(r.webhook_id, [...(byWebhook.get(r.webhook_id) ?? []), r]);
  return [...byWebhook.values()]
    .map((list): WebhookHold => {
      const status: WebhookStatus = list.some((r) => r.status === "failed") ? "failed" : list.some((r) => r.status === "pending") ? "pending" : "delivered";
      const completed = list.map((r) => r.completed_at ?? 0);
      return {
        id: list[0].webhook_id,
        name: list[0].name,
        scope: list[0].project_id === null ? "organization" : "project",
        status,
        delivered_at: status === "delivered" ? iso(Math.max(...completed)) : null,
        attempts: list.reduce((n, r) => n + r.attempt_count, 0),
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
}

function keyHolds(rows: KeyRow[], revision: number, streams: Record<string, number>): KeyHold[] {
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    environment: { id: r.env_id, key: r.env_key, name: r.env_name },
    kind: r.kind,
    holds: r.last_revision !== null && r.last_revision >= revision,
    last_revision: r.last_revision,
    last_seen_at: iso(r.last_seen_at),
    streams: streams[r.id] ?? 0,
  }));
}

function summarize(webhooks: { status: WebhookStatus }[], keys: { holds: boolean; last_seen_at: string | null }[], now: number): PropagationSummary {
  const summary: PropagationSummary = { webhooks: { delivered: 0, pending: 0, failed: 0 }, sdk_keys: { holding: 0, behind: 0, idle: 0 } };
  for (const w of webhooks) summary.webhooks[w.status]++;
  for (const k of keys) {
    if (k.holds) summary.sdk_keys.holding++;
    else if (k.last_seen_at !== null && now - Date.parse(k.last_seen_at) < IDLE_AFTER_MS) summary.sdk_keys.behind++;
    else summary.sdk_keys.idle++;
  }
  return summary;
}

/** Open streams by key, over every shard of the project's environments (0 where a shard does not answer). */
async function openStreams(env: Env, environments: Environment[]): Promise<Record<string, number>> {
  const answers = await Promise.allSettled(environments.flatMap((e) => allStreamsObjects(env, e.id).map((o) => o.counts())));
  const out: Record<string, number> = {};
  for (const a of answers) if (a.status === "fulfilled") for (const [k, n] of Object.entries(a.value)) out[k] = (out[k] ?? 0) + n;
  return out;
}

/** Who holds `revision` (1 to the project's revision); null when the change log no longer has it. */
export async function revisionPropagation(env: Env, project: { id: string; environments: Environment[] }, revision: number, now = Date.now()) {
  await flushServed(env.DB);
  const [eventRows, deliveryRows, keyRows] = await env.DB.batch([
    env.DB.prepare("SELECT event, rollgate_body, created_at FROM events WHERE project_id = ? AND revision = ? ORDER BY seq").bind(project.id, revision),
    deliveriesStatement(env.DB, project.id, [revision]),
    keysStatement(env.DB, project.id),
  ]);
  const events = eventRows.results as { event: string; rollgate_body: string; created_at: number }[];
  if (!events.length) return null;
  const bodies = events.map(
    (e) => JSON.parse(e.rollgate_body) as { flag: { id: string; key: string; name: string }; environment: Environment | null; triggered_by: unknown },
  );
  const webhooks = webhookHolds(deliveryRows.results as unknown as DeliveryRow[]);
  const sdkKeys = keyHolds(keyRows.results as unknown as KeyRow[], revision, await openStreams(env, project.environments));
  return {
    revision,
    committed_at: iso(Math.max(...events.map((e) => e.created_at))),
    triggered_by: bodies[0].triggered_by,
    events: events.map((e, i) => {
      const { id, key, name } = bodies[i].flag;
      const environment = bodies[i].environment;
      return {
        event: e.event,
        flag: { id, key, name },
        environment: environment ? { id: environment.id, key: environment.key, name: environment.name } : null,
      };
    }),
    webhooks,
    sdk_keys: sdkKeys,
    summary: summarize(webhooks, sdkKeys, now),
  };
}

/** The project's latest revision's summary, and where each webhook and key stands. */
export async function projectPropagation(env: Env, project: { id: string; orgId: string; revision: number; environments: Environment[] }, now = Date.now()) {
  await flushServed(env.DB);
  const [deliveryRows, keyRows, webhookRows] = await env.DB.batch([
    deliveriesStatement(env.DB, project.id, [project.revision]),
    keysStatement(env.DB, project.id),
    env.DB.prepare(
      `SELECT w.id, w.name, w.project_id, w.enabled,
              (SELECT MAX(ev.revision) FROM deliveries d JOIN events ev ON ev.id = d.event_id
               WHERE d.webhook_id = w.id AND d.status = 'succeeded' AND ev.project_id = ?2) AS holds_revision
       FROM webhooks w WHERE w.org_id = ?1 AND (w.project_id IS NULL OR w.project_id = ?2) ORDER BY w.name, w.id`,
    ).bind(project.orgId, project.id),
  ]);
  const latest = webhookHolds(deliveryRows.results as unknown as DeliveryRow[]);
  const sdkKeys = keyHolds(keyRows.results as unknown as KeyRow[], project.revision, await openStreams(env, project.environments));
  return {
    revision: project.revision,
    summary: summarize(latest, sdkKeys, now),
    webhooks: (webhookRows.results as { id: string; name: string; project_id: string | null; enabled: number; holds_revision: number | null }[]).map((w) => ({
      id: w.id,
      name: w.name,
      scope: w.project_id === null ? ("organization" as const) : ("project" as const),
      enabled: w.enabled === 1,
      holds_revision: w.holds_revision,
    })),
    sdk_keys: sdkKeys.map(({ holds: _holds, ...k }) => ({ ...k, holds_revision: k.last_revision })),
  };
}
