// Fixtures built through the public API, so every test owns its organization, project and flags.
import { env, exports } from "cloudflare:workers";
import { expect } from "vitest";
import { ErrorSchema } from "../src/kernel/schemas";
import { checkAgainstDocument } from "./document-check";

export const ADMIN_TOKEN = "flagpost-local-admin";
const BASE = "http://flagpost.test/api/v1";

export interface CallOptions {
  method?: string;
  body?: unknown;
  token?: string | null;
  headers?: Record<string, string>;
  rawBody?: string | Uint8Array | ReadableStream;
}

export async function call(path: string, opts: CallOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | Uint8Array | ReadableStream | undefined = opts.rawBody;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers["content-type"] ??= "application/json";
  }
  const method = opts.method ?? (body === undefined ? "GET" : "POST");
  const res = await exports.default.fetch(`${BASE}${path}`, { method, headers, body });
  await checkAgainstDocument(method, `${BASE}${path}`, res); // every answer the suite gets is one the OpenAPI document describes
  return res;
}

export async function json<T = any>(res: Response | Promise<Response>, status?: number): Promise<T> {
  const r = await res;
  const text = await r.text();
  if (status !== undefined && r.status !== status) throw new Error(`expected ${status}, got ${r.status}: ${text}`);
  return (text ? JSON.parse(text) : null) as T;
}

export interface Tenant {
  orgId: string;
  userId: string;
  email: string;
  key: string;
}

export async function newTenant(name = "Acme"): Promise<Tenant> {
  const org = await json(call("/admin/orgs", { token: ADMIN_TOKEN, body: { name } }), 201);
  const email = `dev-${crypto.randomUUID().slice(0, 8)}@example.com`;
  const user = await json(call(`/admin/orgs/${org.id}/users`, { token: ADMIN_TOKEN, body: { email, name: "Dev" } }), 201);
  const key = await json(call(`/admin/users/${user.id}/api-keys`, { token: ADMIN_TOKEN, body: { name: "test" } }), 201);
  return { orgId: org.id, userId: user.id, email, key: key.key };
}

export async function newProject(t: Tenant, key = `web-${crypto.randomUUID().slice(0, 6)}`) {
  return json(call("/projects", { token: t.key, body: { key, name: "Web" } }), 201);
}

export async function newFlag(t: Tenant, projectId: string, body: Record<string, unknown> = {}) {
  return json(
    call(`/projects/${projectId}/flags`, { token: t.key, body: { key: `flag-${crypto.randomUUID().slice(0, 6)}`, name: "New Checkout", ...body } }),
    201,
  );
}

export async function patchState(t: Tenant, projectId: string, flagKey: string, envKey: string, body: unknown, headers?: Record<string, string>) {
  return call(`/projects/${projectId}/flags/${flagKey}/environments/${envKey}`, { token: t.key, method: "PATCH", body, headers });
}

export async function setup() {
  const tenant = await newTenant();
  const project = await newProject(tenant);
  return { tenant, project };
}

/** A UUID no test ever created: an unknown resource. */
export function unknownId(): string {
  return crypto.randomUUID();
}

export type ErrorBody = { error: { code: string; message: string; details?: unknown; request_id: string } };

/**
 * Asserts a refusal: the status, the contract's error body (exactly `error` with code, message,
 * details?, request_id) and a request id that matches the X-Request-Id header.
 */
export async function expectError(res: Response | Promise<Response>, status: number, code?: string): Promise<ErrorBody> {
  const r = await res;
  const text = await r.text();
  expect(r.status, text).toBe(status);
  const body = JSON.parse(text) as ErrorBody;
  expect(Object.keys(body)).toEqual(["error"]);
  ErrorSchema.parse(body);
  expect(Object.keys(body.error).every((k) => ["code", "message", "details", "request_id"].includes(k))).toBe(true);
  expect(body.error.request_id).not.toBe("");
  expect(r.headers.get("x-request-id")).toBe(body.error.request_id);
  if (code !== undefined) expect(body.error.code).toBe(code);
  return body;
}

/** The `field`s a validation error's details name. */
export function badFields(body: ErrorBody): string[] {
  return ((body.error.details ?? []) as { field: string }[]).map((d) => d.field);
}

export async function newEnvironment(t: Tenant, projectId: string, key: string, name = key) {
  return json(call(`/projects/${projectId}/environments`, { token: t.key, body: { key, name } }), 201);
}

export async function getFlag(t: Tenant, projectId: string, flagKey: string) {
  return json(call(`/projects/${projectId}/flags/${flagKey}`, { token: t.key }), 200);
}

export async function patchFlag(t: Tenant, projectId: string, flagKey: string, body: unknown, headers?: Record<string, string>) {
  return call(`/projects/${projectId}/flags/${flagKey}`, { token: t.key, method: "PATCH", body, headers });
}

/** The project's change log, newest first (one page of up to 200). */
export async function listEvents(t: Tenant, projectId: string): Promise<any[]> {
  return (await json(call(`/projects/${projectId}/events?limit=200`, { token: t.key }), 200)).data;
}

/** A webhook body that the local settings accept, addressed to the test receiver. */
export function webhookInput(overrides: Record<string, unknown> = {}) {
  return {
    name: "Receiver",
    url: `${env.RECEIVER_URL}/ok/${crypto.randomUUID()}`,
    events: ["flag.toggled", "flag_state.updated"],
    ...overrides,
  };
}

export { env };
