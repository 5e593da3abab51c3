// SDK keys (CONTRACT.md v1.1, "SDK keys"): per environment, server or client, shown once, hashed,
// listed, revoked; strictly apart from API keys in both directions.
import { describe, expect, it } from "vitest";
import { hashKey } from "../src/auth/store";
import { CreatedSdkKeySchema, SdkKeySchema } from "../src/sdk-keys/routes";
import { ADMIN_TOKEN, call, env, expectError, json, newFlag, newTenant, setup, unknownId } from "./helpers";
import { newSdkKey, ofrep, root, tggl } from "./serve-helpers";

describe("managing SDK keys", () => {
  it("creates a server key by default, shows it once with its own prefix, and stores only its hash", async () => {
    const { tenant, project } = await setup();
    const created = CreatedSdkKeySchema.parse(
      await json(call(`/projects/${project.id}/environments/production/sdk-keys`, { token: tenant.key, method: "POST" }), 201),
    );
    expect(created.kind).toBe("server");
    expect(created.key).toMatch(/^fpsdk_server_[A-Za-z0-9_-]{32}$/);
    expect(created.key.startsWith("fp_")).toBe(false);
    expect(created.environment.key).toBe("production");
    const row = await env.DB.prepare("SELECT * FROM sdk_keys WHERE id = ?").bind(created.id).first<Record<string, unknown>>();
    expect(row?.key_hash).toBe(await hashKey(created.key));
    expect(JSON.stringify(row)).not.toContain(created.key);
    const client = await newSdkKey(tenant, project.id, "development", "client");
    expect(client.key).toMatch(/^fpsdk_client_/);
  });

  it("lists an environment's keys, newest first, without the keys; revoking removes one", async () => {
    const { tenant, project } = await setup();
    const a = await newSdkKey(tenant, project.id);
    const b = await newSdkKey(tenant, project.id, "production", "client");
    await newSdkKey(tenant, project.id, "development");
    const path = `/projects/${project.id}/environments/production/sdk-keys`;
    const page = await json(call(path, { token: tenant.key }), 200);
    expect(page.data.map((k: { id: string }) => k.id)).toEqual([b.id, a.id]);
    for (const k of page.data) expect(SdkKeySchema.strict().parse(k)).toEqual(k);
    expect(JSON.stringify(page)).not.toContain(a.key);
    const first = await json(call(`${path}?limit=1`, { token: tenant.key }), 200);
    expect(first.next_cursor).not.toBeNull();
    await json(call(`${path}/${a.id}`, { token: tenant.key, method: "DELETE" }), 204);
    expect((await json(call(path, { token: tenant.key }), 200)).data.map((k: { id: string }) => k.id)).toEqual([b.id]);
    await expectError(call(`${path}/${a.id}`, { token: tenant.key, method: "DELETE" }), 404);
  });

  it("a revoked key is refused at once by the isolate that revoked it (everywhere within 30 s)", async () => {
    const { tenant, project } = await setup();
    await newFlag(tenant, project.id, { key: "f" });
    const key = await newSdkKey(tenant, project.id);
    expect((await ofrep(key.key, "f")).status).toBe(200);
    await json(call(`/projects/${project.id}/environments/production/sdk-keys/${key.id}`, { token: tenant.key, method: "DELETE" }), 204);
    expect((await ofrep(key.key, "f")).status).toBe(401);
    expect((await tggl(key.key, "/config")).status).toBe(401);
  });

  it("answers 404 for another organization's project, an unknown environment and bad input 400", async () => {
    const { project } = await setup();
    const other = await newTenant("Other");
    await expectError(call(`/projects/${project.id}/environments/production/sdk-keys`, { token: other.key, method: "POST" }), 404);
    await expectError(call(`/projects/${project.id}/environments/production/sdk-keys`, { token: other.key }), 404);
    const { tenant, project: mine } = await setup();
    await expectError(call(`/projects/${mine.id}/environments/nope/sdk-keys`, { token: tenant.key, method: "POST" }), 404);
    await expectError(call(`/projects/${mine.id}/environments/production/sdk-keys`, { token: tenant.key, body: { kind: "admin" } }), 400, "validation_failed");
    await expectError(call(`/projects/${mine.id}/environments/production/sdk-keys/${unknownId()}`, { token: tenant.key, method: "DELETE" }), 404);
  });
});

