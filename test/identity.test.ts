// Identity: the admin routes (organizations, users, API keys) and GET /me, with their refusals.
import { describe, expect, it } from "vitest";
import { z } from "@hono/zod-openapi";
import { hashKey } from "../src/auth/store";
import { ADMIN_TOKEN, badFields, call, env, expectError, json, newTenant, unknownId } from "./helpers";

const OrgSchema = z.strictObject({ id: z.uuid(), name: z.string() });
const UserSchema = z.strictObject({ id: z.uuid(), email: z.string(), name: z.string().nullable(), org_id: z.uuid() });
const ApiKeySchema = z.strictObject({ id: z.uuid(), key: z.string().min(20), name: z.string().nullable(), created_at: z.iso.datetime() });
const MeSchema = z.strictObject({
  user: z.strictObject({ id: z.uuid(), email: z.string(), name: z.string().nullable() }),
  org: OrgSchema,
});

const admin = (path: string, body?: unknown) => call(path, { token: ADMIN_TOKEN, method: "POST", body });

describe("POST /admin/orgs", () => {
  it("creates an organization", async () => {
    const org = OrgSchema.parse(await json(admin("/admin/orgs", { name: "Acme" }), 201));
    expect(org.name).toBe("Acme");
  });

  it.each([
    ["no name", {}],
    ["an empty name", { name: "" }],
    ["a blank name", { name: "   " }],
    ["a number for a name", { name: 42 }],
    ["a name over 200 characters", { name: "x".repeat(201) }],
  ])("refuses %s with 400 naming the field", async (_, body) => {
    const err = await expectError(admin("/admin/orgs", body), 400, "validation_failed");
    expect(badFields(err)).toEqual(["name"]);
  });

  it("refuses a body that is not JSON, or not an object", async () => {
    await expectError(
      call("/admin/orgs", { token: ADMIN_TOKEN, method: "POST", rawBody: "{name:", headers: { "content-type": "application/json" } }),
      400,
      "invalid_json",
    );
    const err = await expectError(admin("/admin/orgs", ["Acme"]), 400, "validation_failed");
    expect(badFields(err)).toEqual(["(body)"]);
  });

  it("refuses a body that is not application/json with 415", async () => {
    await expectError(
      call("/admin/orgs", { token: ADMIN_TOKEN, method: "POST", rawBody: '{"name":"Acme"}', headers: { "content-type": "text/plain" } }),
      415,
      "unsupported_media_type",
    );
  });
});

describe("POST /admin/orgs/{orgId}/users", () => {
  it("creates a user in the organization, with or without a name", async () => {
    const org = await json(admin("/admin/orgs", { name: "Acme" }), 201);
    const named = UserSchema.parse(await json(admin(`/admin/orgs/${org.id}/users`, { email: "Dev@Example.com", name: "Dev" }), 201));
    expect(named).toMatchObject({ email: "dev@example.com", name: "Dev", org_id: org.id });
    const unnamed = UserSchema.parse(await json(admin(`/admin/orgs/${org.id}/users`, { email: "ops@example.com" }), 201));
    expect(unnamed.name).toBeNull();
  });

  it("refuses a second user with the same email in one organization (409), not in another", async () => {
    const [a, b] = [await json(admin("/admin/orgs", { name: "A" }), 201), await json(admin("/admin/orgs", { name: "B" }), 201)];
    await json(admin(`/admin/orgs/${a.id}/users`, { email: "dev@example.com" }), 201);
    await expectError(admin(`/admin/orgs/${a.id}/users`, { email: "DEV@example.com" }), 409, "conflict");
    await json(admin(`/admin/orgs/${b.id}/users`, { email: "dev@example.com" }), 201);
  });

  it("answers 404 for an unknown organization and 400 for a malformed id", async () => {
    await expectError(admin(`/admin/orgs/${unknownId()}/users`, { email: "dev@example.com" }), 404, "not_found");
    const err = await expectError(admin("/admin/orgs/not-a-uuid/users", { email: "dev@example.com" }), 400, "validation_failed");
    expect(badFields(err)).toEqual(["orgId"]);
  });

  it("names each bad field", async () => {
    const org = await json(admin("/admin/orgs", { name: "Acme" }), 201);
    const err = await expectError(admin(`/admin/orgs/${org.id}/users`, { email: "not-an-email", name: "" }), 400, "validation_failed");
    expect(badFields(err).sort()).toEqual(["email", "name"]);
  });
});

describe("POST /admin/users/{userId}/api-keys", () => {
  it("creates a key, shown once and stored only as its hash", async () => {
    const t = await newTenant();
    const created = ApiKeySchema.parse(await json(admin(`/admin/users/${t.userId}/api-keys`, { name: "ci" }), 201));
    expect(created.name).toBe("ci");
    const row = await env.DB.prepare("SELECT * FROM api_keys WHERE id = ?").bind(created.id).first<Record<string, unknown>>();
    expect(row?.key_hash).toBe(await hashKey(created.key));
    expect(Object.values(row ?? {}).some((v) => String(v).includes(created.key))).toBe(false);
    const me = MeSchema.parse(await json(call("/me", { token: created.key }), 200));
    expect(me.user.id).toBe(t.userId);
  });

  it("takes no body at all: the key is then unnamed", async () => {
    const t = await newTenant();
    const created = ApiKeySchema.parse(await json(call(`/admin/users/${t.userId}/api-keys`, { token: ADMIN_TOKEN, method: "POST" }), 201));
    expect(created.name).toBeNull();
  });

  it("answers 404 for an unknown user and 400 for a bad name", async () => {
    await expectError(admin(`/admin/users/${unknownId()}/api-keys`, {}), 404, "not_found");
    const t = await newTenant();
    const err = await expectError(admin(`/admin/users/${t.userId}/api-keys`, { name: 7 }), 400, "validation_failed");
    expect(badFields(err)).toEqual(["name"]);
  });
});

describe("admin credentials", () => {
  const routes = async () => {
    const t = await newTenant();
    return [
      ["/admin/orgs", { name: "Acme" }],
      [`/admin/orgs/${t.orgId}/users`, { email: "x@example.com" }],
      [`/admin/users/${t.userId}/api-keys`, {}],
    ] as const;
  };

  it("answers 401 without credentials, with a wrong token or another scheme", async () => {
    for (const [path, body] of await routes()) {
      await expectError(call(path, { body }), 401, "unauthorized");
      await expectError(call(path, { body, token: "not-the-admin-token" }), 401, "unauthorized");
      await expectError(call(path, { body, headers: { authorization: `Basic ${ADMIN_TOKEN}` } }), 401, "unauthorized");
    }
  });

  it("answers 403 to an API key on every admin route", async () => {
    const t = await newTenant();
    for (const [path, body] of await routes()) await expectError(call(path, { body, token: t.key }), 403, "forbidden");
  });
});

describe("GET /me", () => {
  it("tells a key its user and organization", async () => {
    const t = await newTenant("Globex");
    const me = MeSchema.parse(await json(call("/me", { token: t.key }), 200));
    expect(me).toEqual({ user: { id: t.userId, email: t.email, name: "Dev" }, org: { id: t.orgId, name: "Globex" } });
  });

  it("answers 401 without a key or with an unknown one, and 403 to the admin token", async () => {
    await expectError(call("/me"), 401, "unauthorized");
    await expectError(call("/me", { token: "fp_unknown" }), 401, "unauthorized");
    await expectError(call("/me", { headers: { authorization: "Bearer" } }), 401, "unauthorized");
    await expectError(call("/me", { token: ADMIN_TOKEN }), 403, "forbidden");
  });
});
