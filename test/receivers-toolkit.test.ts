// The receivers' toolkit end to end through the local queue and a real receiver on 127.0.0.1: Slack and
// Sentry bodies, secret rotation with its overlap, and ed25519 — each delivery verified with the
// receiving side's own code (standardwebhooks, Node's crypto as in Rollgate's snippet and as Sentry
// checks, Node's crypto.verify).
import { Buffer } from "node:buffer";
import { createHmac, createPublicKey, timingSafeEqual, verify } from "node:crypto";
import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { SentryBodySchema } from "../src/outbound/formats/sentry";
import { RotatedSecretSchema } from "../src/webhooks/receiver-schemas";
import { WebhookSchema } from "../src/webhooks/schemas";
import { call, expectError, json, newFlag, newTenant, patchState, setup, type Tenant } from "./helpers";
import { eventually, newWebhook, received, receiverUrl, webhookPath, type Received } from "./webhook-helpers";

function rollgateAccepts(r: Received, secret: string): boolean {
  const expected = Buffer.from(`sha256=${createHmac("sha256", secret).update(r.body).digest("hex")}`);
  return ["x-rollgate-signature", "x-rollgate-signature-previous"].some((name) => {
    const given = r.headers[name];
    return given !== undefined && Buffer.from(given).length === expected.length && timingSafeEqual(Buffer.from(given), expected);
  });
}

function standardAccepts(r: Received, secret: string): boolean {
  try {
    new Webhook(`whsec_${Buffer.from(secret, "utf8").toString("base64")}`).verify(r.body, r.headers);
    return true;
  } catch {
    return false;
  }
}

async function arrivals(url: string, n: number): Promise<Received[]> {
  return eventually(async () => {
    const seen = await received(url);
    expect(seen).toHaveLength(n);
    return seen;
  });
}

async function toggle(t: Tenant, projectId: string, flagKey: string, enabled: boolean) {
  expect((await patchState(t, projectId, flagKey, "production", { enabled })).status).toBe(200);
}

