// POST /webhooks/verify: what a receiver got, and what is wrong with it in words it can act on.
import { describe, expect, it } from "vitest";
import { VerifyResultSchema, type VerifyResult } from "../src/webhooks/receiver-schemas";
import { bodyCheck } from "../src/webhooks/verify";
import { call, expectError, json, newFlag, newTenant, patchState, setup, type Tenant } from "./helpers";
import { eventually, newWebhook, received, receiverUrl, webhookPath } from "./webhook-helpers";

const SECRET = "receiver-secret";

async function delivered(secret: string | undefined = SECRET) {
  const { tenant, project } = await setup();
  const url = receiverUrl("ok");
  const hook = await newWebhook(tenant, project.id, { url, events: ["flag.toggled"], ...(secret ? { secret } : {}) });
  const flag = await newFlag(tenant, project.id);
  await patchState(tenant, project.id, flag.key, "production", { enabled: true });
  const [r] = await eventually(async () => {
    const seen = await received(url);
    expect(seen).toHaveLength(1);
    return seen;
  });
  return { tenant, project, hook, flag, url, r };
}

async function debug(t: Tenant, body: Record<string, unknown>): Promise<VerifyResult> {
  return VerifyResultSchema.parse(await json(call("/webhooks/verify", { token: t.key, body }), 200));
}

const check = (result: VerifyResult, name: string) => result.checks.find((c) => c.check === name);

describe("POST /webhooks/verify", () => {
  it("passes a delivery exactly as received, on every check", async () => {
    const { tenant, hook, r } = await delivered();
    const result = await debug(tenant, { webhook_id: hook.id, secret: SECRET, headers: r.headers, body: r.body });
    expect(result.valid).toBe(true);
    expect(result.checks.map((c) => c.check)).toEqual(["signature_headers", "timestamp", "rollgate_signature", "standard_webhooks_signature", "body"]);
    expect(result.checks.every((c) => c.ok)).toBe(true);
    expect(check(result, "body")!.detail).toBe("byte for byte the body Flagpost sent");
  });

  it("says when the body is the same JSON re-serialized, and where it first differs", async () => {
    const { tenant, hook, r } = await delivered();
    const reserialized = JSON.stringify(JSON.parse(r.body), null, 2);
    const result = await debug(tenant, { webhook_id: hook.id, secret: SECRET, headers: r.headers, body: reserialized });
    expect(result.valid).toBe(false);
    const body = check(result, "body")!;
    expect(body.ok).toBe(false);
    expect(body.detail).toMatch(/^the same JSON, re-serialized \(first difference at character 1 \(line 1, column 2\)/);
    expect(body.detail).toContain("verify the raw bytes as received");
    expect(check(result, "rollgate_signature")!.detail).toContain("the body differs from what Flagpost sent");
  });

  it("says when the body is different content", async () => {
    const { tenant, hook, r } = await delivered();
    const tampered = r.body.replace('"enabled":true', '"enabled":false');
    const body = check(await debug(tenant, { webhook_id: hook.id, headers: r.headers, body: tampered }), "body")!;
    expect(body.ok).toBe(false);
    expect(body.detail).toMatch(/^not the body Flagpost sent: first difference at character \d+/);
    expect(body.detail).toContain('you have "false');
  });

  it("names the previous secret when the signature was made with it", async () => {
    const { tenant, project, hook, r } = await delivered("first-secret");
    const rotated = await json(call(`${webhookPath(project.id, hook.id)}/rotate-secret`, { token: tenant.key, body: {} }), 200);
    // The delivery was signed before the rotation; the receiver already switched to the new secret.
    const result = await debug(tenant, { webhook_id: hook.id, secret: rotated.secret, headers: r.headers, body: r.body });
    expect(result.valid).toBe(false);
    const rollgate = check(result, "rollgate_signature")!;
    expect(rollgate.ok).toBe(false);
    expect(rollgate.detail).toMatch(/^made with the webhook's previous secret \(before the last rotation; still signing until .*\), not with your secret/);
  });

  it("accepts a receiver still on the previous secret during the overlap, and says to switch", async () => {
    const { tenant, project, hook, flag, url } = await delivered("first-secret");
    await json(call(`${webhookPath(project.id, hook.id)}/rotate-secret`, { token: tenant.key, body: {} }), 200);
    await patchState(tenant, project.id, flag.key, "production", { enabled: false });
    const [, during] = await eventually(async () => {
      const seen = await received(url);
      expect(seen).toHaveLength(2);
      return seen;
    });
    const result = await debug(tenant, { webhook_id: hook.id, secret: "first-secret", headers: during.headers, body: during.body });
    expect(result.valid).toBe(true);
    expect(check(result, "rollgate_signature")!.detail).toMatch(
      /\(X-Rollgate-Signature-Previous\): your receiver still has the secret from before the last rotation, and must switch to the new one before the overlap ends at \d{4}-/,
    );
    expect(check(result, "standard_webhooks_signature")!.detail).toContain("the second v1 entry");
  });

  it("says a timestamp within the tolerance is so many seconds ago, not from now", async () => {
    const { tenant, hook, r } = await delivered();
    const past = String(Math.round(Date.now() / 1000) - 21);
    const result = await debug(tenant, { webhook_id: hook.id, secret: SECRET, headers: { ...r.headers, "webhook-timestamp": past }, body: r.body });
    expect(check(result, "timestamp")!.detail).toMatch(/^(2\d) s ago, within five minutes$/);
    const future = String(Math.round(Date.now() / 1000) + 30);
    const ahead = await debug(tenant, { webhook_id: hook.id, secret: SECRET, headers: { ...r.headers, "webhook-timestamp": future }, body: r.body });
    expect(check(ahead, "timestamp")!.detail).toMatch(/^(29|30|31) s from now, within five minutes$/);
  });

  it("says the timestamp is stale", async () => {
    const { tenant, hook, r } = await delivered();
    const old = String(Number(r.headers["webhook-timestamp"]) - 600);
    const result = await debug(tenant, { webhook_id: hook.id, secret: SECRET, headers: { ...r.headers, "webhook-timestamp": old }, body: r.body });
    const timestamp = check(result, "timestamp")!;
    expect(timestamp.ok).toBe(false);
    expect(timestamp.detail).toMatch(/^webhook-timestamp is 6\d\d s old; receivers refuse more than five minutes/);
    // The Rollgate signature does not cover the timestamp; the Standard Webhooks one does.
    expect(check(result, "rollgate_signature")!.ok).toBe(true);
    expect(check(result, "standard_webhooks_signature")!.ok).toBe(false);
  });

  it.each([
    [
      "missing",
      (h: Record<string, string>) => omit(h, ["x-rollgate-signature", "webhook-signature"]),
      /^neither X-Rollgate-Signature nor webhook-signature is present/,
    ],
    [
      "malformed",
      (h: Record<string, string>) => ({ ...h, "x-rollgate-signature": "abc123" }),
      /^X-Rollgate-Signature should be "sha256=" and 64 lowercase hex digits, got "abc123"/,
    ],
    ["missing webhook-id", (h: Record<string, string>) => omit(h, ["webhook-id", "x-rollgate-delivery"]), /webhook-id is missing/],
  ])("says when a signature header is %s", async (_, edit, detail) => {
    const { tenant, r } = await delivered();
    const result = await debug(tenant, { secret: SECRET, headers: edit(r.headers), body: r.body });
    expect(result.valid).toBe(false);
    const headers = check(result, "signature_headers")!;
    expect(headers.ok).toBe(false);
    expect(headers.detail).toMatch(detail);
  });

  it("says when a secret matches nothing, and when there is nothing to verify with", async () => {
    const { tenant, r } = await delivered();
    const wrong = await debug(tenant, { secret: "not-it", headers: r.headers, body: r.body });
    expect(check(wrong, "rollgate_signature")).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/^matches none of the secrets tried \(your secret\)/),
    });
    const nothing = await debug(tenant, { headers: r.headers, body: r.body });
    expect(nothing.valid).toBe(false);
    expect(check(nothing, "secret")!.detail).toMatch(/^nothing to verify with/);
  });

  it("is a 404 for another organization's webhook, and needs an API key", async () => {
    const { hook, r } = await delivered();
    const other = await newTenant("Other");
    await expectError(call("/webhooks/verify", { token: other.key, body: { webhook_id: hook.id, headers: r.headers, body: r.body } }), 404, "not_found");
    await expectError(call("/webhooks/verify", { body: { headers: {}, body: "" } }), 401, "unauthorized");
  });
});

