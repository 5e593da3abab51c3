// Fixtures for the evaluation routes: SDK keys made through the API, and requests at the root.
import { exports } from "cloudflare:workers";
import { checkAgainstDocument } from "./document-check";
import { call, json, type Tenant } from "./helpers";

export const ROOT = "http://flagpost.test";

export async function newSdkKey(
  t: Tenant,
  projectId: string,
  envKey = "production",
  kind: "server" | "client" = "server",
): Promise<{ id: string; key: string; kind: string }> {
  return json(call(`/projects/${projectId}/environments/${envKey}/sdk-keys`, { token: t.key, body: { name: `${kind} key`, kind } }), 201);
}

export async function root(path: string, init: RequestInit = {}): Promise<Response> {
  const res = await exports.default.fetch(`${ROOT}${path}`, init);
  await checkAgainstDocument(init.method ?? "GET", `${ROOT}${path}`, res); // as documented, like call()'s
  return res;
}

/** POST an OFREP request; `key` goes in Authorization: Bearer. */
export function ofrep(
  key: string | null,
  flagKey: string | null,
  body: unknown = { context: {} },
  headers: Record<string, string> = {},
  query = "",
): Promise<Response> {
  const path = flagKey === null ? "/ofrep/v1/evaluate/flags" : `/ofrep/v1/evaluate/flags/${flagKey}`;
  return root(`${path}${query}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

export function tggl(key: string | null, path: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Response> {
  return root(`/tggl${path}`, {
    method: init.method ?? (init.body === undefined ? "GET" : "POST"),
    headers: { ...(init.body === undefined ? {} : { "content-type": "application/json" }), ...(key ? { "x-tggl-api-key": key } : {}), ...init.headers },
    body: init.body === undefined ? undefined : typeof init.body === "string" ? init.body : JSON.stringify(init.body),
  });
}
