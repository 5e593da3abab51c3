// Credentials. Admin routes take the ADMIN_TOKEN; every other route an API key, whose principal is
// cached in the isolate for a short time so the hot path does not read D1 for it on every request.
import { drizzle } from "drizzle-orm/d1";
import type { Context, MiddlewareHandler } from "hono";
import { primaryOf } from "../kernel/db/primary";
import { readSettings } from "../kernel/env";
import { AppError } from "../kernel/errors";
import { clientAddress, countsAsFailure, recordFailure } from "./failed-auth";
import { checkRateLimit } from "./rate-limit";
import { findPrincipal, hashKey } from "./store";
import type { Principal } from "../kernel/app-env";
import type { AppEnv } from "../kernel/app-env";

const PRINCIPAL_TTL_MS = 30_000;
const principals = new Map<string, { principal: Principal; until: number }>();

function bearer(c: Context<AppEnv>): string {
  const header = c.req.header("authorization") ?? "";
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw new AppError("unauthorized", "missing credentials: send Authorization: Bearer <api key>");
  return match[1];
}

export async function resolveApiKey(env: Env, key: string): Promise<Principal | null> {
  return (await resolveKeyHash(env, await hashKey(key)))?.principal ?? null;
}

async function resolveKeyHash(env: Env, hash: string): Promise<{ principal: Principal; hash: string } | null> {
  const cached = principals.get(hash);
  if (cached && cached.until > Date.now()) return { principal: cached.principal, hash };
  // A key created a moment ago may not have reached this replica yet: the primary decides a miss.
  const primary = primaryOf(env);
  const principal = (await findPrincipal(drizzle(env.DB), hash)) ?? (primary && (await findPrincipal(drizzle(primary), hash)));
  if (!principal) return null;
  if (principals.size > 10_000) principals.clear();
  principals.set(hash, { principal, until: Date.now() + PRINCIPAL_TTL_MS });
  return { principal, hash };
}

/** A key revoked here is refused here at once; other isolates drop it when their entry expires (30 s). */
export function forgetPrincipal(hash: string): void {
  principals.delete(hash);
}

/**
 * A token that matched nothing: counted against the client's address when it is a failure, then
 * 401, or 429 once the address is past its limit. Only the guesses are refused: a live credential
 * from the same address never reaches here (CONTRACT.md v1.2, "Limits, round two").
 */
async function unknownCredential(c: Context<AppEnv>, token: string, message: string): Promise<never> {
  if (await countsAsFailure(c.env, token)) recordFailure(c.env, clientAddress(c));
  throw new AppError("unauthorized", message);
}

/** Each router guards its own paths, and several share a prefix: a request is authenticated once. */
export const requireApiKey: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (c.get("principal")) return next();
  const token = bearer(c);
  const resolved = await resolveKeyHash(c.env, await hashKey(token));
  if (!resolved) {
    if (await isAdminToken(c.env, token)) throw new AppError("forbidden", "the admin token cannot call this route: use an API key");
    return unknownCredential(c, token, "invalid API key");
  }
  await checkRateLimit(c.env, resolved.hash);
  c.set("principal", resolved.principal);
  await next();
};

export const requireAdmin: MiddlewareHandler<AppEnv> = async (c, next) => {
  const token = bearer(c);
  if (await isAdminToken(c.env, token)) return next();
  if (await resolveApiKey(c.env, token)) throw new AppError("forbidden", "an API key cannot call admin routes");
  return unknownCredential(c, token, "invalid admin token");
};

/** Whether a token is a live API key or the admin token: a credential, if not one for every route. */
export async function isLiveApiCredential(env: Env, token: string): Promise<boolean> {
  return (await isAdminToken(env, token)) || (await resolveApiKey(env, token)) !== null;
}

async function isAdminToken(env: Env, token: string): Promise<boolean> {
  const expected = readSettings(env).adminToken;
  if (!expected) return false;
  const [a, b] = await Promise.all([hashKey(token), hashKey(expected)]);
  const enc = new TextEncoder();
  return crypto.subtle.timingSafeEqual(enc.encode(a), enc.encode(b));
}
