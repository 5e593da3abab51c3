// D1 sessions against a read replica that lags: the API is served with a D1 binding whose
// unconstrained sessions read a replica holding only the schema (everything written since is
// missing), while the primary and any session constrained by a bookmark read the real database.
// What a client was just given must be found on its next GET, and a bookmark never goes backwards.
import { applyD1Migrations, createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { app } from "../src/app";
import { ADMIN_TOKEN, newFlag, newTenant, patchState, setup } from "./helpers";

const BASE = "http://flagpost.test/api/v1";
const STALE_BOOKMARK = "00000000-00000000-00000000-stale";

/**
 * Sessions of the lagging deployment: unconstrained reads go to the replica, the rest to the primary,
 * opened with the constraint the app asked for ("first-primary" or the client's bookmark, which the
 * primary has always reached). `constraints` lists what the app asked for, in order.
 */
function laggingD1(primary: D1Database, replica: D1Database) {
  const reads = { replica: 0, primary: 0 };
  const constraints: (string | undefined)[] = [];
  const withSession = (constraint?: string) => {
    constraints.push(constraint);
    const toReplica = constraint === undefined || constraint === "first-unconstrained" || constraint === STALE_BOOKMARK;
    if (toReplica) reads.replica++;
    else reads.primary++;
    const session = toReplica ? replica.withSession("first-unconstrained") : primary.withSession(constraint);
    return {
      prepare: (sql: string) => session.prepare(sql),
      batch: <T>(statements: D1PreparedStatement[]) => session.batch<T>(statements),
      getBookmark: () => (toReplica ? STALE_BOOKMARK : session.getBookmark()),
    };
  };
  const db = {
    withSession,
    prepare: (sql: string) => primary.prepare(sql),
    batch: <T>(s: D1PreparedStatement[]) => primary.batch<T>(s),
    exec: (sql: string) => primary.exec(sql),
  };
  return { db: db as unknown as D1Database, reads, constraints };
}

async function send(db: D1Database, path: string, init: { method?: string; token: string; body?: unknown; bookmark?: string }) {
  const headers: Record<string, string> = { authorization: `Bearer ${init.token}` };
  if (init.body !== undefined) headers["content-type"] = "application/json";
  if (init.bookmark) headers["x-d1-bookmark"] = init.bookmark;
  const ctx = createExecutionContext();
  const res = await app.fetch(
    new Request(`${BASE}${path}`, {
      method: init.method ?? (init.body === undefined ? "GET" : "POST"),
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    }),
    { ...env, DB: db },
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return res;
}

beforeAll(async () => {
  await applyD1Migrations(env.REPLICA_DB, env.TEST_MIGRATIONS);
});

describe("reading through a lagging replica", () => {
  it("the simulation lags: an unconstrained read does not see what was just written", async () => {
    const { tenant } = await setup();
    const { reads } = laggingD1(env.DB, env.REPLICA_DB);
    const key = await env.REPLICA_DB.prepare("SELECT COUNT(*) AS n FROM api_keys").first<{ n: number }>();
    expect(key!.n).toBe(0);
    expect(tenant.key).toMatch(/^fp_/);
    expect(reads.replica).toBe(0);
  });

  it("an API key just created authenticates on its first GET", async () => {
    // Created through the admin API and never used, so no isolate has it cached.
    const tenant = await newTenant();
    const { db, reads } = laggingD1(env.DB, env.REPLICA_DB);
    const res = await send(db, "/me", { token: tenant.key });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { user: { email: string } }).user.email).toBe(tenant.email);
    expect(reads.replica).toBeGreaterThan(0);
  });

  it("an unknown key is still refused after asking the primary", async () => {
    const { db } = laggingD1(env.DB, env.REPLICA_DB);
    expect((await send(db, "/me", { token: "fp_not-a-key" })).status).toBe(401);
    expect((await send(db, "/me", { token: ADMIN_TOKEN })).status).toBe(403);
  });

  it("a project just created is found on the next GET, without a bookmark", async () => {
    const { tenant, project } = await setup();
    const { db } = laggingD1(env.DB, env.REPLICA_DB);
    const res = await send(db, `/projects/${project.id}`, { token: tenant.key });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: project.id, environments: [{ key: "development" }, { key: "production" }] });
  });

  it("a flag of a project the replica has not seen yet: the primary decides the project, another organization gets 404", async () => {
    const { tenant, project } = await setup();
    const { tenant: other } = await setup();
    const flag = await newFlag(tenant, project.id);
    const { db, reads } = laggingD1(env.DB, env.REPLICA_DB);
    const mine = await send(db, `/projects/${project.id}/flags/${flag.key}`, { token: tenant.key });
    // The project is found on the primary; the flag is read where the session reads, which lags.
    expect(reads.primary).toBeGreaterThan(0);
    expect(await mine.json()).toMatchObject({ error: { code: "not_found", message: `no flag "${flag.key}"` } });
    const theirs = await send(db, `/projects/${project.id}/flags/${flag.key}`, { token: other.key });
    expect(theirs.status).toBe(404);
    expect(await theirs.json()).toMatchObject({ error: { code: "not_found", message: "no such project" } });
  });

  it("the change log of a project the replica has not seen yet: the primary decides the project, another organization gets 404", async () => {
    const { tenant, project } = await setup();
    const { tenant: other } = await setup();
    await newFlag(tenant, project.id);
    const { db, reads } = laggingD1(env.DB, env.REPLICA_DB);
    const mine = await send(db, `/projects/${project.id}/events`, { token: tenant.key });
    expect(reads.primary).toBeGreaterThan(0);
    // The project is the caller's; its changes are read where the session reads, which lags.
    expect(mine.status).toBe(200);
    expect(await mine.json()).toEqual({ data: [], next_cursor: null });
    const theirs = await send(db, `/projects/${project.id}/events`, { token: other.key });
    expect(theirs.status).toBe(404);
    expect(await theirs.json()).toMatchObject({ error: { code: "not_found", message: "no such project" } });
  });

  it("another organization's project is still 404 after asking the primary", async () => {
    const { project } = await setup();
    const { tenant: other } = await setup();
    const { db } = laggingD1(env.DB, env.REPLICA_DB);
    expect((await send(db, `/projects/${project.id}`, { token: other.key })).status).toBe(404);
  });
});

