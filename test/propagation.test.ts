// Propagation (CONTRACT.md v1.2, "Propagation: who holds a revision"): one revision's webhooks and
// SDK keys (holds, last revision, last seen, open streams, summary), the project's propagation, 404s
// (another organization, a revision above the project's), and what keys were served recorded in
// batches, never on an evaluation's answer.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { app } from "../src/app";
import { recordServed } from "../src/serve/served";
import { call, expectError, json, newFlag, patchState, setup } from "./helpers";
import { newSdkKey, ofrep, ROOT } from "./serve-helpers";
import { eventually, newWebhook, receiverUrl } from "./webhook-helpers";

async function revisionOf(t: { key: string }, projectId: string): Promise<number> {
  return (await json(call(`/projects/${projectId}`, { token: t.key }), 200)).revision;
}

async function fixture() {
  const { tenant, project } = await setup();
  await newFlag(tenant, project.id, { key: "checkout" });
  const webhook = await newWebhook(tenant, project.id, { url: receiverUrl("ok") });
  const server = await newSdkKey(tenant, project.id, "production", "server");
  const client = await newSdkKey(tenant, project.id, "production", "client");
  const dev = await newSdkKey(tenant, project.id, "development", "server");
  await json(patchState(tenant, project.id, "checkout", "production", { enabled: true }), 200);
  const revision = await revisionOf(tenant, project.id);
  return { tenant, project, webhook, server, client, dev, revision };
}

const revisionPath = (projectId: string, revision: number) => `/projects/${projectId}/revisions/${revision}`;

describe("GET /projects/:projectId/revisions/:revision", () => {
  it("says which webhooks got it delivered and which SDK keys hold it, with their open streams", async () => {
    const { tenant, project, webhook, server, client, dev, revision } = await fixture();
    const before = await eventually(async () => {
      const body = await json(call(revisionPath(project.id, revision), { token: tenant.key }), 200);
      expect(body.webhooks[0]?.status).toBe("delivered");
      return body;
    });
    expect(before.revision).toBe(revision);
    expect(Date.parse(before.committed_at)).toBeGreaterThan(Date.now() - 60_000);
    expect(before.triggered_by.email).toBe(tenant.email);
    expect(before.events).toEqual([
      { event: "flag.toggled", flag: expect.objectContaining({ key: "checkout" }), environment: expect.objectContaining({ key: "production" }) },
    ]);
    expect(before.webhooks).toEqual([
      { id: webhook.id, name: webhook.name, scope: "project", status: "delivered", delivered_at: expect.any(String), attempts: 1 },
    ]);
    // Nobody evaluated yet: nobody holds it, and keys never served are idle.
    expect(before.sdk_keys.map((k: { holds: boolean; streams: number }) => [k.holds, k.streams])).toEqual([
      [false, 0],
      [false, 0],
      [false, 0],
    ]);
    expect(before.summary).toEqual({ webhooks: { delivered: 1, pending: 0, failed: 0 }, sdk_keys: { holding: 0, behind: 0, idle: 3 } });

    // The server key evaluates; the client key opens a stream and evaluates at an older revision than the next change.
    await json(ofrep(server.key, "checkout"), 200);
    const bulk = await json(ofrep(client.key, null), 200);
    const stream = await exports.default.fetch(`${ROOT}${bulk.eventStreams[0].endpoint.requestUri}`);
    expect(stream.status).toBe(200);
    try {
      const after = await json(call(revisionPath(project.id, revision), { token: tenant.key }), 200);
      const byId = Object.fromEntries(after.sdk_keys.map((k: { id: string }) => [k.id, k]));
      expect(byId[server.id]).toMatchObject({ holds: true, last_revision: revision, kind: "server", streams: 0, environment: { key: "production" } });
      expect(Date.parse(byId[server.id].last_seen_at)).toBeGreaterThan(Date.now() - 60_000);
      expect(byId[client.id]).toMatchObject({ holds: true, last_revision: revision, kind: "client", streams: 1 });
      expect(byId[dev.id]).toMatchObject({ holds: false, last_revision: null, last_seen_at: null, streams: 0, environment: { key: "development" } });
      expect(after.summary.sdk_keys).toEqual({ holding: 2, behind: 0, idle: 1 });

      // A later revision: the keys served before it are behind, until served again.
      await json(patchState(tenant, project.id, "checkout", "production", { enabled: false }), 200);
      const later = await revisionOf(tenant, project.id);
      const next = await json(call(revisionPath(project.id, later), { token: tenant.key }), 200);
      expect(next.summary.sdk_keys).toEqual({ holding: 0, behind: 2, idle: 1 });
      await json(ofrep(dev.key, null), 200); // any environment's key, served at the project's revision
      const held = await json(call(revisionPath(project.id, later), { token: tenant.key }), 200);
      expect(held.sdk_keys.find((k: { id: string }) => k.id === dev.id)).toMatchObject({ holds: true, last_revision: later });
    } finally {
      await stream.body?.cancel();
    }
  });

  it("is 404 above the project's revision, for revision 0, and for another organization's project", async () => {
    const { tenant, project, revision } = await fixture();
    await expectError(call(revisionPath(project.id, revision + 1), { token: tenant.key }), 404, "not_found");
    await expectError(call(revisionPath(project.id, 0), { token: tenant.key }), 404, "not_found");
    const other = await setup();
    await expectError(call(revisionPath(project.id, revision), { token: other.tenant.key }), 404, "not_found");
    await expectError(call(`/projects/${project.id}/propagation`, { token: other.tenant.key }), 404, "not_found");
    await expectError(call(revisionPath(project.id, revision)), 401, "unauthorized");
  });
});

