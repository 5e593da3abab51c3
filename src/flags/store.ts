// Flags and their states in D1: reads for routes and ProjectDO, write statements for ProjectDO's batch.
import { and, desc, eq, inArray, lt, sql } from "drizzle-orm";
import { flags, flagStates } from "../kernel/db/schema";
import { iso } from "../kernel/schemas";
import type { Condition, Flag, FlagState, FlagType, Sharing, Variation } from "./model";
import type { Db } from "../kernel/app-env";
import type { Environment } from "../kernel/project-scope";
import { environmentsOf } from "../kernel/project-scope";
import { projectOfOrganization } from "../kernel/project-scope";

type FlagRow = typeof flags.$inferSelect;
type StateRow = typeof flagStates.$inferSelect;

export async function listEnvironments(db: Db, projectId: string): Promise<Environment[]> {
  return environmentsOf(db, projectId);
}

export async function loadFlag(db: Db, projectId: string, key: string, envs: Environment[]): Promise<Flag | null> {
  const [row] = await db
    .select()
    .from(flags)
    .where(and(eq(flags.projectId, projectId), eq(flags.key, key)));
  if (!row) return null;
  const states = await db.select().from(flagStates).where(eq(flagStates.flagId, row.id));
  return toFlag(row, states, envs);
}

/**
 * One flag of an organization's project, read in one D1 call (each call is a round trip, and locally
 * ≈ 0.8 ms of the runtime's one thread): "no project" when the project is not the organization's
 * here, null when it has no such flag.
 */
export async function loadFlagOfOrganization(db: Db, orgId: string, projectId: string, key: string): Promise<Flag | null | "no project"> {
  const theFlag = and(eq(flags.projectId, projectId), eq(flags.key, key));
  const [project, envs, [row], states] = await db.batch([
    projectOfOrganization(db, orgId, projectId),
    environmentsOf(db, projectId),
    db.select().from(flags).where(theFlag),
    db
      .select()
      .from(flagStates)
      .where(inArray(flagStates.flagId, db.select({ id: flags.id }).from(flags).where(theFlag))),
  ]);
  if (!project.length) return "no project";
  return row ? toFlag(row, states, envs) : null;
}

/** Every flag key of the project: the writer answers "no such flag" from it without a read. */
export async function listFlagKeys(db: Db, projectId: string): Promise<string[]> {
  const rows = await db.select({ key: flags.key }).from(flags).where(eq(flags.projectId, projectId));
  return rows.map((r) => r.key);
}

/**
 * A page of flags of an organization's project, newest first (the cursor is the rowid of the last
 * one served), read in one D1 call with the project's environments and the page's states: "no
 * project" when the project is not the organization's here.
 */
export async function listFlagsOfOrganization(db: Db, orgId: string, projectId: string, after: number | null, limit: number) {
  const rowid = sql<number>`${flags}.rowid`;
  const onPage = and(eq(flags.projectId, projectId), after === null ? undefined : lt(rowid, after));
  const pageIds = db.select({ id: flags.id }).from(flags).where(onPage).orderBy(desc(rowid)).limit(limit);
  const [project, envs, rows, states] = await db.batch([
    projectOfOrganization(db, orgId, projectId),
    environmentsOf(db, projectId),
    // One more than the page, to know whether there is a next one.
    db
      .select({ flag: flags, rowid })
      .from(flags)
      .where(onPage)
      .orderBy(desc(rowid))
      .limit(limit + 1),
    db.select().from(flagStates).where(inArray(flagStates.flagId, pageIds)),
  ]);
  if (!project.length) return "no project" as const;
  const page = rows.slice(0, limit);
  return {
    flags: page.map((r) =>
      toFlag(
        r.flag,
        states.filter((s) => s.flagId === r.flag.id),
        envs,
      ),
    ),
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

const FLAG_COLUMNS =
  "key = ?1, name = ?2, description = ?3, type = ?4, tags = ?5, variations = ?6, archived = ?7, sharing = ?8, version = ?9, updated_at = ?10";
const STATE_COLUMNS =
  "enabled = ?1, rollout_percentage = ?2, rollout_variation_id = ?3, conditions = ?4, default_variation_id = ?5, version = ?6, updated_at = ?7";

/**
 * The statements that take a flag from `before` to `after` (either may be null), as prepared SQL:
 * this runs on every change, where building queries costs more than the SQL is worth. Updates are
 * guarded by the version they expect, so a write can only land on the state it was computed from.
 */
export function flagWrites(d1: D1Database, projectId: string, before: Flag | null, after: Flag | null, envs: Environment[]): D1PreparedStatement[] {
  if (!after) {
    if (!before) return [];
    return [d1.prepare("DELETE FROM flag_states WHERE flag_id = ?").bind(before.id), d1.prepare("DELETE FROM flags WHERE id = ?").bind(before.id)];
  }
  const now = Date.parse(after.updated_at);
  const flagValues = [
    after.key,
    after.name,
    after.description,
    after.type,
    JSON.stringify(after.tags),
    JSON.stringify(after.variations),
    after.archived ? 1 : 0,
    JSON.stringify(after.sharing),
    after.version,
    now,
  ];
  const writes: D1PreparedStatement[] = [];
  if (!before)
    writes.push(
      d1
        .prepare(
          "INSERT INTO flags (key, name, description, type, tags, variations, archived, sharing, version, updated_at, id, project_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        )
        .bind(...flagValues, after.id, projectId, Date.parse(after.created_at)),
    );
  else if (before.version !== after.version)
    writes.push(d1.prepare(`UPDATE flags SET ${FLAG_COLUMNS} WHERE id = ?11 AND version = ?12`).bind(...flagValues, after.id, before.version));
  for (const env of envs) {
    const next = after.environments[env.key];
    const prev = before?.environments[env.key];
    if (!next || (prev && prev.version === next.version)) continue;
    const values = [
      next.enabled ? 1 : 0,
      next.rollout_percentage,
      next.rollout_variation_id,
      JSON.stringify(next.conditions),
      next.default_variation_id,
      next.version,
      now,
    ];
    writes.push(
      prev
        ? d1
            .prepare(`UPDATE flag_states SET ${STATE_COLUMNS} WHERE flag_id = ?8 AND environment_id = ?9 AND version = ?10`)
            .bind(...values, after.id, env.id, prev.version)
        : d1
            .prepare(
              "INSERT INTO flag_states (enabled, rollout_percentage, rollout_variation_id, conditions, default_variation_id, version, updated_at, flag_id, environment_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )
            .bind(...values, after.id, env.id),
    );
  }
  return writes;
}
