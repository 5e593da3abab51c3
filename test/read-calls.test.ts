// What a read costs in D1 round trips. Locally each call is about 0.8 ms of the runtime's one thread
// and deployed a round trip to the database, so the project-scoped reads check the project in the
// same call as what they read. Counted with a D1 binding that counts what passes through it.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { app } from "../src/app";
import { call, json, newFlag, setup, webhookInput } from "./helpers";

/** The test database, counting statements prepared and batches sent (a statement run alone is prepared outside any batch). */
function countingD1(d1: D1Database) {
  const calls = { prepared: 0, batches: 0, batched: 0 };
  const db = {
    prepare: (sql: string) => {
      calls.prepared++;
      return d1.prepare(sql);
    },
    batch: <T>(statements: D1PreparedStatement[]) => {
      calls.batches++;
      calls.batched += statements.length;
      return d1.batch<T>(statements);
    },
    exec: (sql: string) => d1.exec(sql),
  };
  return { db: db as unknown as D1Database, calls };
}

async function get(db: D1Database, path: string, token: string) {
  const ctx = createExecutionContext();
  const res = await app.fetch(new Request(`http://flagpost.test/api/v1${path}`, { headers: { authorization: `Bearer ${token}` } }), { ...env, DB: db }, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

/** How many D1 calls a GET makes, once the key is known to the isolate; and that each was one batch. */
async function d1CallsOf(path: string, token: string) {
  await get(env.DB, "/me", token); // the key's principal, cached
  const { db, calls } = countingD1(env.DB);
  const res = await get(db, path, token);
  expect(res.status).toBe(200);
  return { calls: calls.batches + (calls.prepared - calls.batched), alone: calls.prepared - calls.batched, body: await res.json() };
}

describe("project-scoped reads make one D1 call for the project and what they read", () => {
  it("a project with its environments", async () => {
    const { tenant, project } = await setup();
    const read = await d1CallsOf(`/projects/${project.id}`, tenant.key);
    expect(read).toMatchObject({ calls: 1, alone: 0, body: { id: project.id, environments: [{ key: "development" }, { key: "production" }] } });
  });

  it("the change log, newest first and since a revision", async () => {
    const { tenant, project } = await setup();
    const flag = await newFlag(tenant, project.id);
    const page = await d1CallsOf(`/projects/${project.id}/events`, tenant.key);
    expect(page).toMatchObject({ calls: 1, alone: 0, body: { data: [{ event: "flag.created", flag: { key: flag.key } }] } });
    expect(await d1CallsOf(`/projects/${project.id}/events?since_revision=1`, tenant.key)).toMatchObject({ calls: 1, body: { data: [] } });
  });

  it("a flag and a page of flags", async () => {
    const { tenant, project } = await setup();
    const flag = await newFlag(tenant, project.id);
    expect(await d1CallsOf(`/projects/${project.id}/flags/${flag.key}`, tenant.key)).toMatchObject({ calls: 1, body: { key: flag.key } });
    expect(await d1CallsOf(`/projects/${project.id}/flags`, tenant.key)).toMatchObject({ calls: 1, body: { data: [{ key: flag.key }] } });
  });

  it("an environment's SDK keys: the project and its environments in one call, the page in another", async () => {
    const { tenant, project } = await setup();
    await json(call(`/projects/${project.id}/environments/production/sdk-keys`, { token: tenant.key, body: { name: "web" } }), 201);
    expect(await d1CallsOf(`/projects/${project.id}/environments/production/sdk-keys`, tenant.key)).toMatchObject({
      calls: 2,
      body: { data: [{ name: "web" }] },
    });
  });

  it("a webhook: found in its project's scope, which says the project is the caller's", async () => {
    const { tenant, project } = await setup();
    const hook = await json(call(`/projects/${project.id}/webhooks`, { token: tenant.key, body: webhookInput() }), 201);
    expect(await d1CallsOf(`/projects/${project.id}/webhooks/${hook.id}`, tenant.key)).toMatchObject({ calls: 1, body: { id: hook.id } });
    const missing = await call(`/projects/${project.id}/webhooks/${crypto.randomUUID()}`, { token: tenant.key });
    expect(await missing.json()).toMatchObject({ error: { code: "not_found", message: "no such webhook" } });
  });

  it("a webhook's deliveries: the webhook in its scope and the page in one call", async () => {
    const { tenant, project } = await setup();
    const hook = await json(call(`/projects/${project.id}/webhooks`, { token: tenant.key, body: webhookInput() }), 201);
    expect(await d1CallsOf(`/projects/${project.id}/webhooks/${hook.id}/deliveries?status=failed`, tenant.key)).toMatchObject({
      calls: 1,
      alone: 0,
      body: { data: [], next_cursor: null },
    });
    const missing = await call(`/projects/${project.id}/webhooks/${crypto.randomUUID()}/deliveries`, { token: tenant.key });
    expect(await missing.json()).toMatchObject({ error: { code: "not_found", message: "no such webhook" } });
  });

  it("another organization's project is still 404, on each of them", async () => {
    const { tenant, project } = await setup();
    const { tenant: other } = await setup();
    const hook = await json(call(`/projects/${project.id}/webhooks`, { token: tenant.key, body: webhookInput() }), 201);
    for (const path of ["", "/events", "/environments/production/sdk-keys", `/webhooks/${hook.id}`, `/webhooks/${hook.id}/deliveries`]) {
      const res = await call(`/projects/${project.id}${path}`, { token: other.key });
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ error: { code: "not_found", message: "no such project" } });
    }
  });
});
