// Webhooks under abuse (CONTRACT.md, "Limits and refusals"): caps per scope and on custom headers,
// headers the transport owns, URLs that would call Flagpost itself or a non-HTTP service, and
// masked header values that give nothing away.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../src/index";
import { checkWebhookUrl } from "../src/outbound/url-guard";
import { badFields, call, expectError, json, setup, webhookInput } from "./helpers";

const hooksOf = (projectId: string | null) => (projectId ? `/projects/${projectId}/webhooks` : "/webhooks");

async function withEnv(path: string, overrides: Record<string, unknown>, init: RequestInit = {}) {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`http://flagpost.test/api/v1${path}`, init), { ...env, ...overrides } as Env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

describe.each([
  ["project", true],
  ["organization", false],
])("at most 100 %s webhooks", (_scope, projectScoped) => {
  it("the 101st is a 422 limit_exceeded naming the limit; deleting one makes room", async () => {
    const { tenant, project } = await setup();
    const path = hooksOf(projectScoped ? project.id : null);
    const made: string[] = [];
    for (let i = 0; i < 100; i += 10) {
      const batch = await Promise.all(Array.from({ length: 10 }, () => json(call(path, { token: tenant.key, body: webhookInput({ enabled: false }) }), 201)));
      made.push(...batch.map((h) => h.id));
    }
    const refused = await expectError(call(path, { token: tenant.key, body: webhookInput({ enabled: false }) }), 422, "limit_exceeded");
    expect(refused.error.message).toMatch(/100 webhooks/);
    expect(refused.error.details).toMatchObject({ limit: projectScoped ? "webhooks_per_project" : "webhooks_per_organization", max: 100 });
    const count = await env.DB.prepare("SELECT count(*) AS n FROM webhooks WHERE org_id = ? AND project_id IS ?")
      .bind(tenant.orgId, projectScoped ? project.id : null)
      .first<{ n: number }>();
    expect(count!.n).toBe(100);
    expect((await call(`${path}/${made[0]}`, { token: tenant.key, method: "DELETE" })).status).toBe(204);
    expect((await call(path, { token: tenant.key, body: webhookInput({ enabled: false }) })).status).toBe(201);
  });
});

describe("custom headers", () => {
  const many = (n: number, size = 1) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`X-H${i}`, "v".repeat(size)]));
  it.each([
    ["21 headers", many(21), "custom_headers"],
    ["names and values over 8 KiB", many(3, 3000), "custom_header_bytes"],
    ["a name of 257 characters", { [`X-${"n".repeat(255)}`]: "v" }, "custom_header_name_length"],
  ])("%s: 422 limit_exceeded, on create and on update", async (_label, headers, limit) => {
    const { tenant, project } = await setup();
    const create = await expectError(call(hooksOf(project.id), { token: tenant.key, body: webhookInput({ headers }) }), 422, "limit_exceeded");
    expect(create.error.details).toMatchObject({ limit });
    const hook = await json(call(hooksOf(project.id), { token: tenant.key, body: webhookInput() }), 201);
    await expectError(call(`${hooksOf(project.id)}/${hook.id}`, { token: tenant.key, method: "PATCH", body: { headers } }), 422, "limit_exceeded");
  });

  it("20 headers, 8 KiB in all and 256-character names are taken", async () => {
    const { tenant, project } = await setup();
    const size = (h: Record<string, string>) => Object.entries(h).reduce((n, [k, v]) => n + k.length + v.length, 0);
    const some = { ...many(19, 100), [`X-${"n".repeat(254)}`]: "" };
    const headers = { ...some, [`X-${"n".repeat(254)}`]: "v".repeat(8192 - size(some)) };
    expect(Object.keys(headers)).toHaveLength(20);
    expect(size(headers)).toBe(8192);
    expect((await call(hooksOf(project.id), { token: tenant.key, body: webhookInput({ headers }) })).status).toBe(201);
  });

  it.each([
    "Host",
    "Content-Length",
    "Content-Encoding",
    "Transfer-Encoding",
    "Connection",
    "Keep-Alive",
    "Upgrade",
    "TE",
    "Trailer",
    "Expect",
    "Proxy-Authorization",
    "proxy-connection",
  ])("%s is owned by the transport: 400", async (name) => {
    const { tenant, project } = await setup();
    const res = await expectError(call(hooksOf(project.id), { token: tenant.key, body: webhookInput({ headers: { [name]: "x" } }) }), 400, "validation_failed");
    expect(badFields(res)).toEqual([`headers.${name}`]);
  });

  it("reads mask a value whole, with a length hint only", async () => {
    const { tenant, project } = await setup();
    const hook = await json(
      call(hooksOf(project.id), { token: tenant.key, body: webhookInput({ headers: { Authorization: "Bearer abcdefghijklmnop" } }) }),
      201,
    );
    expect(hook.headers.Authorization).not.toMatch(/Bear|abcd/);
    expect(hook.headers.Authorization).toMatch(/^\*+/);
    const read = await json(call(`${hooksOf(project.id)}/${hook.id}`, { token: tenant.key }), 200);
    expect(read.headers).toEqual(hook.headers);
  });
});

