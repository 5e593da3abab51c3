// Webhooks as resources: create, read, update, delete under both scopes; what reads never show;
// what is refused; and which changes each webhook is given.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../src/index";
import { WebhookSchema } from "../src/webhooks/schemas";
import { call, json, newFlag, newProject, newTenant, patchState, setup } from "./helpers";
import { deliveriesOf, eventually, newWebhook, received, receiverUrl, webhookPath } from "./webhook-helpers";

describe.each([
  ["project", true],
  ["organization", false],
])("%s webhooks", (_scope, projectScoped) => {
  it("create, list, get, update and delete; the secret is never returned and header values are masked", async () => {
    const { tenant, project } = await setup();
    const pid = projectScoped ? project.id : null;
    const created = WebhookSchema.parse(
      await newWebhook(tenant, pid, { url: receiverUrl("ok"), secret: "whsec-plain", headers: { Authorization: "Bearer very-secret-token" }, format: "tggl" }),
    );
    expect(created).toMatchObject({ has_secret: true, format: "tggl", enabled: true, environments: null });
    expect(created.headers.Authorization).not.toContain("very-secret-token");
    const path = webhookPath(pid, created.id);
    const text = await (await call(path, { token: tenant.key })).text();
    expect(text).not.toContain("whsec-plain");
    expect(text).not.toContain("very-secret-token");
    const list = await json(call(pid ? `/projects/${pid}/webhooks` : "/webhooks", { token: tenant.key }), 200);
    expect(list.data.map((w: { id: string }) => w.id)).toEqual([created.id]);
    const updated = await json(call(path, { token: tenant.key, method: "PATCH", body: { enabled: false, secret: null, environments: ["production"] } }), 200);
    expect(updated).toMatchObject({ enabled: false, has_secret: false, environments: ["production"], name: "Receiver" });
    expect((await call(path, { token: tenant.key, method: "DELETE" })).status).toBe(204);
    expect((await call(path, { token: tenant.key })).status).toBe(404);
  });
});

describe("secrets at rest", () => {
  it("D1 holds the secret and custom header values only encrypted, with the key id beside each", async () => {
    const { tenant, project } = await setup();
    const hook = await newWebhook(tenant, project.id, {
      url: receiverUrl("ok"),
      secret: "plain-secret-123",
      headers: { Authorization: "Bearer header-secret-456" },
    });
    const row = await env.DB.prepare("SELECT * FROM webhooks WHERE id = ?").bind(hook.id).first<Record<string, unknown>>();
    const stored = JSON.stringify(row);
    expect(stored).not.toContain("plain-secret-123");
    expect(stored).not.toContain("header-secret-456");
    expect(String(row!.secret)).toMatch(/^v1\.local\./);
    expect(String(row!.headers)).toMatch(/^v1\.local\./);
  });
});

