// What both protocols' routes share: the SDK key, min_revision, the JSON body and its context, the
// configuration to answer from, and a refusal each protocol renders in its own shape.
import type { Context as HonoContext } from "hono";
import { clientAddress, recordFailure } from "../auth/failed-auth";
import { isLiveApiCredential } from "../auth/middleware";
import { AppError } from "../kernel/errors";
import { resolveSdkKey, presentedKey } from "../auth/sdk-keys";
import { sdkRateLimit } from "../sdk-keys/rate-limit";
import type { CompiledConfig } from "../flags/compile";
import { servedConfig } from "./config";
import { recordServed } from "./served";
import { contextBytes, MAX_CONTEXT_BYTES } from "../flags/evaluate";
import type { SdkKeyKind } from "../auth/sdk-keys";
import type { SdkPrincipal } from "../auth/sdk-keys";
import { jsonDepthExceeds, MAX_JSON_DEPTH } from "../kernel/json";

export type ServeEnv = { Bindings: Env; Variables: { requestId: string } };

/** Evaluation bodies (contexts) may be up to 1 MiB, not the API's 128 KiB. */
export const MAX_EVALUATION_BODY_BYTES = 1024 * 1024;
/** The contract's nesting limit for every body, counted from the body's root. */

/** A refusal of the evaluation routes: 400s in the protocol's shape (`kind`), 401 and 429 in the API's. */
export class ServeError extends Error {
  constructor(
    readonly status: 400 | 401 | 404 | 413 | 429,
    readonly kind: "PARSE_ERROR" | "INVALID_CONTEXT" | "FLAG_NOT_FOUND" | "unauthorized" | "rate_limited" | "payload_too_large",
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export async function requireSdkKey(c: HonoContext<ServeEnv>, header: "authorization" | "x-tggl-api-key", kinds: SdkKeyKind[]): Promise<SdkPrincipal> {
  const key = presentedKey(c.req.raw.headers, header);
  const resolved = await resolveSdkKey(c.env, key);
  const how = header === "authorization" ? "Authorization: Bearer <sdk key> or X-API-Key: <sdk key>" : "x-tggl-api-key: <server sdk key>";
  if ("refused" in resolved) {
    // A guess counts against the address (429 past its limit); a live API key or the admin token in the
    // wrong place does not. A live SDK key from the same address is served whatever its neighbours guess.
    if (key && !(await isLiveApiCredential(c.env, key))) failedAuthAsServeError(() => recordFailure(c.env, clientAddress(c)));
    throw new ServeError(
      401,
      "unauthorized",
      resolved.refused === "missing" ? `missing credentials: send ${how}` : `not a live SDK key: send ${how} (API keys do not work here)`,
    );
  }
  if (!kinds.includes(resolved.kind))
    throw new ServeError(401, "unauthorized", `a ${resolved.kind} SDK key cannot call this route; use a ${kinds.join(" or ")} key`);
  const wait = await sdkRateLimit(c.env, resolved.keyId);
  if (wait !== null) throw new ServeError(429, "rate_limited", "too many requests for this SDK key; slow down", { "Retry-After": String(wait) });
  return resolved;
}

/** The failed-authentication limit's 429, in the evaluation routes' own error type. */
function failedAuthAsServeError(check: () => void): void {
  try {
    check();
  } catch (err) {
    if (err instanceof AppError && err.code === "rate_limited") throw new ServeError(429, "rate_limited", err.message, err.headers ?? {});
    throw err;
  }
}

/** `?min_revision=N` or `X-Flagpost-Min-Revision: N` (or `?<etagParam>=N`); null when none is given. */
export function minRevision(c: HonoContext, etagParam?: string): number | null {
  // On every evaluation: parse the query only when there is one (the profile showed the cost).
  const query = c.req.url.includes("?") ? (c.req.query("min_revision") ?? (etagParam ? c.req.query(etagParam) : undefined)) : undefined;
  const raw = query ?? c.req.raw.headers.get("x-flagpost-min-revision") ?? undefined;
  if (raw === undefined) return null;
  if (!/^\d{1,15}$/.test(raw.trim())) throw new ServeError(400, "PARSE_ERROR", "min_revision must be a non-negative integer");
  return Number(raw.trim());
}

/**
 * The configuration to answer from, at min_revision or later (`etagParam`: a query parameter that
 * means the same, OFREP's `flagConfigEtag` on bulk requests). Recorded as served to the key.
 */
export async function configFor(c: HonoContext<ServeEnv>, principal: SdkPrincipal, etagParam?: string): Promise<CompiledConfig> {
  const min = minRevision(c, etagParam);
  const served = await servedConfig(c.env.DB, { projectId: principal.projectId, environmentId: principal.environment.id }, min);
  if (served.ok) {
    recordServed(c, principal.keyId, served.config.revision);
    return served.config;
  }
  if (served.reason === "ahead") throw new ServeError(400, "PARSE_ERROR", `min_revision ${min} is above the project's revision (${served.revision})`);
  throw new ServeError(401, "unauthorized", "the SDK key's project no longer exists");
}

/** The body as JSON: anything else is a PARSE_ERROR. An empty body reads as `{}`. */
export async function jsonBody(c: HonoContext): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === "") return {};
  if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) throw new ServeError(400, "PARSE_ERROR", `JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
  try {
    return JSON.parse(text);
  } catch {
    throw new ServeError(400, "PARSE_ERROR", "the body is not valid JSON");
  }
}

/** A context must be a JSON object (arrays and scalars are not) of at most 32 KiB. */
export function asContext(value: unknown, where = "context"): Record<string, unknown> {
  if (value === undefined) return {};
  if (value === null || typeof value !== "object" || Array.isArray(value))
    throw new ServeError(400, "INVALID_CONTEXT", `${where} must be a JSON object of properties`);
  const context = value as Record<string, unknown>;
  const bytes = contextBytes(context);
  if (bytes > MAX_CONTEXT_BYTES)
    throw new ServeError(413, "payload_too_large", `${where} is ${bytes} bytes of JSON; one context is at most ${MAX_CONTEXT_BYTES}`);
  return context;
}

/** A 53-bit string hash (cyrb53): ETags of contexts, where speed matters and secrecy does not. */
export function hashText(text: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
}

const ENTITY_TAG = /^\s*(?:W\/)?"[\x21\x23-\x7e]*"\s*$/;

/**
 * Whether `If-None-Match` matches `etag` (weak comparison, RFC 9110). A header that is not `*` or a
 * list of entity tags is refused rather than ignored.
 */
export function ifNoneMatch(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === "*") return true;
  if (header.length > 8192) throw new ServeError(400, "PARSE_ERROR", "If-None-Match is too long");
  const tags = header.split(",");
  if (!tags.every((t) => ENTITY_TAG.test(t))) throw new ServeError(400, "PARSE_ERROR", 'If-None-Match must be * or entity tags like "abc" or W/"abc"');
  const opaque = (t: string) => t.trim().replace(/^W\//, "");
  return tags.some((t) => opaque(t) === opaque(etag));
}
