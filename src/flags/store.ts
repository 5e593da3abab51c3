// Flags and their states in D1: reads for routes and ProjectDO, write statements for ProjectDO's batch.
import { and, desc, eq, inArray, lt, sql } from "drizzle-orm";
import type { DrizzleD1Database } from "drizzle-orm/d1";
import { environments, flags, flagStates } from "../db/schema";
import type { BuildsSql } from "../db/statements";
import { iso } from "../schemas";
import type { Condition, Environment, Flag, FlagState, FlagType, Sharing, Variation } from "./model";

export type Db = DrizzleD1Database<Record<string, never>>;
type FlagRow = typeof flags.$inferSelect;
type StateRow = typeof flagStates.$inferSelect;

export async function listEnvironments(db: Db, projectId: string): Promise<Environment[]> {
  return db
    .select({ id: environments.id, key: environments.key, name: environments.name })
    .from(environments)
    .where(eq(environments.projectId, projectId))
    .orderBy(environments.position);
}

export async function loadFlag(db: Db, projectId: string, key: string, envs: Environment[]): Promise<Flag | null> {
  const [row] = await db.select().from(flags).where(and(eq(flags.projectId, projectId), eq(flags.key, key)));
  if (!row) return null;
  const states = await db.select().from(flagStates).where(eq(flagStates.flagId, row.id));
  return toFlag(row, states, envs);
}

/** A page of flags, newest first; the cursor is the rowid of the last one served. */
export async function listFlags(db: Db, projectId: string, envs: Environment[], after: number | null, limit: number) {
  const rowid = sql<number>`${flags}.rowid`;
  const rows = await db
    .select({ flag: flags, rowid })
    .from(flags)
    .where(and(eq(flags.projectId, projectId), after === null ? undefined : lt(rowid, after)))
    .orderBy(desc(rowid))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  const ids = page.map((r) => r.flag.id);
  const states = ids.length ? await db.select().from(flagStates).where(inArray(flagStates.flagId, ids)) : [];
  return {
    flags: page.map((r) => toFlag(r.flag, states.filter((s) => s.flagId === r.flag.id), envs)),
    last: rows.length > limit ? page[page.length - 1].rowid : null,
  };
}

function toFlag(row: FlagRow, states: StateRow[], envs: Environment[]): Flag {
  const byEnv = new Map(states.map((s) => [s.environmentId, s]));
  const environmentStates: Record<string, FlagState> = {};
  for (const env of envs) {
    const s = byEnv.get(env.id);
    if (s) environmentStates[env.key] = toState(s);
  }
  return {
    id: row.id,
    key: row.key,
    name: row.name,
    description: row.description,
    type: row.type as FlagType,
    tags: row.tags as string[],
    variations: row.variations as Variation[],
    archived: row.archived,
    sharing: row.sharing as Sharing,
    version: row.version,
    environments: environmentStates,
    created_at: iso(row.createdAt),
    updated_at: iso(row.updatedAt),
  };
}

function toState(s: StateRow): FlagState {
  return {
    enabled: s.enabled,
    rollout_percentage: s.rolloutPercentage,
    rollout_variation_id: s.rolloutVariationId,
    conditions: s.conditions as Condition[],
    default_variation_id: s.defaultVariationId,
    version: s.version,
  };
}

/**
 * The statements that take a flag from `before` to `after` (either may be null). Updates are
 * guarded by the version they expect, so a write can only land on the state it was computed from.
 */
export function flagWrites(db: Db, projectId: string, before: Flag | null, after: Flag | null, envs: Environment[]): BuildsSql[] {
  if (!after) return before ? [db.delete(flagStates).where(eq(flagStates.flagId, before.id)), db.delete(flags).where(eq(flags.id, before.id))] : [];
  const now = Date.parse(after.updated_at);
  const columns = {
    key: after.key,
    name: after.name,
    description: after.description,
    type: after.type,
    tags: after.tags,
    variations: after.variations,
    archived: after.archived,
    sharing: after.sharing,
    version: after.version,
    updatedAt: now,
  };
  const writes: BuildsSql[] = [];
  if (!before) writes.push(db.insert(flags).values({ id: after.id, projectId, createdAt: Date.parse(after.created_at), ...columns }));
  else if (before.version !== after.version)
    writes.push(db.update(flags).set(columns).where(and(eq(flags.id, after.id), eq(flags.version, before.version))));
  for (const env of envs) {
    const next = after.environments[env.key];
    const prev = before?.environments[env.key];
    if (!next || (prev && prev.version === next.version)) continue;
    const stateColumns = {
      enabled: next.enabled,
      rolloutPercentage: next.rollout_percentage,
      rolloutVariationId: next.rollout_variation_id,
      conditions: next.conditions,
      defaultVariationId: next.default_variation_id,
      version: next.version,
      updatedAt: now,
    };
    writes.push(
      prev
        ? db
            .update(flagStates)
            .set(stateColumns)
            .where(and(eq(flagStates.flagId, after.id), eq(flagStates.environmentId, env.id), eq(flagStates.version, prev.version)))
        : db.insert(flagStates).values({ flagId: after.id, environmentId: env.id, ...stateColumns }),
    );
  }
  return writes;
}