describe("refusals", () => {
  it.each([
    [{ url: "not a url" }, "url"],
    [{ url: "ftp://example.com/x" }, "url"],
    [{ events: [] }, "events"],
    [{ events: ["flag.exploded"] }, "events.0"],
    [{ headers: { "Bad Header": "x" } }, "headers.Bad Header"],
    [{ headers: { "X-Ok": "line\nbreak" } }, "headers.X-Ok"],
    [{ headers: { "x-rollgate-signature": "forged" } }, "headers.x-rollgate-signature"],
    [{ headers: { "Webhook-Id": "forged" } }, "headers.Webhook-Id"],
    [{ format: "xml" }, "format"],
    [JSON.parse('{"headers": {"__proto__": "x"}}'), "headers.__proto__"],
  ])("%j is a 400 naming %s", async (patch, field) => {
    const { tenant, project } = await setup();
    const res = await call(`/projects/${project.id}/webhooks`, {
      token: tenant.key,
      body: { name: "x", url: "https://hooks.example.com/a", events: ["flag.toggled"], ...patch },
    });
    expect(res.status).toBe(400);
    const body = await res.json<{ error: { code: string; details: { field: string }[] } }>();
    expect(body.error.code).toBe("validation_failed");
    expect(body.error.details.map((d) => d.field)).toContain(field);
  });

  it.each([
    "http://hooks.example.com/a",
    "https://127.0.0.1/a",
    "https://localhost/a",
    "https://10.1.2.3/a",
    "https://192.168.0.10/a",
    "https://169.254.169.254/latest/meta-data",
    "https://[::1]/a",
    "https://[fd00::1]/a",
    "https://metadata.google.internal/a",
    "https://2130706433/a",
  ])("outside local runs %s is refused", async (url) => {
    const { tenant, project } = await setup();
    const deployed = { ...env, ALLOW_INSECURE_WEBHOOK_URLS: "false" } as Env;
    const req = new Request(`http://flagpost.test/api/v1/projects/${project.id}/webhooks`, {
      method: "POST",
      headers: { authorization: `Bearer ${tenant.key}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "x", url, events: ["flag.toggled"] }),
    });
    const ctx = createExecutionContext();
    const res = await worker.fetch(req, deployed, ctx);
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(400);
    expect((await res.json<{ error: { details: { field: string }[] } }>()).error.details[0].field).toBe("url");
  });

  it("another organization's webhook is 404", async () => {
    const { tenant, project } = await setup();
    const hook = await newWebhook(tenant, project.id, { url: receiverUrl("ok") });
    const other = await newTenant("Other");
    expect((await call(`/projects/${project.id}/webhooks/${hook.id}`, { token: other.key })).status).toBe(404);
    const orgHook = await newWebhook(tenant, null, { url: receiverUrl("ok") });
    expect((await call(`/webhooks/${orgHook.id}`, { token: other.key })).status).toBe(404);
    expect((await call(`/webhooks/${orgHook.id}/deliveries`, { token: other.key })).status).toBe(404);
  });
});

describe("which changes a webhook is given", () => {
  it("events, environments and enabled narrow the deliveries; organization webhooks see every project", async () => {
    const { tenant, project } = await setup();
    const second = await newProject(tenant);
    const toggles = await newWebhook(tenant, project.id, { url: receiverUrl("ok"), events: ["flag.toggled"] });
    const devOnly = await newWebhook(tenant, project.id, { url: receiverUrl("ok"), events: ["flag.toggled", "flag.created"], environments: ["development"] });
    const disabled = await newWebhook(tenant, project.id, { url: receiverUrl("ok"), enabled: false });
    const org = await newWebhook(tenant, null, { url: receiverUrl("ok"), events: ["flag.created"] });
    const flag = await newFlag(tenant, project.id);
    await newFlag(tenant, second.id);
    await patchState(tenant, project.id, flag.key, "production", { enabled: true });
    const events = async (pid: string | null, id: string) => (await deliveriesOf(tenant, pid, id)).map((d) => d.event).sort();
    expect(await events(project.id, toggles.id)).toEqual(["flag.toggled"]);
    expect(await events(project.id, devOnly.id)).toEqual(["flag.created"]);
    expect(await events(project.id, disabled.id)).toEqual([]);
    expect(await events(null, org.id)).toEqual(["flag.created", "flag.created"]);
  });

  it("the test call sends one signed webhook.test and logs it; redelivery makes one more attempt", async () => {
    const { tenant, project } = await setup();
    const url = receiverUrl("ok");
    const hook = await newWebhook(tenant, project.id, { url, events: ["flag.deleted"], secret: "s" });
    const result = await json(call(`/projects/${project.id}/webhooks/${hook.id}/test`, { token: tenant.key, method: "POST" }), 200);
    expect(result).toMatchObject({ success: true, status_code: 200 });
    expect(typeof result.response_time_ms).toBe("number");
    const [delivery] = await deliveriesOf(tenant, project.id, hook.id, "?event=webhook.test");
    expect(delivery).toMatchObject({ event: "webhook.test", status: "succeeded", attempt_count: 1 });
    expect((await received(url))[0].headers["x-rollgate-event"]).toBe("webhook.test");
    const redelivered = await call(`/projects/${project.id}/webhooks/${hook.id}/deliveries/${delivery.id}/redeliver`, { token: tenant.key, method: "POST" });
    expect(redelivered.status).toBe(202);
    await eventually(async () => expect((await deliveriesOf(tenant, project.id, hook.id))[0]).toMatchObject({ status: "succeeded", attempt_count: 2 }));
    const seen = await received(url);
    expect(seen.map((r) => r.headers["x-rollgate-delivery"])).toEqual([delivery.id, delivery.id]);
  });

  it("a test to a dead receiver answers success false with a null status code", async () => {
    const { tenant, project } = await setup();
    const hook = await newWebhook(tenant, project.id, { url: "http://127.0.0.1:9/nothing-listens" });
    const result = await json(call(`/projects/${project.id}/webhooks/${hook.id}/test`, { token: tenant.key, method: "POST" }), 200);
    expect(result).toMatchObject({ success: false, status_code: null });
    expect(await deliveriesOf(tenant, project.id, hook.id, "?status=failed")).toHaveLength(1);
  });
});