describe("GET /projects/:projectId/propagation", () => {
  it("summarizes the latest revision, and the latest revision each webhook and key holds", async () => {
    const { tenant, project, webhook, server, client, revision } = await fixture();
    await json(ofrep(server.key, null), 200);
    const body = await eventually(async () => {
      const b = await json(call(`/projects/${project.id}/propagation`, { token: tenant.key }), 200);
      expect(b.summary.webhooks.delivered).toBe(1);
      return b;
    });
    expect(body.revision).toBe(revision);
    expect(body.summary.sdk_keys).toEqual({ holding: 1, behind: 0, idle: 2 });
    expect(body.webhooks).toEqual([{ id: webhook.id, name: webhook.name, scope: "project", enabled: true, holds_revision: revision }]);
    const byId = Object.fromEntries(body.sdk_keys.map((k: { id: string }) => [k.id, k]));
    expect(byId[server.id]).toMatchObject({ holds_revision: revision, last_revision: revision, streams: 0 });
    expect(byId[client.id]).toMatchObject({ holds_revision: null, last_seen_at: null });
  });
});

describe("recording what keys were served", () => {
  it("adds no D1 call to an evaluation's answer: one batch later, for every key served meanwhile", async () => {
    const { server, client, dev } = await fixture();
    const calls = { batches: 0, writes: 0 };
    const db = {
      prepare: (sql: string) => {
        if (/^\s*UPDATE sdk_keys/i.test(sql)) calls.writes++;
        return env.DB.prepare(sql);
      },
      batch: <T>(s: D1PreparedStatement[]) => {
        calls.batches++;
        return env.DB.batch<T>(s);
      },
    } as unknown as D1Database;
    const ctx = createExecutionContext();
    const evaluate = (key: string) =>
      app.fetch(
        new Request(`${ROOT}/ofrep/v1/evaluate/flags`, {
          method: "POST",
          headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
          body: "{}",
        }),
        { ...env, DB: db, SERVED_FLUSH_SECONDS: "1" },
        ctx,
      );
    for (const key of [server.key, client.key, dev.key, server.key]) expect((await evaluate(key)).status).toBe(200);
    expect(calls.writes).toBe(0); // four answers, no write among them
    await waitOnExecutionContext(ctx);
    expect(calls.writes).toBe(1); // then one statement…
    const rows = await env.DB.prepare("SELECT COUNT(*) AS n FROM sdk_keys WHERE id IN (?, ?, ?) AND last_seen_at IS NOT NULL")
      .bind(server.id, client.id, dev.id)
      .first<{ n: number }>();
    expect(rows?.n).toBe(3); // …for the three keys
  });

  it("keeps each key's highest revision and latest time, in one flush", async () => {
    const { server } = await fixture();
    const waits: Promise<unknown>[] = [];
    const holder = { env: { ...env, SERVED_FLUSH_SECONDS: "0" } as Env, executionCtx: { waitUntil: (p: Promise<unknown>) => waits.push(p) } };
    recordServed(holder, server.id, 7, 1_000);
    recordServed(holder, server.id, 5, 2_000);
    expect(waits).toHaveLength(1); // one flush armed for both
    await Promise.all(waits);
    const row = await env.DB.prepare("SELECT last_revision, last_seen_at FROM sdk_keys WHERE id = ?").bind(server.id).first();
    expect(row).toEqual({ last_revision: 7, last_seen_at: 2_000 });
  });
});