describe("the body check", () => {
  it.each([
    ['{"a":1,"b":2}', '{"b":2,"a":1}', /^the same JSON, re-serialized \(first difference at character 2 \(line 1, column 3\)/],
    ['{"name":"é"}', '{"name":"\\u00e9"}', /^the same JSON, re-serialized/],
    ['{"a":1}', '{"a":1}\n', /^the same JSON, re-serialized \(first difference at character 7/],
    ['{"a":1}', '{"a":2}', /^not the body Flagpost sent: first difference at character 5 \(line 1, column 6\): Flagpost sent "1}", you have "2}"/],
    ['{"a":1}', "a=1", /^not the body Flagpost sent/],
  ])("%s against %s", (sent, got, detail) => {
    const result = bodyCheck(sent, got, "d");
    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(detail);
  });
});

function omit(h: Record<string, string>, names: string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(h).filter(([k]) => !names.includes(k)));
}

describe("malformed signatures", () => {
  it("reports a malformed v1a entry as a header problem instead of failing", async () => {
    const { tenant, project, hook, r } = await delivered();
    await json(call(`${webhookPath(project.id, hook.id)}/ed25519-key`, { token: tenant.key, method: "POST" }), 200);
    const headers = { ...r.headers, "webhook-signature": `${r.headers["webhook-signature"]} v1a,not*base64` };
    const result = await debug(tenant, { webhook_id: hook.id, secret: SECRET, headers, body: r.body });
    expect(check(result, "signature_headers")).toMatchObject({ ok: false, detail: expect.stringContaining('"v1a,not*base64"') });
    expect(check(result, "ed25519_signature")!.ok).toBe(false);
  });
});
