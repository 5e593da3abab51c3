// Credentials that can be taken back (CONTRACT.md, "Limits and refusals"): API keys listed and
// revoked, a revoked key refused within 30 s, and failed authentications limited per client address.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../src/index";
import { ADMIN_TOKEN, call, expectError, json, newTenant, unknownId } from "./helpers";

const newKey = (userId: string, name = "k") => json(call(`/admin/users/${userId}/api-keys`, { token: ADMIN_TOKEN, body: { name } }), 201);

afterEach(() => vi.useRealTimers());

describe("GET /me/api-keys", () => {
  it("lists the caller's own live keys, newest first, never the key itself", async () => {
    const t = await newTenant();
    const other = await newTenant();
    const second = await newKey(t.userId, "ci");
    const page = await json(call("/me/api-keys", { token: t.key }), 200);
    expect(page.next_cursor).toBeNull();
    expect(page.data.map((k: { name: string }) => k.name)).toEqual(["ci", "test"]);
    expect(page.data[0]).toEqual({ id: second.id, name: "ci", created_at: second.created_at });
    const text = JSON.stringify(page);
    expect(text).not.toContain(t.key);
    expect(text).not.toContain(second.key);
    expect(JSON.stringify(await json(call("/me/api-keys", { token: other.key }), 200))).not.toContain(second.id);
  });

  it("pages with limit and cursor", async () => {
    const t = await newTenant();
    for (let i = 0; i < 3; i++) await newKey(t.userId, `k${i}`);
    const first = await json(call("/me/api-keys?limit=2", { token: t.key }), 200);
    expect(first.data.map((k: { name: string }) => k.name)).toEqual(["k2", "k1"]);
    const rest = await json(call(`/me/api-keys?limit=2&cursor=${first.next_cursor}`, { token: t.key }), 200);
    expect(rest.data.map((k: { name: string }) => k.name)).toEqual(["k0", "test"]);
    expect(rest.next_cursor).toBeNull();
  });
});

describe("revoking API keys", () => {
  it("DELETE /me/api-keys/:keyId revokes one of the caller's keys at once; it leaves the list", async () => {
    const t = await newTenant();
    const spare = await newKey(t.userId);
    expect((await call("/me", { token: spare.key })).status).toBe(200);
    expect((await call(`/me/api-keys/${spare.id}`, { token: t.key, method: "DELETE" })).status).toBe(204);
    await expectError(call("/me", { token: spare.key }), 401, "unauthorized");
    const list = await json(call("/me/api-keys", { token: t.key }), 200);
    expect(list.data.map((k: { id: string }) => k.id)).not.toContain(spare.id);
    await expectError(call(`/me/api-keys/${spare.id}`, { token: t.key, method: "DELETE" }), 404, "not_found");
  });

  it("another user's key, or an unknown one, is a 404 and stays live", async () => {
    const t = await newTenant();
    const other = await newTenant();
    const theirs = await newKey(other.userId);
    await expectError(call(`/me/api-keys/${theirs.id}`, { token: t.key, method: "DELETE" }), 404, "not_found");
    await expectError(call(`/me/api-keys/${unknownId()}`, { token: t.key, method: "DELETE" }), 404, "not_found");
    expect((await call("/me", { token: theirs.key })).status).toBe(200);
  });

  it("DELETE /admin/api-keys/:keyId revokes any key; an API key may not call it", async () => {
    const t = await newTenant();
    const spare = await newKey(t.userId);
    await expectError(call(`/admin/api-keys/${spare.id}`, { token: t.key, method: "DELETE" }), 403, "forbidden");
    expect((await call(`/admin/api-keys/${spare.id}`, { token: ADMIN_TOKEN, method: "DELETE" })).status).toBe(204);
    await expectError(call("/me", { token: spare.key }), 401, "unauthorized");
    await expectError(call(`/admin/api-keys/${unknownId()}`, { token: ADMIN_TOKEN, method: "DELETE" }), 404, "not_found");
  });

  it("a key revoked elsewhere (another isolate's cache) is refused once 30 s have passed", async () => {
    const t = await newTenant();
    const spare = await newKey(t.userId);
    expect((await call("/me", { token: spare.key })).status).toBe(200); // cached here now
    await env.DB.prepare("UPDATE api_keys SET revoked_at = ? WHERE id = ?").bind(Date.now(), spare.id).run();
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 30_001);
    await expectError(call("/me", { token: spare.key }), 401, "unauthorized");
  });
});

