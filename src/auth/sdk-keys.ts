// The credential of the evaluation routes. An SDK key reads its own environment and nothing else;
// API keys and the admin token are refused here (401), as SDK keys are on every other route (the API
// key lookup never finds them). A key's principal is cached in the isolate for at most
// SDK_KEY_TTL_MS, so a revoked key is refused everywhere within that time (CONTRACT.md: 30 s at most);
// the isolate that revokes it forgets it at once.
import { eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { hashKey } from "./store";
import { environments, sdkKeys } from "../kernel/db/schema";
import type { Db } from "../kernel/app-env";
import type { Environment } from "../kernel/project-scope";

export const SDK_KEY_TTL_MS = 30_000;
const principals = new Map<string, { principal: SdkPrincipal; until: number }>();

export type SdkKeyRefusal = { refused: "missing" | "invalid" };

/** The SDK key a request carries, from `Authorization: Bearer`, `X-API-Key` or `x-tggl-api-key`. */
export function presentedKey(headers: { get(name: string): string | null }, header: "authorization" | "x-tggl-api-key"): string | null {
  if (header === "x-tggl-api-key") return headers.get("x-tggl-api-key")?.trim() || null;
  const authorization = (headers.get("authorization") ?? "").trim();
  const bearer = /^Bearer\s+(\S+)$/i.exec(authorization);
  // OFREP providers' own examples put the bare key in Authorization; an SDK key is recognisable as such.
  if (!bearer && looksLikeSdkKey(authorization)) return authorization;
  return bearer?.[1] ?? (headers.get("x-api-key")?.trim() || null);
}

export async function resolveSdkKey(env: Env, key: string | null, now = Date.now()): Promise<SdkPrincipal | SdkKeyRefusal> {
  if (!key) return { refused: "missing" };
  // Anything else (an API key, the admin token) cannot be an SDK key: no hashing, no lookup.
  if (!looksLikeSdkKey(key) || key.length > 200) return { refused: "invalid" };
  const hash = await hashKey(key);
  const cached = principals.get(hash);
  if (cached && cached.until > now) return cached.principal;
  const principal = await findSdkPrincipal(drizzle(env.DB), hash);
  if (!principal) {
    principals.delete(hash);
    return { refused: "invalid" };
  }
  if (principals.size > 10_000) principals.clear();
  principals.set(hash, { principal, until: now + SDK_KEY_TTL_MS });
  return principal;
}

/** Called by the isolate that revokes a key. */
export function forgetSdkKey(keyHash: string): void {
  principals.delete(keyHash);
}
export const SDK_KEY_KINDS = ["server", "client"] as const;
export type SdkKeyKind = (typeof SDK_KEY_KINDS)[number];
/**
 * Visibly not an API key (`fp_…`): `fpsdk_server_…` or `fpsdk_client_…`, so a key pasted in the wrong
 * place is recognisable at a glance, and the kind is readable without a lookup.
 */
export const SDK_KEY_PREFIX = "fpsdk_";
/** Whether a credential has an SDK key's shape (no lookup): lets other middleware tell the kinds apart. */
export function looksLikeSdkKey(token: string): boolean {
  return token.startsWith(SDK_KEY_PREFIX);
}
/** What an SDK key may read: one environment of one project. */
export interface SdkPrincipal {
  keyId: string;
  kind: SdkKeyKind;
  orgId: string;
  projectId: string;
  environment: Environment;
}
export async function findSdkPrincipal(db: Db, keyHash: string): Promise<SdkPrincipal | null> {
  const [row] = await db
    .select({
      keyId: sdkKeys.id,
      kind: sdkKeys.kind,
      orgId: sdkKeys.orgId,
      projectId: sdkKeys.projectId,
      envId: environments.id,
      envKey: environments.key,
      envName: environments.name,
    })
    .from(sdkKeys)
    .innerJoin(environments, eq(environments.id, sdkKeys.environmentId))
    .where(eq(sdkKeys.keyHash, keyHash));
  if (!row) return null;
  return {
    keyId: row.keyId,
    kind: row.kind as SdkKeyKind,
    orgId: row.orgId,
    projectId: row.projectId,
    environment: { id: row.envId, key: row.envKey, name: row.envName },
  };
}
