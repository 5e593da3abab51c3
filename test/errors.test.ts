// The rules every route shares: body size (413), media type (415), malformed JSON (400), unknown
// routes (404), and a 500 that carries a request id and nothing of the internals.
import { createExecutionContext } from "cloudflare:test";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createApp, MAX_BODY_BYTES } from "../src/app";
import { ADMIN_TOKEN, call, env, expectError, json, newFlag, setup, webhookInput, type Tenant } from "./helpers";

let tenant: Tenant;
let writes: { name: string; method: string; path: string; token: string }[];
let reads: string[];

beforeAll(async () => {
  const fixture = await setup();
  tenant = fixture.tenant;
  const p = `/projects/${fixture.project.id}`;
  await newFlag(tenant, fixture.project.id, { key: "f" });
  const hook = await json(call(`${p}/webhooks`, { token: tenant.key, body: webhookInput() }), 201);
  const orgHook = await json(call("/webhooks", { token: tenant.key, body: webhookInput() }), 201);
  writes = [
    { name: "create org", method: "POST", path: "/admin/orgs", token: ADMIN_TOKEN },
    { name: "create user", method: "POST", path: `/admin/orgs/${tenant.orgId}/users`, token: ADMIN_TOKEN },
    { name: "create api key", method: "POST", path: `/admin/users/${tenant.userId}/api-keys`, token: ADMIN_TOKEN },
    { name: "create project", method: "POST", path: "/projects", token: tenant.key },
    { name: "create environment", method: "POST", path: `${p}/environments`, token: tenant.key },
    { name: "create flag", method: "POST", path: `${p}/flags`, token: tenant.key },
    { name: "update flag", method: "PATCH", path: `${p}/flags/f`, token: tenant.key },
    { name: "update state", method: "PATCH", path: `${p}/flags/f/environments/production`, token: tenant.key },
    { name: "create project webhook", method: "POST", path: `${p}/webhooks`, token: tenant.key },
    { name: "update project webhook", method: "PATCH", path: `${p}/webhooks/${hook.id}`, token: tenant.key },
    { name: "create org webhook", method: "POST", path: "/webhooks", token: tenant.key },
    { name: "update org webhook", method: "PATCH", path: `/webhooks/${orgHook.id}`, token: tenant.key },
  ];
  reads = [
    "/me",
    "/projects",
    p,
    `${p}/flags`,
    `${p}/flags/f`,
    `${p}/flags/f/environments/production`,
    `${p}/events`,
    `${p}/webhooks`,
    `${p}/webhooks/${hook.id}`,
    `${p}/webhooks/${hook.id}/deliveries`,
    "/webhooks",
    `/webhooks/${orgHook.id}`,
  ];
});

afterEach(() => vi.restoreAllMocks());

const send = (w: (typeof writes)[number], rawBody: string | ReadableStream, contentType?: string) =>
  call(w.path, { token: w.token, method: w.method, rawBody: rawBody as string, headers: contentType ? { "content-type": contentType } : {} });

describe("on every write route", () => {
  it("a body over 128 KiB is 413", async () => {
    const huge = JSON.stringify({ name: "x".repeat(MAX_BODY_BYTES) });
    for (const w of writes) await expectError(send(w, huge, "application/json"), 413, "payload_too_large");
  });

  it("a body that is not application/json is 415", async () => {
    for (const w of writes) {
      for (const type of [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/jsonp",
        "application/json;",
        "application/json ; charset=utf-8",
      ])
        await expectError(send(w, '{"name":"x"}', type), 415, "unsupported_media_type");
      await expectError(send(w, '{"name":"x"}'), 415, "unsupported_media_type");
    }
  });

  it("a body that is not JSON is 400 invalid_json", async () => {
    for (const w of writes) {
      for (const body of ["{", "{'name': 'x'}", "name=x", '{"name":"x"}}', "\u0000"]) await expectError(send(w, body, "application/json"), 400, "invalid_json");
    }
  });

  it("text holding a lone surrogate is 400 naming the field, since it could not be stored as sent", async () => {
    const bodies: Record<string, [string, string]> = {
      "create org": ['{"name": "Org \\ud800"}', "name"],
      "create project": ['{"key": "lone", "name": "\\udfff"}', "name"],
      "update flag": ['{"description": "x\\udfffy", "tags": ["ok"]}', "description"],
      "update state": [
        '{"conditions": [{"name": "\\ud83d", "variation_id": "00000000-0000-4000-8000-000000000000", "rules": [{"property": "userId", "operator": "IS_TRUE"}]}]}',
        "conditions.0.name",
      ],
      "create org webhook": [JSON.stringify(webhookInput()).replace('"Receiver"', '"R\\ud800"'), "name"],
    };
    for (const w of writes.filter((x) => x.name in bodies)) {
      const [body, field] = bodies[w.name];
      const err = await expectError(send(w, body, "application/json"), 400, "validation_failed");
      expect(err.error.details).toEqual([{ field, message: expect.stringContaining("surrogate") }]);
    }
    // A well-formed pair (an emoji) is text like any other.
    const flag = await json(send(writes.find((x) => x.name === "update flag")!, '{"description": "\\ud83d\\udea9"}', "application/json"), 200);
    expect(flag.description).toBe("🚩");
  });

  it("JSON under another JSON media type, or with a charset, is read as JSON", async () => {
    const w = writes.find((x) => x.name === "update flag")!;
    for (const [i, type] of ["application/json; charset=utf-8", "Application/JSON", "application/merge-patch+json"].entries()) {
      const flag = await json(send(w, JSON.stringify({ description: `via ${i}` }), type), 200);
      expect(flag.description).toBe(`via ${i}`);
    }
  });
});

