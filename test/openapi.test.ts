// The API's own description: GET /api/v1/openapi.json (OpenAPI 3.1, no credentials, the contract's
// path parameter names) and the readable page at GET /docs.
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { call } from "./helpers";

type Operation = {
  operationId?: string;
  summary?: string;
  tags?: string[];
  parameters?: { name: string; in: string; required?: boolean }[];
  responses: Record<string, { description?: string }>;
};
let doc: {
  openapi: string;
  info: { title: string; version: string };
  tags?: { name: string; description?: string }[];
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, unknown> };
};

const operations = () => Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ route: `${method} ${path}`, ...op })));

beforeAll(async () => {
  const res = await call("/openapi.json");
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  doc = await res.json();
});

/** The contract's routes, in its own notation. */
const CONTRACT_ROUTES = [
  "post /admin/orgs",
  "post /admin/orgs/{orgId}/users",
  "post /admin/users/{userId}/api-keys",
  "get /me",
  "post /projects",
  "get /projects",
  "get /projects/{projectId}",
  "post /projects/{projectId}/environments",
  "post /projects/{projectId}/flags",
  "get /projects/{projectId}/flags",
  "get /projects/{projectId}/flags/{flagKey}",
  "patch /projects/{projectId}/flags/{flagKey}",
  "delete /projects/{projectId}/flags/{flagKey}",
  "get /projects/{projectId}/flags/{flagKey}/environments/{envKey}",
  "patch /projects/{projectId}/flags/{flagKey}/environments/{envKey}",
  "get /projects/{projectId}/events",
  ...["/projects/{projectId}/webhooks", "/webhooks"].flatMap((base) => [
    `post ${base}`,
    `get ${base}`,
    `get ${base}/{webhookId}`,
    `patch ${base}/{webhookId}`,
    `delete ${base}/{webhookId}`,
    `post ${base}/{webhookId}/test`,
    `get ${base}/{webhookId}/deliveries`,
    `get ${base}/{webhookId}/deliveries/{deliveryId}`,
    `post ${base}/{webhookId}/deliveries/{deliveryId}/redeliver`,
  ]),
];

describe("GET /api/v1/openapi.json", () => {
  it("is an OpenAPI 3.1 document, served without credentials", () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info.title).toEqual(expect.any(String));
    expect(Object.keys(doc.components?.schemas ?? {})).toEqual(expect.arrayContaining(["Flag", "FlagState", "Project", "Webhook", "Error"]));
  });

  it("describes every route of the contract", () => {
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method} ${path}`));
    expect(documented).toEqual(expect.arrayContaining(CONTRACT_ROUTES));
  });

  it("names path parameters as the contract does, and declares each one", () => {
    const names = new Set<string>();
    for (const [path, ops] of Object.entries(doc.paths)) {
      expect(path).not.toMatch(/:/);
      const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      for (const n of inPath) names.add(n);
      for (const op of Object.values(ops)) {
        const declared = (op.parameters ?? []).filter((p) => p.in === "path");
        expect(declared.map((p) => p.name).sort()).toEqual([...inPath].sort());
        expect(declared.every((p) => p.required)).toBe(true);
      }
    }
    expect([...names]).toEqual(expect.arrayContaining(["projectId", "flagKey", "envKey", "webhookId", "deliveryId"]));
  });

  it("gives every operation an operationId, unique and usable as a function name", () => {
    const missing = operations()
      .filter((op) => !op.operationId)
      .map((op) => op.route);
    expect(missing).toEqual([]);
    const ids = operations().map((op) => op.operationId!);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
    expect(ids.filter((id) => !/^[a-z][A-Za-z0-9]*$/.test(id))).toEqual([]);
  });

  it("gives every operation a summary and one tag, declared with a description", () => {
    expect(
      operations()
        .filter((op) => !/\w{3,}/.test(op.summary ?? ""))
        .map((op) => op.route),
    ).toEqual([]);
    expect(
      operations()
        .filter((op) => op.tags?.length !== 1)
        .map((op) => op.route),
    ).toEqual([]);
    const declared = new Map((doc.tags ?? []).map((t) => [t.name, t.description ?? ""]));
    const used = new Set(operations().map((op) => op.tags?.[0]));
    expect([...used].filter((tag) => !declared.get(tag!))).toEqual([]);
    expect([...declared.keys()].filter((tag) => !used.has(tag))).toEqual([]);
  });

  it("describes every answer, errors included, in words", () => {
    const bare = operations().flatMap((op) =>
      Object.entries(op.responses)
        .filter(([, r]) => !/\w{3,}/.test(r.description ?? "") || r.description === "error")
        .map(([status]) => `${op.route} ${status}`),
    );
    expect(bare).toEqual([]);
  });

  it("documents the error answers with the error shape", () => {
    const patch = doc.paths["/projects/{projectId}/flags/{flagKey}"].patch;
    expect(Object.keys(patch.responses)).toEqual(expect.arrayContaining(["200", "400", "401", "404", "409", "422"]));
  });

  it("is also reachable at the root, by redirect", async () => {
    const res = await exports.default.fetch("http://flagpost.test/openapi.json", { redirect: "manual" });
    expect([301, 302, 307, 308]).toContain(res.status);
    expect(res.headers.get("location")).toBe("/api/v1/openapi.json");
  });
});

describe("GET /docs", () => {
  it("is an HTML page that reads the document", async () => {
    const res = await exports.default.fetch("http://flagpost.test/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toMatch(/^<!doctype html>/i);
    expect(html).toContain("/api/v1/openapi.json");
  });
});

describe("the root", () => {
  it("sends a person who opens the server's address to the dashboard", async () => {
    const res = await exports.default.fetch("http://flagpost.test/", { redirect: "manual" });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/dashboard");
  });
});

describe("the v1.1 routes of issue 9", () => {
  const NEW_ROUTES = [
    "post /projects/{projectId}/environments/{envKey}/sdk-keys",
    "get /projects/{projectId}/environments/{envKey}/sdk-keys",
    "delete /projects/{projectId}/environments/{envKey}/sdk-keys/{keyId}",
    "post /ofrep/v1/evaluate/flags/{flagKey}",
    "post /ofrep/v1/evaluate/flags",
    "get /tggl/config",
    "post /tggl/flags",
    "post /tggl/report",
  ];

  it("are documented, each with an operationId, a summary and a tag", () => {
    for (const route of NEW_ROUTES) {
      const [method, path] = route.split(" ");
      const op = doc.paths[path]?.[method] as (Operation & { operationId?: string; summary?: string; tags?: string[] }) | undefined;
      expect(op, route).toBeDefined();
      expect(op!.operationId, route).toEqual(expect.any(String));
      expect(op!.summary, route).toEqual(expect.any(String));
      expect(op!.tags?.length, route).toBeGreaterThan(0);
    }
  });

  it("name the server's root as the evaluation routes' server", () => {
    const op = doc.paths["/ofrep/v1/evaluate/flags"].post as Operation & { servers?: { url: string }[] };
    expect(op.servers?.[0].url).toBe("/");
  });
});
