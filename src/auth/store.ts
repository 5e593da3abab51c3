// Organizations, users and API keys in D1. A key is stored only as its SHA-256.
import { and, desc, eq, isNull, lt, sql } from "drizzle-orm";
import { apiKeys, orgs, users } from "../kernel/db/schema";
import type { Principal } from "../kernel/app-env";
import type { Db } from "../kernel/app-env";
import { randomBase64Url, toHex } from "../kernel/encoding";

export async function hashKey(key: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key));
  return toHex(new Uint8Array(digest));
}

export function newApiKey(): string {
  return `fp_${randomBase64Url(24)}`;
}

export async function findPrincipal(db: Db, keyHash: string): Promise<Principal | null> {
  const [row] = await db
    .select({ userId: users.id, email: users.email, userName: users.name, orgId: orgs.id, orgName: orgs.name })
    .from(apiKeys)
    .innerJoin(users, eq(users.id, apiKeys.userId))
    .innerJoin(orgs, eq(orgs.id, users.orgId))
    .where(and(eq(apiKeys.keyHash, keyHash), isNull(apiKeys.revokedAt)));
  if (!row) return null;
  return { user: { id: row.userId, email: row.email, name: row.userName }, org: { id: row.orgId, name: row.orgName } };
}

export async function createOrg(db: Db, name: string) {
  const org = { id: crypto.randomUUID(), name, createdAt: Date.now() };
  await db.insert(orgs).values(org);
  return { id: org.id, name: org.name };
}

export async function findOrg(db: Db, id: string) {
  const [row] = await db.select({ id: orgs.id }).from(orgs).where(eq(orgs.id, id));
  return row ?? null;
}

export async function findUser(db: Db, id: string) {
  const [row] = await db.select({ id: users.id }).from(users).where(eq(users.id, id));
  return row ?? null;
}

export async function createUser(db: Db, orgId: string, email: string, name: string | null) {
  const user = { id: crypto.randomUUID(), orgId, email, name, createdAt: Date.now() };
  await db.insert(users).values(user);
  return { id: user.id, email, name, org_id: orgId };
}

export async function createApiKey(db: Db, userId: string, name: string | null) {
  const key = newApiKey();
  const row = { id: crypto.randomUUID(), userId, name, keyHash: await hashKey(key), createdAt: Date.now() };
  await db.insert(apiKeys).values(row);
  return { id: row.id, key, name, created_at: new Date(row.createdAt).toISOString() };
}

/** A page of a user's live keys, newest first; the cursor is the rowid of the last one served. */
export async function listApiKeys(db: Db, userId: string, after: number | null, limit: number) {
  const rowid = sql<number>`${apiKeys}.rowid`;
  const rows = await db
    .select({ id: apiKeys.id, name: apiKeys.name, createdAt: apiKeys.createdAt, rowid })
    .from(apiKeys)
    .where(and(eq(apiKeys.userId, userId), isNull(apiKeys.revokedAt), after === null ? undefined : lt(rowid, after)))
    .orderBy(desc(rowid))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  return {
    keys: page.map((k) => ({ id: k.id, name: k.name, created_at: new Date(k.createdAt).toISOString() })),
    last: rows.length > limit ? page[page.length - 1].rowid : null,
  };
}

/**
 * Revokes a live key (of `userId` only, when given). Answers the key's hash, so this isolate can
 * forget it at once, or null when there was no such live key.
 */
export async function revokeApiKey(db: Db, keyId: string, userId: string | null): Promise<string | null> {
  const [row] = await db
    .update(apiKeys)
    .set({ revokedAt: Date.now() })
    .where(and(eq(apiKeys.id, keyId), isNull(apiKeys.revokedAt), userId === null ? undefined : eq(apiKeys.userId, userId)))
    .returning({ keyHash: apiKeys.keyHash });
  return row?.keyHash ?? null;
}
