// The write routes the fuzz suite (fuzz.test.ts) aims at: for each, a valid body to mutate, the
// resources it could change (read back over the API), and how to check an accepted answer against
// what was stored.
import { expect, vi } from "vitest";
import { FlagSchema, FlagStateSchema } from "../src/flags/schemas";
import { EnvironmentSchema, ProjectSchema } from "../src/projects/routes";
import { WebhookSchema } from "../src/webhooks/schemas";
import { ADMIN_TOKEN, call, env, json, newFlag, setup, webhookInput, type Tenant } from "./helpers";

export interface Fixture {
  tenant: Tenant;
  projectId: string;
  hookId: string;
  orgHookId: string;
  /** Subscribed to every event and never written to by the fuzz: every committed change must reach it, once. */
  auditHookId?: string;
}

const EVERY_EVENT = ["flag.created", "flag.updated", "flag.deleted", "flag.toggled", "flag_state.updated"];

export async function buildFixture(): Promise<Fixture> {
  const { tenant, project } = await setup();
  // Enabled, so accepted flag changes really go out and the outbox and delivery rows are audited too.
  const hook = await json(call(`/projects/${project.id}/webhooks`, { token: tenant.key, body: webhookInput({ events: EVERY_EVENT }) }), 201);
  const orgHook = await json(call("/webhooks", { token: tenant.key, body: webhookInput({ events: EVERY_EVENT }) }), 201);
  const audit = await json(call(`/projects/${project.id}/webhooks`, { token: tenant.key, body: webhookInput({ name: "Audit", events: EVERY_EVENT }) }), 201);
  return { tenant, projectId: project.id, hookId: hook.id, orgHookId: orgHook.id, auditHookId: audit.id };
}

/**
 * The outbox and the delivery log after a run, once the audit webhook's deliveries have settled:
 * every event of the project has exactly one delivery to the audit webhook, and every delivery of the
 * organization has its attempts numbered 1…attempt_count, each logged once, a success ending in a 2xx.
 */
export async function auditDeliveries(fx: Fixture): Promise<{ events: number; deliveries: number; attempts: number }> {
  await vi.waitFor(
    async () => {
      const pending = await env.DB.prepare("SELECT count(*) AS n FROM deliveries WHERE webhook_id = ? AND status = 'pending'")
        .bind(fx.auditHookId)
        .first<{ n: number }>();
      expect(pending!.n).toBe(0);
    },
    { timeout: 20_000, interval: 100 },
  );
  const unmatched = await env.DB.prepare(
    `SELECT e.id, e.event, (SELECT count(*) FROM deliveries d WHERE d.event_id = e.id AND d.webhook_id = ?1) AS n
     FROM events e WHERE e.project_id = ?2 AND n != 1`,
  )
    .bind(fx.auditHookId, fx.projectId)
    .all();
  expect(unmatched.results, "events without exactly one delivery to the audit webhook").toEqual([]);
  const orphans = await env.DB.prepare("SELECT id FROM deliveries WHERE org_id = ? AND event_id IS NOT NULL AND event_id NOT IN (SELECT id FROM events)")
    .bind(fx.tenant.orgId)
    .all();
  expect(orphans.results, "deliveries of no event").toEqual([]);
  const broken = await env.DB.prepare(
    `SELECT d.id, d.status, d.attempt_count, count(a.number) AS logged, min(a.number) AS first, max(a.number) AS last,
            (SELECT json_extract(a2.response, '$.status_code') FROM attempts a2 WHERE a2.delivery_id = d.id ORDER BY a2.number DESC LIMIT 1) AS last_status
     FROM deliveries d LEFT JOIN attempts a ON a.delivery_id = d.id
     WHERE d.org_id = ? AND d.claim_token IS NULL
     GROUP BY d.id
     HAVING logged != d.attempt_count OR (logged > 0 AND (first != 1 OR last != d.attempt_count))
        OR (d.status = 'succeeded' AND (last_status IS NULL OR last_status < 200 OR last_status > 299))`,
  )
    .bind(fx.tenant.orgId)
    .all();
  expect(broken.results, "deliveries whose attempts do not add up").toEqual([]);
  const totals = await env.DB.prepare(
    `SELECT (SELECT count(*) FROM events WHERE project_id = ?1) AS events, (SELECT count(*) FROM deliveries WHERE org_id = ?2) AS deliveries,
            (SELECT count(*) FROM attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE org_id = ?2)) AS attempts`,
  )
    .bind(fx.projectId, fx.tenant.orgId)
    .first<{ events: number; deliveries: number; attempts: number }>();
  return totals!;
}

