// A client generated from the OpenAPI document drives the API end to end, so the document cannot
// drift from the API: the types (openapi-typescript, from the document the Worker serves; see
// scripts/openapi.mjs) make a request or a field the document lacks a type error, and every answer is
// checked at run time against the served document (test/document-check.ts, which also checks every
// answer the rest of the suite gets through call() and root()).
import { exports } from "cloudflare:workers";
import createClient, { type Middleware } from "openapi-fetch";
import { describe, expect, it } from "vitest";
import { checkAgainstDocument } from "./document-check";
import type { paths } from "./generated/api";
import { ADMIN_TOKEN, env } from "./helpers";
import { eventually, received } from "./webhook-helpers";

/** operationId → the statuses its answers had, as checked against the document. */
const checked = new Map<string, Set<number>>();

/** Holds every answer to the document (test/document-check.ts) and notes what was checked. */
const conformsToDocument: Middleware = {
  async onResponse({ request, response, schemaPath }) {
    const op = await checkAgainstDocument(request.method, request.url, response);
    expect(op, `${request.method} ${schemaPath} is not in the document`).toBeDefined();
    checked.set(op!.operationId, (checked.get(op!.operationId) ?? new Set()).add(response.status));
    return response;
  },
};

/** The API's client; `root` for the evaluation routes, which the document serves from the server's root. */
function client(token: string, base: "api" | "root" = "api") {
  const api = createClient<paths>({
    baseUrl: base === "api" ? "http://flagpost.test/api/v1" : "http://flagpost.test",
    headers: { authorization: `Bearer ${token}` },
    fetch: (request) => exports.default.fetch(request),
  });
  api.use(conformsToDocument);
  return api;
}

describe("a client generated from the OpenAPI document", () => {
  it("creates a project, a flag and a webhook, toggles the flag, reads the delivery and evaluates the flag, all as documented", async () => {
    const admin = client(ADMIN_TOKEN);
    const org = await admin.POST("/admin/orgs", { body: { name: "Typed Client Inc" } });
    const email = `typed-${crypto.randomUUID().slice(0, 8)}@example.com`;
    const user = await admin.POST("/admin/orgs/{orgId}/users", { params: { path: { orgId: org.data!.id } }, body: { email, name: "Typed" } });
    const key = await admin.POST("/admin/users/{userId}/api-keys", { params: { path: { userId: user.data!.id } }, body: { name: "typed client" } });
    const api = client(key.data!.key);

    const me = await api.GET("/me");
    expect(me.data?.user.email).toBe(email);

    const project = (await api.POST("/projects", { body: { key: "typed-web", name: "Web" } })).data!;
    expect(project.environments.map((e) => e.key)).toEqual(expect.arrayContaining(["development", "production"]));
    const projectId = project.id;

    const url = `${env.RECEIVER_URL}/ok/${crypto.randomUUID()}`;
    const created = await api.POST("/projects/{projectId}/webhooks", {
      params: { path: { projectId } },
      body: { name: "Typed receiver", url, events: ["flag.toggled"], format: "rollgate" },
    });
    expect(created.response.status).toBe(201);
    const webhookId = created.data!.id;

    const flag = await api.POST("/projects/{projectId}/flags", { params: { path: { projectId } }, body: { key: "typed-checkout", name: "Typed checkout" } });
    const createdFlag = flag.data!;
    // A write's answer may be documented as a dry run's too (?dry_run=true); this one was real.
    if ("dry_run" in createdFlag) throw new Error("a real write answered as a dry run");
    expect(createdFlag.environments.production.enabled).toBe(false);

    const toggled = await api.PATCH("/projects/{projectId}/flags/{flagKey}/environments/{envKey}", {
      params: { path: { projectId, flagKey: "typed-checkout", envKey: "production" } },
      body: { enabled: true },
    });
    const state = toggled.data!;
    if ("dry_run" in state) throw new Error("a real write answered as a dry run");
    expect(state.enabled).toBe(true);
    const read = await api.GET("/projects/{projectId}/flags/{flagKey}", { params: { path: { projectId, flagKey: "typed-checkout" } } });
    expect(read.data?.environments.production.enabled).toBe(true);

    const delivery = await eventually(async () => {
      const page = await api.GET("/projects/{projectId}/webhooks/{webhookId}/deliveries", { params: { path: { projectId, webhookId }, query: { limit: 10 } } });
      // `status` is typed from the document's enum: comparing it with a value the document lacks does not compile.
      const done = page.data?.data.filter((d) => d.event === "flag.toggled" && d.status === "succeeded") ?? [];
      expect(done).toHaveLength(1);
      return done[0];
    });
    const detail = await api.GET("/projects/{projectId}/webhooks/{webhookId}/deliveries/{deliveryId}", {
      params: { path: { projectId, webhookId, deliveryId: delivery.id } },
    });
    expect(detail.data?.attempts.map((a) => a.response?.status_code)).toEqual([200]);
    expect((await received(url)).map((r) => r.headers["x-rollgate-event"])).toEqual(["flag.toggled"]);

    // The toggle is served: an SDK key of production evaluates the flag over OFREP.
    const sdkKey = await api.POST("/projects/{projectId}/environments/{envKey}/sdk-keys", {
      params: { path: { projectId, envKey: "production" } },
      body: { kind: "server" },
    });
    const sdk = client(sdkKey.data!.key, "root");
    const evaluated = await sdk.POST("/ofrep/v1/evaluate/flags/{flagKey}", {
      params: { path: { flagKey: "typed-checkout" } },
      body: { context: { targetingKey: "user-1" } },
    });
    expect(evaluated.data).toMatchObject({ key: "typed-checkout", value: true });
    expect(evaluated.data?.reason === "STATIC").toBe(true); // no conditions: the contract's STATIC

    const log = await api.GET("/projects/{projectId}/events", { params: { path: { projectId } } });
    expect(log.data?.data.map((e) => e.event)).toEqual(["flag.toggled", "flag.created"]);

    // A documented refusal reads as the documented error body.
    const missing = await api.GET("/projects/{projectId}/flags/{flagKey}", { params: { path: { projectId, flagKey: "no-such-flag" } } });
    expect(missing.response.status).toBe(404);
    expect(missing.error?.error.code).toBe("not_found");

    expect(Object.fromEntries([...checked].map(([id, statuses]) => [id, [...statuses]]))).toEqual({
      createOrg: [201],
      createUser: [201],
      createApiKey: [201],
      getMe: [200],
      createProject: [201],
      createProjectWebhook: [201],
      createFlag: [201],
      updateFlagState: [200],
      getFlag: [200, 404],
      listProjectWebhookDeliveries: [200],
      getProjectWebhookDelivery: [200],
      createSdkKey: [201],
      ofrepEvaluateFlag: [200],
      listEvents: [200],
    });
  }, 20_000);
});

