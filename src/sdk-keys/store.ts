// SDK keys in D1: one environment each, stored only as a SHA-256 of the key. Revoking deletes the row.
import { and, desc, eq, lt, sql } from "drizzle-orm";
import { sdkKeys } from "../kernel/db/schema";
import { hashKey } from "../auth/store";
import type { Db } from "../kernel/app-env";
import type { Environment } from "../kernel/project-scope";
import type { SdkKeyKind } from "../auth/sdk-keys";
import { SDK_KEY_PREFIX } from "../auth/sdk-keys";
import { randomBase64Url } from "../kernel/encoding";

export function newSdkKey(kind: SdkKeyKind): string {
  return `${SDK_KEY_PREFIX}${kind}_${randomBase64Url(24)}`;
}

export interface SdkKeyView {
  id: string;
  name: string | null;
  kind: SdkKeyKind;
  environment: Environment;
  created_at: string;
}

export async function createSdkKey(db: Db, scope: { orgId: string; projectId: string; environment: Environment }, kind: SdkKeyKind, name: string | null) {
  const key = newSdkKey(kind);
  const row = {
    id: crypto.randomUUID(),
    orgId: scope.orgId,
    projectId: scope.projectId,
    environmentId: scope.environment.id,
    name,
    kind,
    keyHash: await hashKey(key),
    createdAt: Date.now(),
  };
  await db.insert(sdkKeys).values(row);
  return { id: row.id, key, name, kind, environment: scope.environment, created_at: new Date(row.createdAt).toISOString() };
}

/** A page of an environment's keys, newest first; the cursor is the rowid of the last one served. */
export async function listSdkKeys(db: Db, environment: Environment, after: number | null, limit: number) {
  const rowid = sql<number>`${sdkKeys}.rowid`;
  const rows = await db
    .select({ id: sdkKeys.id, name: sdkKeys.name, kind: sdkKeys.kind, createdAt: sdkKeys.createdAt, rowid })
    .from(sdkKeys)
    .where(and(eq(sdkKeys.environmentId, environment.id), after === null ? undefined : lt(rowid, after)))
    .orderBy(desc(rowid))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  return {
    keys: page.map((r): SdkKeyView => ({ id: r.id, name: r.name, kind: r.kind as SdkKeyKind, environment, created_at: new Date(r.createdAt).toISOString() })),
    last: rows.length > limit ? page[page.length - 1].rowid : null,
  };
}

/** Deletes the environment's key; answers whether there was one. */
export async function deleteSdkKey(db: Db, environmentId: string, keyId: string): Promise<string | null> {
  const [row] = await db
    .delete(sdkKeys)
    .where(and(eq(sdkKeys.id, keyId), eq(sdkKeys.environmentId, environmentId)))
    .returning({ keyHash: sdkKeys.keyHash });
  return row?.keyHash ?? null;
}