describe("secret rotation", () => {
  it("generates a 32-character base64url secret, shown once, with its Standard Webhooks form", async () => {
    const { tenant, project } = await setup();
    const hook = await newWebhook(tenant, project.id, { url: receiverUrl("ok"), secret: "old-secret" });
    const before = Date.now();
    const res = await call(`${webhookPath(project.id, hook.id)}/rotate-secret`, { token: tenant.key, method: "POST" });
    const rotated = RotatedSecretSchema.parse(await json(res, 200));
    expect(rotated.secret).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(Buffer.from(rotated.secret, "base64url")).toHaveLength(24);
    expect(rotated.standard_webhooks_secret).toBe(`whsec_${Buffer.from(rotated.secret, "utf8").toString("base64")}`);
    const expires = Date.parse(rotated.previous_expires_at!);
    expect(expires).toBeGreaterThanOrEqual(before + 86_400_000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 86_400_000);
    const text = await (await call(webhookPath(project.id, hook.id), { token: tenant.key })).text();
    expect(text).not.toContain(rotated.secret);
    const row = await env.DB.prepare("SELECT secret, previous_secret FROM webhooks WHERE id = ?").bind(hook.id).first<Record<string, string>>();
    expect(JSON.stringify(row)).not.toContain(rotated.secret);
    expect(JSON.stringify(row)).not.toContain("old-secret");
    expect(row!.previous_secret).toMatch(/^v1\.local\./);
  });

  it("a receiver that switches secrets at any moment of the overlap verifies every delivery", async () => {
    const { tenant, project } = await setup();
    const url = receiverUrl("ok");
    const hook = await newWebhook(tenant, project.id, { url, secret: "old-secret", events: ["flag.toggled"] });
    const flag = await newFlag(tenant, project.id);
    await toggle(tenant, project.id, flag.key, true);
    const [beforeRotation] = await arrivals(url, 1);
    const { secret } = await json(
      call(`${webhookPath(project.id, hook.id)}/rotate-secret`, { token: tenant.key, body: { secret: "new-secret-ü", previous_expires_in_seconds: 3600 } }),
      200,
    );
    expect(secret).toBe("new-secret-ü");
    await toggle(tenant, project.id, flag.key, false);
    await toggle(tenant, project.id, flag.key, true);
    const during = (await arrivals(url, 3)).slice(1);
    // The overlap ends (as if an hour had passed): the previous secret no longer signs.
    await env.DB.prepare("UPDATE webhooks SET previous_secret_expires_at = ? WHERE id = ?")
      .bind(Date.now() - 1, hook.id)
      .run();
    await toggle(tenant, project.id, flag.key, false);
    const after = (await arrivals(url, 4)).slice(3);

    for (const check of [standardAccepts, rollgateAccepts]) {
      expect(check(beforeRotation, "old-secret")).toBe(true);
      for (const r of during) {
        expect(check(r, "old-secret")).toBe(true);
        expect(check(r, "new-secret-ü")).toBe(true);
      }
      for (const r of after) {
        expect(check(r, "new-secret-ü")).toBe(true);
        expect(check(r, "old-secret")).toBe(false);
      }
    }
    for (const r of during) {
      expect(r.headers["webhook-signature"].split(" ")).toHaveLength(2);
      expect(r.headers["x-rollgate-signature"]).toBe(`sha256=${createHmac("sha256", "new-secret-ü").update(r.body).digest("hex")}`);
    }
    expect(after[0].headers["x-rollgate-signature-previous"]).toBeUndefined();
  });

  it("with no overlap, or on a webhook without a secret, keeps no previous secret", async () => {
    const { tenant, project } = await setup();
    const url = receiverUrl("ok");
    const signed = await newWebhook(tenant, project.id, { url, secret: "old-secret", events: ["flag.toggled"] });
    const unsigned = await newWebhook(tenant, project.id, { url: receiverUrl("ok"), events: ["flag.toggled"] });
    const none = await json(call(`${webhookPath(project.id, signed.id)}/rotate-secret`, { token: tenant.key, body: { previous_expires_in_seconds: 0 } }), 200);
    expect(none.previous_expires_at).toBeNull();
    const first = await json(call(`${webhookPath(project.id, unsigned.id)}/rotate-secret`, { token: tenant.key, body: {} }), 200);
    expect(first.previous_expires_at).toBeNull();
    expect(WebhookSchema.parse(await json(call(webhookPath(project.id, unsigned.id), { token: tenant.key }), 200)).has_secret).toBe(true);
    const flag = await newFlag(tenant, project.id);
    await toggle(tenant, project.id, flag.key, true);
    const [r] = await arrivals(url, 1);
    expect(r.headers["webhook-signature"].split(" ")).toHaveLength(1);
    expect(standardAccepts(r, none.secret)).toBe(true);
    expect(standardAccepts(r, "old-secret")).toBe(false);
  });

  it("a secret set by PATCH ends the overlap", async () => {
    const { tenant, project } = await setup();
    const hook = await newWebhook(tenant, project.id, { url: receiverUrl("ok"), secret: "old-secret" });
    await json(call(`${webhookPath(project.id, hook.id)}/rotate-secret`, { token: tenant.key, body: {} }), 200);
    await json(call(webhookPath(project.id, hook.id), { token: tenant.key, method: "PATCH", body: { secret: "patched" } }), 200);
    const row = await env.DB.prepare("SELECT previous_secret, previous_secret_expires_at FROM webhooks WHERE id = ?").bind(hook.id).first();
    expect(row).toEqual({ previous_secret: null, previous_secret_expires_at: null });
  });

  it.each([
    [{ previous_expires_in_seconds: 604_801 }, "previous_expires_in_seconds"],
    [{ previous_expires_in_seconds: -1 }, "previous_expires_in_seconds"],
    [{ previous_expires_in_seconds: 1.5 }, "previous_expires_in_seconds"],
    [{ secret: "" }, "secret"],
  ])("%j is a 400", async (body, field) => {
    const { tenant, project } = await setup();
    const hook = await newWebhook(tenant, project.id, { url: receiverUrl("ok"), secret: "s" });
    const err = await expectError(call(`${webhookPath(project.id, hook.id)}/rotate-secret`, { token: tenant.key, body }), 400, "validation_failed");
    expect(JSON.stringify(err.error.details)).toContain(field);
  });

  it("is a 404 for another organization's webhook, under both scopes", async () => {
    const { tenant, project } = await setup();
    const projectHook = await newWebhook(tenant, project.id, { url: receiverUrl("ok"), secret: "s" });
    const orgHook = await newWebhook(tenant, null, { url: receiverUrl("ok"), secret: "s" });
    const other = await newTenant("Other");
    await expectError(call(`${webhookPath(project.id, projectHook.id)}/rotate-secret`, { token: other.key, body: {} }), 404, "not_found");
    await expectError(call(`${webhookPath(null, orgHook.id)}/rotate-secret`, { token: other.key, body: {} }), 404, "not_found");
    await expectError(call(`${webhookPath(null, orgHook.id)}/ed25519-key`, { token: other.key, method: "POST" }), 404, "not_found");
    await expectError(call(`${webhookPath(null, orgHook.id)}/rotate-secret`, { method: "POST" }), 401, "unauthorized");
  });
});