describe("webhook URLs", () => {
  it("are stored in their normalized form and shown as stored (v1.2)", async () => {
    const { tenant, project } = await setup();
    const receiver = new URL(webhookInput().url as string);
    const typed = `HTTP://127.0.0.1:${receiver.port}/a/../ok/%7e?x=1`;
    const normal = `http://127.0.0.1:${receiver.port}/ok/%7e?x=1`;
    const hook = await json(call(hooksOf(project.id), { token: tenant.key, body: webhookInput({ url: typed }) }), 201);
    expect(hook.url).toBe(normal);
    expect((await json(call(`${hooksOf(project.id)}/${hook.id}`, { token: tenant.key }), 200)).url).toBe(normal);
    const patched = await json(
      call(`${hooksOf(project.id)}/${hook.id}`, { token: tenant.key, method: "PATCH", body: { url: `http://LOCALHOST:${receiver.port}/./x` } }),
      200,
    );
    expect(patched.url).toBe(`http://localhost:${receiver.port}/x`);
  });

  it("one that points at Flagpost itself (the request's host) is a 400", async () => {
    const { tenant, project } = await setup();
    for (const url of ["http://flagpost.test/api/v1/webhooks", "http://FLAGPOST.test./api/v1/projects"]) {
      const res = await expectError(call(hooksOf(project.id), { token: tenant.key, body: webhookInput({ url }) }), 400, "validation_failed");
      expect(badFields(res)).toEqual(["url"]);
    }
    const hook = await json(call(hooksOf(project.id), { token: tenant.key, body: webhookInput() }), 201);
    await expectError(
      call(`${hooksOf(project.id)}/${hook.id}`, { token: tenant.key, method: "PATCH", body: { url: "http://flagpost.test/x" } }),
      400,
      "validation_failed",
    );
  });

  it("one that points at the configured PUBLIC_URL is a 400", async () => {
    const { tenant, project } = await setup();
    const res = await withEnv(
      hooksOf(project.id),
      { PUBLIC_URL: "https://flags.example.com" },
      {
        method: "POST",
        headers: { authorization: `Bearer ${tenant.key}`, "content-type": "application/json" },
        body: JSON.stringify(webhookInput({ url: "https://flags.example.com/api/v1/webhooks" })),
      },
    );
    expect(res.status).toBe(400);
  });

  it.each(["http://127.0.0.1:9/a\u0001b", "http://127.0.0.1:9/a\tb", "http://127.0.0.1:9/a\u007fb", "http://127.0.0.1:9/\u0000"])(
    "%j has a control character: 400",
    async (url) => {
      const { tenant, project } = await setup();
      await expectError(call(hooksOf(project.id), { token: tenant.key, body: webhookInput({ url }) }), 400, "validation_failed");
    },
  );

  it("deployed, ports of well-known non-HTTP services are refused; locally any port is fine", () => {
    for (const port of [22, 25, 3306, 5432, 6379, 11211])
      expect(checkWebhookUrl(`https://hooks.example.com:${port}/x`, { allowInsecure: false })).toMatchObject({ ok: false });
    for (const port of [443, 8443, 8080]) expect(checkWebhookUrl(`https://hooks.example.com:${port}/x`, { allowInsecure: false })).toMatchObject({ ok: true });
    expect(checkWebhookUrl("http://127.0.0.1:6379/x", { allowInsecure: true })).toMatchObject({ ok: true });
  });

  it("own hosts: deployed, any port of the name; locally only the same host and port", () => {
    expect(checkWebhookUrl("https://flags.example.com:8443/x", { allowInsecure: false, ownHosts: ["flags.example.com"] })).toMatchObject({ ok: false });
    expect(checkWebhookUrl("http://127.0.0.1:8787/x", { allowInsecure: true, ownHosts: ["127.0.0.1:8787"] })).toMatchObject({ ok: false });
    expect(checkWebhookUrl("http://localhost:8787/x", { allowInsecure: true, ownHosts: ["127.0.0.1:8787"] })).toMatchObject({ ok: false });
    expect(checkWebhookUrl("http://127.0.0.1:9999/x", { allowInsecure: true, ownHosts: ["127.0.0.1:8787"] })).toMatchObject({ ok: true });
  });
});