describe("bookmarks", () => {
  it("a write answers a bookmark, and a read with it sees the write", async () => {
    const { tenant, project } = await setup();
    const { db, constraints } = laggingD1(env.DB, env.REPLICA_DB);
    const flag = await newFlag(tenant, project.id);
    const write = await send(db, `/projects/${project.id}/flags/${flag.key}/environments/production`, {
      method: "PATCH",
      token: tenant.key,
      body: { enabled: true },
    });
    expect(constraints[0]).toBe("first-primary");
    expect(write.status).toBe(200);
    const bookmark = write.headers.get("x-d1-bookmark");
    expect(bookmark).toBeTruthy();
    expect(bookmark).not.toBe(STALE_BOOKMARK);
    constraints.length = 0;
    const read = await send(db, `/projects/${project.id}/flags/${flag.key}/environments/production`, { token: tenant.key, bookmark: bookmark! });
    // The read's session starts from the client's bookmark, not from the primary's latest.
    expect(constraints[0]).toBe(bookmark);
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({ enabled: true, version: 2 });
  });

  it("a write that changes nothing hands back no older bookmark than the client sent", async () => {
    const { tenant, project } = await setup();
    const { db } = laggingD1(env.DB, env.REPLICA_DB);
    const flag = await newFlag(tenant, project.id);
    expect((await patchState(tenant, project.id, flag.key, "production", { enabled: true })).status).toBe(200);
    // A later write elsewhere: the client's bookmark is now newer than the writer's last commit.
    const later = await send(db, "/projects", { token: tenant.key, body: { key: `later-${crypto.randomUUID().slice(0, 6)}`, name: "Later" } });
    const sent = later.headers.get("x-d1-bookmark")!;
    const noop = await send(db, `/projects/${project.id}/flags/${flag.key}/environments/production`, {
      method: "PATCH",
      token: tenant.key,
      body: { enabled: true },
      bookmark: sent,
    });
    expect(noop.status).toBe(200);
    const back = noop.headers.get("x-d1-bookmark")!;
    expect(back >= sent, `${back} is older than ${sent}`).toBe(true);
  });
});