describe("ed25519", () => {
  it("gives a whpk_ public key, shown on the webhook, and v1a signatures that Node's crypto.verify accepts", async () => {
    const { tenant } = await setup();
    const url = receiverUrl("ok");
    const hook = await newWebhook(tenant, null, { url, events: ["flag.created"] });
    const { public_key } = await json(call(`${webhookPath(null, hook.id)}/ed25519-key`, { token: tenant.key, method: "POST" }), 200);
    expect(public_key).toMatch(/^whpk_[A-Za-z0-9+/]{43}=$/);
    const raw = Buffer.from(public_key.slice(5), "base64");
    expect(raw).toHaveLength(32);
    const shown = WebhookSchema.parse(await json(call(webhookPath(null, hook.id), { token: tenant.key }), 200));
    expect(shown.ed25519_public_key).toBe(public_key);
    const row = await env.DB.prepare("SELECT ed25519_private_key FROM webhooks WHERE id = ?").bind(hook.id).first<{ ed25519_private_key: string }>();
    expect(row!.ed25519_private_key).toMatch(/^v1\.local\./);

    // Organization webhooks hear every project of the organization: use the tenant's own project.
    const own = await json(call("/projects", { token: tenant.key, body: { key: `ed-${crypto.randomUUID().slice(0, 6)}`, name: "Ed" } }), 201);
    await newFlag(tenant, own.id);
    const [r] = await arrivals(url, 1);
    const signature = r.headers["webhook-signature"];
    expect(signature).toMatch(/^v1a,/);
    const publicKey = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: raw.toString("base64url") }, format: "jwk" });
    const signed = Buffer.from(`${r.headers["webhook-id"]}.${r.headers["webhook-timestamp"]}.${r.body}`);
    expect(verify(null, signed, publicKey, Buffer.from(signature.slice(4), "base64"))).toBe(true);
  });
});

describe("the sentry and slack formats, delivered", () => {
  it("sentry: Sentry's generic body, X-Sentry-Signature as Sentry computes it, flag key and actor", async () => {
    const { tenant, project } = await setup();
    const url = receiverUrl("ok");
    await newWebhook(tenant, project.id, { url, secret: "sentry-secret", format: "sentry", environments: ["production"] });
    const flag = await newFlag(tenant, project.id, { key: "new-checkout" });
    await toggle(tenant, project.id, flag.key, true);
    await call(`/projects/${project.id}/flags/${flag.key}`, { token: tenant.key, method: "DELETE" });
    const seen = await arrivals(url, 3);
    const bodies = seen.map((r) => SentryBodySchema.parse(JSON.parse(r.body)));
    expect(bodies.map((b) => b.data[0].action).sort()).toEqual(["created", "deleted", "updated"]);
    for (const [i, r] of seen.entries()) {
      expect(r.headers["x-sentry-signature"]).toBe(createHmac("sha256", "sentry-secret").update(r.body).digest("hex"));
      expect(bodies[i].data[0]).toMatchObject({ flag: "new-checkout", created_by: { id: tenant.email, type: "email" } });
      // change_id is the revision of the change, the same one the delivery's header carries.
      expect(bodies[i].data[0].change_id).toBe(Number(r.headers["x-flagpost-revision"]));
    }
    expect(bodies.map((b) => b.data[0].change_id).sort()).toEqual([1, 2, 3]);
  });

  it("slack: {text, blocks} with the sentence, and the test call sends one too", async () => {
    const { tenant, project } = await setup();
    const url = receiverUrl("ok");
    const hook = await newWebhook(tenant, project.id, { url, format: "slack", events: ["flag.toggled"] });
    const flag = await newFlag(tenant, project.id, { key: "new-checkout" });
    await toggle(tenant, project.id, flag.key, true);
    const [r] = await arrivals(url, 1);
    const body = JSON.parse(r.body);
    expect(Object.keys(body).sort()).toEqual(["blocks", "text"]);
    // The e-mail's domain carries an invisible word joiner, so Slack does not link it.
    expect(body.text).toBe(`${tenant.email.replace(".com", ".\u2060com")} toggled *new-checkout* ON in *production* (Web)`);
    expect(body.blocks.map((b: { type: string }) => b.type)).toEqual(["section", "context"]);
    const test = await json(call(`${webhookPath(project.id, hook.id)}/test`, { token: tenant.key, method: "POST" }), 200);
    expect(test.success).toBe(true);
    const [, sample] = await arrivals(url, 2);
    expect(JSON.parse(sample.body).text).toMatch(/^Test delivery: /);
  });
});