describe("separation from API keys", () => {
  it("an SDK key is refused (401) on every management route", async () => {
    const { tenant, project } = await setup();
    const key = await newSdkKey(tenant, project.id);
    for (const path of [
      "/me",
      "/projects",
      `/projects/${project.id}`,
      `/projects/${project.id}/flags`,
      `/projects/${project.id}/environments/production/sdk-keys`,
    ])
      await expectError(call(path, { token: key.key }), 401);
    await expectError(call("/admin/orgs", { token: key.key, body: { name: "x" } }), 401);
  });

  it("an API key, the admin token, no key or a made-up key is refused (401) on every evaluation route", async () => {
    const { tenant, project } = await setup();
    await newFlag(tenant, project.id, { key: "f" });
    for (const credential of [tenant.key, ADMIN_TOKEN, null, "fpsdk_server_made-up"]) {
      expect((await ofrep(credential, "f")).status).toBe(401);
      expect((await ofrep(credential, null)).status).toBe(401);
      expect((await tggl(credential, "/config")).status).toBe(401);
      expect((await tggl(credential, "/flags", { body: {} })).status).toBe(401);
      expect((await tggl(credential, "/report", { body: {} })).status).toBe(401);
    }
    const apiKeyAsHeader = await root("/ofrep/v1/evaluate/flags/f", {
      method: "POST",
      headers: { "x-api-key": tenant.key, "content-type": "application/json" },
      body: "{}",
    });
    expect(apiKeyAsHeader.status).toBe(401);
  });

  it("a client key works on OFREP only; /tggl needs a server key in x-tggl-api-key", async () => {
    const { tenant, project } = await setup();
    await newFlag(tenant, project.id, { key: "f" });
    const client = await newSdkKey(tenant, project.id, "production", "client");
    const server = await newSdkKey(tenant, project.id);
    expect((await ofrep(client.key, "f")).status).toBe(200);
    expect((await root("/ofrep/v1/evaluate/flags/f", { method: "POST", headers: { "x-api-key": client.key }, body: "{}" })).status).toBe(200);
    // As OFREP providers' examples set it: the bare key in Authorization.
    expect((await root("/ofrep/v1/evaluate/flags/f", { method: "POST", headers: { authorization: client.key }, body: "{}" })).status).toBe(200);
    expect((await root("/ofrep/v1/evaluate/flags/f", { method: "POST", headers: { authorization: tenant.key }, body: "{}" })).status).toBe(401);
    for (const path of ["/config", "/flags", "/report"]) expect((await tggl(client.key, path, path === "/config" ? {} : { body: {} })).status).toBe(401);
    expect((await tggl(server.key, "/config")).status).toBe(200);
    // A server key in Authorization is not how Tggl's SDKs authenticate.
    expect((await root("/tggl/config", { headers: { authorization: `Bearer ${server.key}` } })).status).toBe(401);
  });

  it("a key reads its own environment only", async () => {
    const { tenant, project } = await setup();
    await newFlag(tenant, project.id, { key: "f" });
    await json(call(`/projects/${project.id}/flags/f/environments/development`, { token: tenant.key, method: "PATCH", body: { enabled: true } }), 200);
    const dev = await newSdkKey(tenant, project.id, "development");
    const prod = await newSdkKey(tenant, project.id, "production");
    expect((await json(ofrep(dev.key, "f"), 200)).reason).toBe("STATIC");
    expect((await json(ofrep(prod.key, "f"), 200)).reason).toBe("DISABLED");
    const other = await setup();
    await newFlag(other.tenant, other.project.id, { key: "g" });
    expect((await ofrep(prod.key, "g")).status).toBe(404);
  });
});

describe("SEMVER rules", () => {
  it.each(["1.2.3-beta", "1.2.3+build.5", "2.0.0-rc.1"])("refuse %s on write with 400, naming the rule", async (value) => {
    const { tenant, project } = await setup();
    const flag = await newFlag(tenant, project.id);
    const live = flag.variations[0].id;
    const res = await call(`/projects/${project.id}/flags/${flag.key}/environments/production`, {
      token: tenant.key,
      method: "PATCH",
      body: {
        conditions: [
          {
            variation_id: live,
            rules: [
              { property: "appVersion", operator: "SEMVER_GTE", value: "1.0.0" },
              { property: "appVersion", operator: "SEMVER_GTE", value },
            ],
          },
        ],
      },
    });
    const body = await expectError(res, 400, "validation_failed");
    const details = body.error.details as { field: string; message: string }[];
    expect(details.map((d) => d.field)).toEqual(["conditions.0.rules.1.value"]);
    expect(details[0].message).toMatch(/SEMVER_GTE rule on "appVersion".*pre-release or build/);
  });
});