/** The flag the flag routes write to; an accepted DELETE or rename takes it away, so it comes back. */
export async function flagF(fx: Fixture) {
  const res = await call(`/projects/${fx.projectId}/flags/f`, { token: fx.tenant.key });
  if (res.status === 200) return FlagSchema.parse(await res.json());
  return FlagSchema.parse(await newFlag(fx.tenant, fx.projectId, { key: "f" }));
}

/** Row counts, version sums and last-change times of every table a write could touch. */
export async function storedCounts() {
  return env.DB.prepare(
    `SELECT (SELECT count(*) FROM orgs) AS orgs, (SELECT count(*) FROM users) AS users, (SELECT count(*) FROM api_keys) AS api_keys,
            (SELECT count(*) FROM projects) AS projects, (SELECT count(*) FROM environments) AS environments,
            (SELECT count(*) FROM flags) AS flags, (SELECT max(updated_at) FROM flags) AS flags_at, (SELECT sum(version) FROM flags) AS flag_versions,
            (SELECT count(*) FROM flag_states) AS states, (SELECT max(updated_at) FROM flag_states) AS states_at, (SELECT sum(version) FROM flag_states) AS state_versions,
            (SELECT count(*) FROM events) AS events, (SELECT count(*) FROM deliveries) AS deliveries,
            (SELECT count(*) FROM webhooks) AS webhooks, (SELECT max(updated_at) FROM webhooks) AS webhooks_at,
            (SELECT count(*) FROM api_keys WHERE revoked_at IS NOT NULL) AS revoked_keys, (SELECT count(*) FROM revoked_sessions) AS revoked_sessions`,
  ).first();
}

export interface Target {
  route: string;
  method: "POST" | "PATCH" | "DELETE";
  /** The path from its slots; a run may replace one slot with a bad id. */
  path: (ids: Record<string, string>) => string;
  ids: () => Record<string, string>;
  token: () => string;
  /** A valid body to mutate; `$live` / `$off` stand for the flag's variation ids. */
  valid?: () => Record<string, unknown>;
  ifMatch?: boolean;
  /** What the route could change, read back over the API. */
  view: () => Promise<unknown>;
  /** Checks an accepted answer: its shape, and that a read shows exactly what was answered. */
  accepted: (answer: any, path: string) => Promise<void>;
  /** Run before each request (a fresh key to revoke, for instance). */
  prepare?: () => Promise<void>;
}