describe("the refusals every operation may give, through the same client", () => {
  it("are documented: bad credentials, the wrong credential, a malformed id, a webhook calling, a body not JSON or too large", async () => {
    const unknown = client(`fp_${crypto.randomUUID()}`);
    expect((await unknown.GET("/projects")).error?.error.code).toBe("unauthorized");
    const admin = client(ADMIN_TOKEN);
    expect((await admin.GET("/projects")).error?.error.code).toBe("forbidden");

    const org = (await admin.POST("/admin/orgs", { body: { name: "Refused Inc" } })).data!;
    const user = (
      await admin.POST("/admin/orgs/{orgId}/users", {
        params: { path: { orgId: org.id } },
        body: { email: `refused-${crypto.randomUUID().slice(0, 8)}@example.com` },
      })
    ).data!;
    const api = client((await admin.POST("/admin/users/{userId}/api-keys", { params: { path: { userId: user.id } }, body: {} })).data!.key);
    expect((await api.GET("/projects/{projectId}", { params: { path: { projectId: "not-a-uuid" } } })).error?.error.code).toBe("validation_failed");
    expect((await api.GET("/me", { headers: { "user-agent": "Flagpost-Webhooks/1.0" } })).error?.error.code).toBe("webhook_loop");
    const asText = await api.POST("/projects", { body: { key: "as-text", name: "Web" }, headers: { "content-type": "text/plain" } });
    expect(asText.error?.error.code).toBe("unsupported_media_type");
    const tooLarge = await api.POST("/projects", { body: { key: "too-large", name: "x".repeat(130 * 1024) } });
    expect(tooLarge.error?.error.code).toBe("payload_too_large");

    const statuses = (id: string) => [...(checked.get(id) ?? [])].sort();
    expect(statuses("listProjects")).toEqual([401, 403]);
    expect(statuses("getProject")).toEqual([400]);
    expect(statuses("getMe")).toContain(400);
    expect(statuses("createProject")).toEqual(expect.arrayContaining([413, 415]));
  });
});

describe("the check against the document", () => {
  const me = { user: { id: crypto.randomUUID(), email: "a@example.com", name: null }, org: { id: crypto.randomUUID(), name: "Acme" } };
  const answer = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
  const check = (response: Response) =>
    conformsToDocument.onResponse!({ request: new Request("http://flagpost.test/api/v1/me"), response, schemaPath: "/me" } as Parameters<
      NonNullable<Middleware["onResponse"]>
    >[0]);

  it("passes an answer of the documented shape", async () => {
    await expect(check(answer(200, me))).resolves.toBeInstanceOf(Response);
  });

  it("fails an answer with a field the document does not describe, or without one it promises", async () => {
    await expect(check(answer(200, { ...me, plan: "free" }))).rejects.toThrow(/getMe 200: the body does not match/);
    await expect(check(answer(200, { user: me.user }))).rejects.toThrow(/getMe 200: the body does not match/);
    await expect(check(answer(200, { ...me, user: { ...me.user, email: 7 } }))).rejects.toThrow(/getMe 200: the body does not match/);
    await expect(check(new Response("ok", { status: 200, headers: { "content-type": "text/plain" } }))).rejects.toThrow(/without JSON/);
  });

  it("fails a status the document does not list for the operation", async () => {
    await expect(check(answer(409, { error: { code: "conflict", message: "x", request_id: "r" } }))).rejects.toThrow(/does not list/);
  });
});
