// OFREP event streams at the Worker (CONTRACT.md v1.2, "Changes pushed to SDKs"): the `eventStreams`
// a 200 bulk answer advertises, and `GET /ofrep/v1/stream?token=…`, which checks the token and the
// key, and hands the connection to one shard of the environment's StreamsDO (streams-do.ts).
// EVENT_STREAMS=off advertises none and answers the route 404.
import type { Context as HonoContext } from "hono";
import { errorBody } from "../kernel/errors";
import { streamShards, streamsEnabled } from "../kernel/streams";
import type { SdkPrincipal } from "../auth/sdk-keys";
import { sdkRateLimit } from "../sdk-keys/rate-limit";
import { hashText, ServeError, type ServeEnv } from "./request";
import { readStreamToken, streamToken } from "./stream-token";

export const INACTIVITY_DELAY_SEC = 120;

export interface EventStream {
  type: "sse";
  endpoint: { requestUri: string };
  inactivityDelaySec: number;
}

/** The `eventStreams` of a 200 bulk answer for this key (none when streams are off). */
export async function eventStreamsFor(env: Env, principal: SdkPrincipal): Promise<{ eventStreams?: EventStream[] }> {
  if (!streamsEnabled(env)) return {};
  const token = await streamToken(env, principal.keyId, principal.environment.id);
  return { eventStreams: [{ type: "sse", endpoint: { requestUri: `/ofrep/v1/stream?token=${token}` }, inactivityDelaySec: INACTIVITY_DELAY_SEC }] };
}

/** Opens a stream: 401 for a bad, expired or revoked token's key; 404 when streams are off. */
export async function openStream(c: HonoContext<ServeEnv>): Promise<Response> {
  if (!streamsEnabled(c.env))
    return c.json(errorBody("not_found", "event streams are switched off on this server", c.get("requestId") ?? crypto.randomUUID()), 404);
  const token = c.req.query("token") ?? "";
  const grant = token ? await readStreamToken(c.env, token) : null;
  if (!grant)
    throw new ServeError(401, "unauthorized", "the stream token is missing, malformed or expired: take a fresh one from a bulk evaluation's eventStreams");
  const key = await c.env.DB.prepare("SELECT project_id, environment_id FROM sdk_keys WHERE id = ?")
    .bind(grant.keyId)
    .first<{ project_id: string; environment_id: string }>();
  if (!key || key.environment_id !== grant.environmentId) throw new ServeError(401, "unauthorized", "the stream token's SDK key is revoked");
  const wait = await sdkRateLimit(c.env, grant.keyId);
  if (wait !== null) throw new ServeError(429, "rate_limited", "too many requests for this SDK key; slow down", { "Retry-After": String(wait) });
  const resume = c.req.header("last-event-id") ?? c.req.query("last_event_id");
  const headers: Record<string, string> = { "x-key-id": grant.keyId, "x-project-id": key.project_id, "x-environment-id": grant.environmentId };
  if (resume !== undefined && /^\d{1,15}$/.test(resume.trim())) headers["x-last-event-id"] = String(Number(resume.trim()));
  const shard = Number.parseInt(hashText(token), 36) % streamShards(c.env);
  const stub = c.env.STREAMS.getByName(`${grant.environmentId}:${shard}`);
  const res = await stub.fetch("https://streams.internal/open", { headers, signal: c.req.raw.signal });
  return new Response(res.body, { status: res.status, headers: new Headers(res.headers) }); // mutable headers: CORS and the request id are added after
}