describe("Flagpost's own User-Agent", () => {
  it("an API request that carries it is refused: a webhook can never call Flagpost", async () => {
    const { tenant, project } = await setup();
    await expectError(call("/me", { token: tenant.key, headers: { "user-agent": "Flagpost-Webhooks/1.0.0" } }), 400, "webhook_loop");
    await expectError(
      call(`${hooksOf(project.id)}`, { token: tenant.key, body: webhookInput(), headers: { "user-agent": "flagpost-webhooks/9" } }),
      400,
      "webhook_loop",
    );
    expect((await call("/me", { token: tenant.key, headers: { "user-agent": "Flagpost-Webhooks-Fan/1" } })).status).toBe(200);
  });
});

describe("at send time", () => {
  it("an attempt to a URL that has become Flagpost's own (PUBLIC_URL) is not sent", async () => {
    const { attemptDelivery } = await import("../src/deliveries/consumer");
    const { tenant, project } = await setup();
    const url = `${env.RECEIVER_URL}/ok/${crypto.randomUUID()}`;
    const hook = await json(call(hooksOf(project.id), { token: tenant.key, body: webhookInput({ url }) }), 201);
    const id = crypto.randomUUID();
    const now = Date.now();
    await env.DB.prepare(
      `INSERT INTO deliveries (id, webhook_id, org_id, project_id, event, format, body, status, attempt_count, next_attempt_at, final, created_at)
       VALUES (?1, ?2, ?3, ?4, 'webhook.test', 'rollgate', '{}', 'pending', 0, ?5, 1, ?5)`,
    )
      .bind(id, hook.id, tenant.orgId, project.id, now)
      .run();
    const outcome = await attemptDelivery({ ...env, PUBLIC_URL: env.RECEIVER_URL } as Env, { delivery_id: id, attempt: 1 });
    expect(outcome).toMatchObject({ success: false, status_code: null });
    const attempt = await env.DB.prepare("SELECT error FROM attempts WHERE delivery_id = ?").bind(id).first<{ error: string }>();
    expect(attempt!.error).toMatch(/Flagpost itself/);
    const { received } = await import("./webhook-helpers");
    expect(await received(url)).toEqual([]);
  });
});

describe("signing", () => {
  it("a stored transport header (saved before it was refused) is never sent", async () => {
    const { signDelivery } = await import("../src/outbound/sign");
    const headers = await signDelivery({
      deliveryId: "d",
      event: "flag.toggled",
      body: "{}",
      timestampSeconds: 1,
      version: "1.0.0",
      customHeaders: { Upgrade: "h2c", "Content-Encoding": "gzip", "Proxy-Authorization": "x", TE: "trailers", "X-Ok": "1" },
    });
    for (const name of ["upgrade", "content-encoding", "proxy-authorization", "te"])
      expect(Object.keys(headers).map((h) => h.toLowerCase())).not.toContain(name);
    expect(headers["X-Ok"]).toBe("1");
  });
});
