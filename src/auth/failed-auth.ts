// Failed authentications, limited per client address (CONTRACT.md v1.2, "Limits, round two"): past
// AUTH_FAILURES_PER_MINUTE (default 20) unknown or revoked credentials in a minute, every further
// failing credential from that address gets 429 with Retry-After until the minute is over. A live
// credential from the same address is served as usual: one laptop still holding a revoked key must
// not lock a whole office out. Guessing stays hopeless: keys carry 192 random bits, and a guess
// costs the guesser a 429 answer just as a 401 did.
//
// What counts is one decision, `countsAsFailure`: a token that matches no live credential of any
// kind. A missing credential does not count (nothing was guessed), nor does a known credential of the
// wrong kind (the admin token on an API route, an API key on an admin route, an SDK key outside the
// evaluation routes): those were not guesses either.
//
// The count lives in the isolate. Deployed, an address that spreads its guesses over many isolates
// gets 20 a minute in each it reaches; the per-key budget and the keys' 192 random bits are what
// make that harmless.
import type { Context } from "hono";
import { AppError } from "../kernel/errors";
import { MinuteCounter } from "../kernel/rate-limit";
import { resolveSdkKey } from "./sdk-keys";
import { looksLikeSdkKey } from "./sdk-keys";

const DEFAULT_PER_MINUTE = 20;
const counter = new MinuteCounter();

function perMinute(env: Env): number {
  const raw = (env as unknown as { AUTH_FAILURES_PER_MINUTE?: string }).AUTH_FAILURES_PER_MINUTE;
  const n = raw === undefined ? DEFAULT_PER_MINUTE : Number(raw);
  return Number.isFinite(n) && n >= 0 ? n : DEFAULT_PER_MINUTE;
}

/** The client's address as Cloudflare's edge reports it (a client cannot set it through the edge). */
export function clientAddress(c: Context): string {
  return c.req.header("cf-connecting-ip") ?? c.req.header("x-real-ip") ?? "unknown";
}

/** The credential a request presents, from `Authorization: Bearer` or `X-API-Key`; undefined when none. */
export function presentedToken(c: Context): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header("authorization") ?? "");
  return match?.[1] ?? (c.req.header("x-api-key")?.trim() || undefined);
}

/**
 * Whether a token that is neither a live API key nor the admin token is a failed authentication: it
 * is, unless it is a live SDK key (its own prefix, its own table) presented on the wrong route.
 */
export async function countsAsFailure(env: Env, token: string): Promise<boolean> {
  if (!looksLikeSdkKey(token)) return true;
  return "refused" in (await resolveSdkKey(env, token));
}

/** Counts one failed authentication of the request's address; 429 (instead of 401) once it is past the limit. */
export function recordFailure(env: Env, address: string, now = Date.now()): void {
  const limit = perMinute(env);
  if (limit === 0) return;
  const wait = counter.count(address, limit, now);
  if (wait !== null)
    throw new AppError("rate_limited", "too many failed authentications from this address; try again later", undefined, { "Retry-After": String(wait) });
}