describe("credentials on every write route", () => {
  it("none, or an unknown one, is 401; the admin token on an API route, or an API key on an admin route, is 403", async () => {
    for (const w of writes) {
      const body = '{"name":"x"}';
      await expectError(call(w.path, { method: w.method, rawBody: body, headers: { "content-type": "application/json" } }), 401, "unauthorized");
      await expectError(
        call(w.path, { method: w.method, rawBody: body, token: "fp_unknown", headers: { "content-type": "application/json" } }),
        401,
        "unauthorized",
      );
      const other = w.token === ADMIN_TOKEN ? tenant.key : ADMIN_TOKEN;
      await expectError(call(w.path, { method: w.method, rawBody: body, token: other, headers: { "content-type": "application/json" } }), 403, "forbidden");
    }
  });
});

describe("credentials on every read route", () => {
  it("none, or an unknown key, is 401; the admin token is 403", async () => {
    for (const path of reads) {
      await json(call(path, { token: tenant.key }), 200);
      await expectError(call(path), 401, "unauthorized");
      await expectError(call(path, { token: "fp_unknown" }), 401, "unauthorized");
      await expectError(call(path, { token: ADMIN_TOKEN }), 403, "forbidden");
    }
  });
});

describe("body size", () => {
  it("counts bytes: exactly 128 KiB is read (and here refused as too long a name), one byte more is 413", async () => {
    const w = writes.find((x) => x.name === "create project")!;
    const shell = JSON.stringify({ key: "k", name: "" });
    const room = MAX_BODY_BYTES - shell.length;
    const atLimit = JSON.stringify({ key: "k", name: "é".repeat(Math.floor(room / 2)) + "a".repeat(room % 2) });
    expect(new TextEncoder().encode(atLimit).length).toBe(MAX_BODY_BYTES);
    await expectError(send(w, atLimit, "application/json"), 400, "validation_failed");
    await expectError(send(w, `${atLimit} `, "application/json"), 413, "payload_too_large");
  });

  it("also stops a streamed body without a length", async () => {
    const w = writes.find((x) => x.name === "create project")!;
    const chunk = new TextEncoder().encode(" ".repeat(16 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 10) controller.enqueue(chunk);
        else controller.close();
      },
    });
    await expectError(send(w, stream, "application/json"), 413, "payload_too_large");
  });
});

describe("unknown routes and methods", () => {
  it("answer 404 in the error shape", async () => {
    await expectError(call("/nowhere", { token: tenant.key }), 404, "not_found");
    await expectError(call("/projects", { token: tenant.key, method: "PUT", body: {} }), 404, "not_found");
  });
});

describe("a 500", () => {
  it("answers with a request id and no internals, and logs the cause under the same id", async () => {
    const secret = "no such table: flagpost_internal_7f3e at /srv/src/store.ts:42";
    const broken = new Proxy({} as D1Database, {
      get: () => () => {
        throw new Error(secret);
      },
    });
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    const app = createApp();
    const res = await app.fetch(
      new Request("http://flagpost.test/api/v1/projects", { headers: { authorization: `Bearer ${tenant.key}-uncached` } }),
      { ...env, DB: broken },
      createExecutionContext(),
    );
    const text = await res.clone().text();
    const body = await expectError(res, 500, "internal");
    expect(text).not.toContain("flagpost_internal_7f3e");
    expect(text).not.toMatch(/store\.ts|stack|Error:/);
    expect(Object.keys(body.error).sort()).toEqual(["code", "message", "request_id"]);
    expect(logged).toHaveBeenCalled();
    expect(logged.mock.calls.some((args) => args.includes(body.error.request_id))).toBe(true);
  });
});