describe("failed authentications, per client address", () => {
  const LIMITED = { AUTH_FAILURES_PER_MINUTE: "20" };
  async function from(address: string, path: string, headers: Record<string, string> = {}) {
    const ctx = createExecutionContext();
    const res = await worker.fetch(
      new Request(`http://flagpost.test/api/v1${path}`, { headers: { "cf-connecting-ip": address, ...headers } }),
      { ...env, ...LIMITED } as Env,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    return res;
  }
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  it("past 20 unknown tokens in a minute: 429 with Retry-After for the guesses, while a live key from that address is served", async () => {
    const t = await newTenant();
    const address = `198.51.100.${Math.floor(Math.random() * 250)}`;
    for (let i = 0; i < 20; i++) expect((await from(address, i % 2 ? "/me" : "/admin/orgs", bearer(`fp_guess-${i}`))).status).toBe(i % 2 ? 401 : 401);
    const limited = await from(address, "/me", bearer("fp_guess-21"));
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(((await limited.json()) as { error: { code: string } }).error.code).toBe("rate_limited");
    // A live key from the same address is served (v1.2: it was refused with 429 too)…
    expect((await from(address, "/me", bearer(t.key))).status).toBe(200);
    expect((await from(address, "/admin/orgs", bearer(ADMIN_TOKEN))).status).not.toBe(429);
    // …while the guesses go on getting 429…
    expect((await from(address, "/admin/orgs", bearer("fp_guess-22"))).status).toBe(429);
    // …and another address is not affected.
    expect((await from("203.0.113.7", "/me", bearer("fp_guess-23"))).status).toBe(401);
  });

  it("a revoked key counts as a failure", async () => {
    const t = await newTenant();
    const spare = await newKey(t.userId);
    await call(`/me/api-keys/${spare.id}`, { token: t.key, method: "DELETE" });
    const address = "192.0.2.77";
    for (let i = 0; i < 20; i++) expect((await from(address, "/me", bearer(spare.key))).status).toBe(401);
    expect((await from(address, "/me", bearer(spare.key))).status).toBe(429);
  });

  it("one client still holding a revoked key does not lock out a live key from the same address", async () => {
    const t = await newTenant();
    const old = await newKey(t.userId);
    await call(`/me/api-keys/${old.id}`, { token: t.key, method: "DELETE" });
    const office = "192.0.2.78";
    for (let i = 0; i < 100; i++) await from(office, "/me", bearer(old.key));
    expect((await from(office, "/me", bearer(old.key))).status).toBe(429);
    for (let i = 0; i < 5; i++) expect((await from(office, "/me", bearer(t.key))).status).toBe(200);
  });

  it("a missing credential, or a known key of the wrong kind, does not count", async () => {
    const t = await newTenant();
    const address = "192.0.2.99";
    for (let i = 0; i < 30; i++) {
      expect((await from(address, "/me")).status).toBe(401);
      expect((await from(address, "/me", bearer(ADMIN_TOKEN))).status).toBe(403);
      expect((await from(address, "/admin/orgs", bearer(t.key))).status).toBe(403);
    }
    expect((await from(address, "/me", bearer(t.key))).status).toBe(200);
  });

  it("a live SDK key on a management route is a known key of the wrong kind: it does not count", async () => {
    const t = await newTenant();
    const project = await json(call("/projects", { token: t.key, body: { key: "web", name: "Web" } }), 201);
    const sdk = await json(call(`/projects/${project.id}/environments/production/sdk-keys`, { token: t.key, method: "POST" }), 201);
    const address = "192.0.2.101";
    for (let i = 0; i < 30; i++) expect((await from(address, "/me", bearer(sdk.key))).status).toBe(401);
    expect((await from(address, "/me", bearer(t.key))).status).toBe(200);
  });

  it("on the evaluation routes, unknown SDK keys count and a live API key does not", async () => {
    const t = await newTenant();
    const address = "192.0.2.102";
    const evaluate = async (token: string) => {
      const ctx = createExecutionContext();
      const req = new Request("http://flagpost.test/ofrep/v1/evaluate/flags", {
        method: "POST",
        headers: { "cf-connecting-ip": address, authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ context: {} }),
      });
      const res = await worker.fetch(req, { ...env, ...LIMITED } as Env, ctx);
      await waitOnExecutionContext(ctx);
      return res;
    };
    for (let i = 0; i < 30; i++) expect((await evaluate(t.key)).status).toBe(401);
    for (let i = 0; i < 20; i++) expect((await evaluate(`fpsdk_server_guess${i}`)).status).toBe(401);
    const limited = await evaluate("fpsdk_server_guess-21");
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(limited.headers.get("access-control-allow-origin")).toBe("*");
    // A revoked SDK key keeps getting 429 from that address; a live one is served.
    const project = await json(call("/projects", { token: t.key, body: { key: "web", name: "Web" } }), 201);
    const sdk = () => json(call(`/projects/${project.id}/environments/production/sdk-keys`, { token: t.key, method: "POST" }), 201);
    const revoked = await sdk();
    await call(`/projects/${project.id}/environments/production/sdk-keys/${revoked.id}`, { token: t.key, method: "DELETE" });
    const live = await sdk();
    expect((await evaluate(revoked.key)).status).toBe(429);
    expect((await evaluate(live.key)).status).toBe(200);
  });
});

describe("the OpenAPI document", () => {
  it("describes the key routes with an operationId, a summary and a tag", async () => {
    const doc = await json(call("/openapi.json"), 200);
    for (const [path, method] of [
      ["/me/api-keys", "get"],
      ["/me/api-keys/{keyId}", "delete"],
      ["/admin/api-keys/{keyId}", "delete"],
    ]) {
      const op = doc.paths[path]?.[method];
      expect(op, `${method} ${path}`).toBeDefined();
      expect(op.operationId).toMatch(/^[a-zA-Z]+$/);
      expect(op.summary).toBeTruthy();
      expect(op.tags?.length).toBeGreaterThan(0);
    }
    expect(Object.keys(doc.paths["/projects/{projectId}/webhooks"].post.responses)).toContain("422");
  });
});
