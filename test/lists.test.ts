// Every list works up to limit=200 whatever the number of items (CONTRACT.md, "Limits and refusals"):
// a page of more than 100 rows must not put its ids into one statement (D1 binds 100 parameters).
import { describe, expect, it } from "vitest";
import { ADMIN_TOKEN, call, env, json, newFlag, newTenant, setup, webhookInput } from "./helpers";

const MANY = 101;

async function pageOf(path: string, token: string) {
  return json<{ data: { id: string }[]; next_cursor: string | null }>(call(`${path}${path.includes("?") ? "&" : "?"}limit=200`, { token }), 200);
}

/** Reads every page at limit=200 and answers the ids, in order. */
async function everyId(path: string, token: string): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const page: { data: { id: string }[]; next_cursor: string | null } = await json(
      call(`${path}${path.includes("?") ? "&" : "?"}limit=200${cursor ? `&cursor=${cursor}` : ""}`, { token }),
      200,
    );
    ids.push(...page.data.map((d) => d.id));
    cursor = page.next_cursor;
  } while (cursor);
  return ids;
}

async function inParallel<T>(n: number, make: (i: number) => Promise<T>, width = 8): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n; i += width) out.push(...(await Promise.all(Array.from({ length: Math.min(width, n - i) }, (_, j) => make(i + j)))));
  return out;
}

describe("lists with more than 100 items at limit=200", () => {
  it("GET /projects", async () => {
    const tenant = await newTenant();
    await inParallel(MANY, (i) => json(call("/projects", { token: tenant.key, body: { key: `p-${i}`, name: `P ${i}` } }), 201));
    const page = await pageOf("/projects", tenant.key);
    expect(page.data).toHaveLength(MANY);
    expect(page.data.every((p: any) => p.environments.length === 2)).toBe(true);
  });

  it("GET /projects/{projectId}/flags", async () => {
    const { tenant, project } = await setup();
    await inParallel(MANY, (i) => newFlag(tenant, project.id, { key: `f-${i}` }));
    const page = await pageOf(`/projects/${project.id}/flags`, tenant.key);
    expect(page.data).toHaveLength(MANY);
    expect(page.data.every((f: any) => Object.keys(f.environments).length === 2)).toBe(true);
  });

  it("GET /projects/{projectId}/events", async () => {
    const { tenant, project } = await setup();
    await inParallel(MANY, (i) => newFlag(tenant, project.id, { key: `e-${i}` }));
    expect(await everyId(`/projects/${project.id}/events`, tenant.key)).toHaveLength(MANY);
  });

  it("GET …/webhooks in both scopes (rows written directly: the API caps a scope at 100)", async () => {
    const { tenant, project } = await setup();
    const hook = await json(call(`/projects/${project.id}/webhooks`, { token: tenant.key, body: webhookInput({ enabled: false }) }), 201);
    const orgHook = await json(call("/webhooks", { token: tenant.key, body: webhookInput({ enabled: false }) }), 201);
    for (const [scope, from] of [
      [project.id, hook.id],
      [null, orgHook.id],
    ] as const) {
      await env.DB.batch(
        Array.from({ length: MANY }, () =>
          env.DB.prepare(
            `INSERT INTO webhooks (id, org_id, project_id, name, url, events, secret, headers, headers_masked, environments, format, enabled, created_at, updated_at)
             SELECT ?1, org_id, project_id, name, url, events, secret, headers, headers_masked, environments, format, enabled, created_at, updated_at FROM webhooks WHERE id = ?2`,
          ).bind(crypto.randomUUID(), from),
        ),
      );
      expect((await pageOf(scope ? `/projects/${scope}/webhooks` : "/webhooks", tenant.key)).data).toHaveLength(MANY + 1);
    }
  });

  it("GET …/webhooks/{webhookId}/deliveries", async () => {
    const { tenant, project } = await setup();
    const hook = await json(call(`/projects/${project.id}/webhooks`, { token: tenant.key, body: webhookInput({ enabled: false }) }), 201);
    await env.DB.batch(
      Array.from({ length: MANY }, () =>
        env.DB.prepare(
          `INSERT INTO deliveries (id, webhook_id, org_id, project_id, event, format, body, status, attempt_count, final, created_at)
           VALUES (?1, ?2, ?3, ?4, 'webhook.test', 'rollgate', '{}', 'succeeded', 0, 1, ?5)`,
        ).bind(crypto.randomUUID(), hook.id, tenant.orgId, project.id, Date.now()),
      ),
    );
    expect((await pageOf(`/projects/${project.id}/webhooks/${hook.id}/deliveries`, tenant.key)).data).toHaveLength(MANY);
  });

  it("GET /me/api-keys", async () => {
    const tenant = await newTenant();
    await inParallel(MANY, () => json(call(`/admin/users/${tenant.userId}/api-keys`, { token: ADMIN_TOKEN, body: { name: "k" } }), 201));
    expect((await pageOf("/me/api-keys", tenant.key)).data).toHaveLength(MANY + 1);
  });
});
