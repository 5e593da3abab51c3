// The receivers' toolkit in the OpenAPI document: each operation with an operationId, a summary and a tag.
import { beforeAll, describe, expect, it } from "vitest";
import { call } from "./helpers";

type Operation = { operationId?: string; summary?: string; tags?: string[]; requestBody?: { required?: boolean } };
let paths: Record<string, Record<string, Operation>>;

beforeAll(async () => {
  paths = ((await (await call("/openapi.json")).json()) as { paths: typeof paths }).paths;
});

describe("the receivers' toolkit in /openapi.json", () => {
  it.each([
    ["post", "/projects/{projectId}/webhooks/{webhookId}/rotate-secret", "rotateProjectWebhookSecret"],
    ["post", "/webhooks/{webhookId}/rotate-secret", "rotateOrgWebhookSecret"],
    ["post", "/projects/{projectId}/webhooks/{webhookId}/ed25519-key", "createProjectWebhookEd25519Key"],
    ["post", "/webhooks/{webhookId}/ed25519-key", "createOrgWebhookEd25519Key"],
    ["post", "/webhooks/verify", "verifyWebhookDelivery"],
    ["get", "/event-types", "listEventTypes"],
  ])("%s %s is %s, with a summary and a tag", (method, path, operationId) => {
    const op = paths[path]?.[method];
    expect(op).toBeDefined();
    expect(op.operationId).toBe(operationId);
    expect(op.summary).toMatch(/\w{3,}/);
    expect(op.tags?.length).toBe(1);
  });

  it("takes rotate-secret's body as optional", () => {
    expect(paths["/webhooks/{webhookId}/rotate-secret"].post.requestBody?.required).toBe(false);
  });

  it("has no operationId twice", () => {
    const ids = Object.values(paths)
      .flatMap((ops) => Object.values(ops).map((op) => op.operationId))
      .filter(Boolean);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