export function writeTargets(fx: Fixture): Target[] {
  const p = `/projects/${fx.projectId}`;
  const read = async (path: string) => {
    const res = await call(path, { token: fx.tenant.key });
    return { status: res.status, body: await res.text() };
  };
  const readJson = async (path: string) => json(call(path, { token: fx.tenant.key }), 200);
  const row = (sql: string, id: string) => env.DB.prepare(sql).bind(id).first();
  // The key the revoking routes aim at: a fresh one for each request, since an accepted one is gone.
  let spare = { id: "", key: "" };
  const freshKey = async () => {
    spare = await json(call(`/admin/users/${fx.tenant.userId}/api-keys`, { token: ADMIN_TOKEN, body: { name: "spare" } }), 201);
  };
  const revoked = async () => expect((await call("/me", { token: spare.key })).status).toBe(401);
  return [
    {
      route: "DELETE /me/api-keys/{keyId}",
      method: "DELETE",
      path: (i) => `/me/api-keys/${i.keyId}`,
      ids: () => ({ keyId: spare.id }),
      token: () => fx.tenant.key,
      prepare: freshKey,
      view: () => read("/me/api-keys?limit=200"),
      accepted: revoked,
    },
    {
      route: "DELETE /admin/api-keys/{keyId}",
      method: "DELETE",
      path: (i) => `/admin/api-keys/${i.keyId}`,
      ids: () => ({ keyId: spare.id }),
      token: () => ADMIN_TOKEN,
      prepare: freshKey,
      view: () => read("/me/api-keys?limit=200"),
      accepted: revoked,
    },
    {
      route: "POST /admin/orgs",
      method: "POST",
      path: () => "/admin/orgs",
      ids: () => ({}),
      token: () => ADMIN_TOKEN,
      valid: () => ({ name: "Fuzz Org" }),
      view: async () => null,
      accepted: async (a) => expect(await row("SELECT id, name FROM orgs WHERE id = ?", a.id)).toEqual(a),
    },
    {
      route: "POST /admin/orgs/{orgId}/users",
      method: "POST",
      path: (i) => `/admin/orgs/${i.orgId}/users`,
      ids: () => ({ orgId: fx.tenant.orgId }),
      token: () => ADMIN_TOKEN,
      valid: () => ({ email: `u-${crypto.randomUUID().slice(0, 8)}@example.com`, name: "U" }),
      view: async () => null,
      accepted: async (a) => expect(await row("SELECT id, email, name, org_id FROM users WHERE id = ?", a.id)).toEqual(a),
    },
    {
      route: "POST /admin/users/{userId}/api-keys",
      method: "POST",
      path: (i) => `/admin/users/${i.userId}/api-keys`,
      ids: () => ({ userId: fx.tenant.userId }),
      token: () => ADMIN_TOKEN,
      valid: () => ({ name: "k" }),
      view: async () => null,
      accepted: async (a) => expect((await json(call("/me", { token: a.key }), 200)).user.id).toBe(fx.tenant.userId),
    },
    {
      route: "POST /projects",
      method: "POST",
      path: () => "/projects",
      ids: () => ({}),
      token: () => fx.tenant.key,
      valid: () => ({ key: `p-${crypto.randomUUID().slice(0, 8)}`, name: "P" }),
      view: () => read("/projects?limit=200"),
      accepted: async (a) => expect(ProjectSchema.parse(await readJson(`/projects/${a.id}`))).toEqual(ProjectSchema.parse(a)),
    },
    {
      route: "POST /projects/{projectId}/environments",
      method: "POST",
      path: (i) => `/projects/${i.projectId}/environments`,
      ids: () => ({ projectId: fx.projectId }),
      token: () => fx.tenant.key,
      valid: () => ({ key: `e-${crypto.randomUUID().slice(0, 8)}`, name: "E" }),
      view: () => read(p),
      accepted: async (a) => expect((await readJson(p)).environments).toContainEqual(EnvironmentSchema.parse(a)),
    },
    {
      route: "POST /projects/{projectId}/flags",
      method: "POST",
      path: (i) => `/projects/${i.projectId}/flags`,
      ids: () => ({ projectId: fx.projectId }),
      token: () => fx.tenant.key,
      valid: () => ({
        key: `g-${crypto.randomUUID().slice(0, 8)}`,
        name: "G",
        description: "d",
        type: "string",
        tags: ["t"],
        variations: [{ name: "A", value: "a", color: "#112233", active: true }],
        sharing: { share_with_everyone: false, roles: ["r"] },
      }),
      view: () => read(`${p}/flags?limit=200`),
      accepted: async (a) => expect(FlagSchema.parse(await readJson(`${p}/flags/${a.key}`))).toEqual(FlagSchema.parse(a)),
    },
    {
      route: "PATCH /projects/{projectId}/flags/{flagKey}",
      method: "PATCH",
      path: (i) => `/projects/${i.projectId}/flags/${i.flagKey}`,
      ids: () => ({ projectId: fx.projectId, flagKey: "f" }),
      token: () => fx.tenant.key,
      ifMatch: true,
      valid: () => ({
        name: "F",
        description: "d",
        tags: ["a"],
        archived: false,
        sharing: { share_with_everyone: true, roles: [] },
        variations: [
          { id: "$live", name: "Live", value: true },
          { id: "$off", name: "Off", value: false, active: false },
        ],
      }),
      view: () => read(`${p}/flags/f`),
      accepted: async (a) => expect(FlagSchema.parse(await readJson(`${p}/flags/${a.key}`))).toEqual(FlagSchema.parse(a)),
    },
    {
      route: "DELETE /projects/{projectId}/flags/{flagKey}",
      method: "DELETE",
      path: (i) => `/projects/${i.projectId}/flags/${i.flagKey}`,
      ids: () => ({ projectId: fx.projectId, flagKey: "f" }),
      token: () => fx.tenant.key,
      ifMatch: true,
      view: () => read(`${p}/flags/f`),
      accepted: async (_, path) => expect((await call(path, { token: fx.tenant.key })).status).toBe(404),
    },
    {
      route: "PATCH /projects/{projectId}/flags/{flagKey}/environments/{envKey}",
      method: "PATCH",
      path: (i) => `/projects/${i.projectId}/flags/${i.flagKey}/environments/${i.envKey}`,
      ids: () => ({ projectId: fx.projectId, flagKey: "f", envKey: "production" }),
      token: () => fx.tenant.key,
      ifMatch: true,
      valid: () => ({
        enabled: true,
        rollout_percentage: 50,
        rollout_variation_id: "$live",
        default_variation_id: "$off",
        conditions: [{ name: "c", variation_id: "$live", rules: [{ property: "userId", operator: "STR_EQUALS", values: ["u"] }] }],
      }),
      view: () => read(`${p}/flags/f`),
      accepted: async (a, path) => expect(FlagStateSchema.parse(await readJson(path))).toEqual(FlagStateSchema.parse(a)),
    },
    ...(["project", "org"] as const).flatMap((scope): Target[] => {
      const base = (i: Record<string, string>) => (scope === "project" ? `/projects/${i.projectId}/webhooks` : "/webhooks");
      const ids = () => (scope === "project" ? { projectId: fx.projectId } : ({} as Record<string, string>));
      const hook = scope === "project" ? fx.hookId : fx.orgHookId;
      // Enabled, but only for state events: the list fixture's 101 new flags are not sent to each of them.
      const valid = () => ({ ...webhookInput(), secret: "s3cret", headers: { "X-Token": "t" }, environments: ["production"], format: "tggl" });
      // Read back at the path the request named: a bad id such as ".." makes it another route's.
      const readBack = (at: (path: string, id: string) => string) => async (a: unknown, path: string) => {
        const answered = WebhookSchema.parse(a);
        expect(WebhookSchema.parse(await readJson(at(path, answered.id)))).toEqual(answered);
      };
      const route = base({ projectId: "{projectId}" });
      return [
        {
          route: `POST ${route}`,
          method: "POST",
          path: base,
          ids,
          token: () => fx.tenant.key,
          valid,
          view: () => read(`${base({ projectId: fx.projectId })}?limit=200`),
          accepted: readBack((path, id) => `${path}/${id}`),
        },
        {
          route: `PATCH ${route}/{webhookId}`,
          method: "PATCH",
          path: (i) => `${base(i)}/${i.webhookId}`,
          ids: () => ({ ...ids(), webhookId: hook }),
          token: () => fx.tenant.key,
          valid,
          view: () => read(`${base({ projectId: fx.projectId })}/${hook}`),
          accepted: readBack((path) => path),
        },
      ];
    }),
  ];
}
