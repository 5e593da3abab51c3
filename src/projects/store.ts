// Projects and environments in D1.
import { and, desc, eq, inArray, lt, sql } from "drizzle-orm";
import { inSlices } from "../kernel/db/chunks";
import { environments, projects } from "../kernel/db/schema";
import type { Db } from "../kernel/app-env";
import type { Environment } from "../kernel/project-scope";
import type { ProjectRecord } from "../kernel/project-scope";
import { projectColumns } from "../kernel/project-scope";

export const DEFAULT_ENVIRONMENTS = ["development", "production"];

/** Any organization's project, for the writer and the delivery side, which check the organization themselves. */
export async function projectById(db: Db, projectId: string): Promise<ProjectRecord | null> {
  const [row] = await db.select(projectColumns).from(projects).where(eq(projects.id, projectId));
  return row ?? null;
}

export async function createProject(db: Db, orgId: string, key: string, name: string) {
  const now = Date.now();
  const project = { id: crypto.randomUUID(), orgId, key, name, revision: 0, createdAt: now };
  const envs = DEFAULT_ENVIRONMENTS.map((k, position) => ({ id: crypto.randomUUID(), projectId: project.id, key: k, name: k, position, createdAt: now }));
  await db.batch([db.insert(projects).values(project), db.insert(environments).values(envs)]);
  return { project, environments: envs.map(({ id, key: k, name: n }) => ({ id, key: k, name: n, requires_approval: false })) };
}

export async function listProjects(db: Db, orgId: string, after: number | null, limit: number) {
  const rowid = sql<number>`${projects}.rowid`;
  const rows = await db
    .select({ id: projects.id, key: projects.key, name: projects.name, revision: projects.revision, rowid })
    .from(projects)
    .where(and(eq(projects.orgId, orgId), after === null ? undefined : lt(rowid, after)))
    .orderBy(desc(rowid))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  const envs = await inSlices(
    page.map((p) => p.id),
    (ids) =>
      db
        .select({
          projectId: environments.projectId,
          id: environments.id,
          key: environments.key,
          name: environments.name,
          requires_approval: environments.requiresApproval,
        })
        .from(environments)
        .where(inArray(environments.projectId, ids))
        .orderBy(environments.position),
  );
  return {
    projects: page.map((p) => ({
      id: p.id,
      key: p.key,
      name: p.name,
      environments: envs.filter((e) => e.projectId === p.id).map(({ id, key, name, requires_approval }) => ({ id, key, name, requires_approval })),
      revision: p.revision,
    })),
    last: rows.length > limit ? page[page.length - 1].rowid : null,
  };
}

export function environmentInsert(db: Db, projectId: string, env: Environment, position: number) {
  return db.insert(environments).values({ id: env.id, key: env.key, name: env.name, projectId, position, createdAt: Date.now() });
}

/** An environment's settings: its name, and whether its state changes need approval. */
export function environmentUpdate(db: Db, environmentId: string, patch: { name?: string; requires_approval?: boolean }) {
  return db
    .update(environments)
    .set({
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.requires_approval !== undefined ? { requiresApproval: patch.requires_approval } : {}),
    })
    .where(eq(environments.id, environmentId));
}

/**
 * The statement of a batch of changes that moves the project from revision `from` to `to` (one per
 * change). From any other revision it writes NULL into a NOT NULL column, which fails the whole
 * batch: a writer that lost track can neither skip nor repeat a revision, and nothing is committed.
 */
export function advanceRevision(d1: D1Database, projectId: string, from: number, to: number): D1PreparedStatement {
  return d1.prepare("UPDATE projects SET revision = CASE WHEN revision = ?1 THEN ?2 ELSE NULL END WHERE id = ?3").bind(from, to, projectId);
}

/** Every existing flag gets a new, disabled state in the new environment, in SQL so no flag is missed. */
export function statesForNewEnvironment(d1: D1Database, projectId: string, environmentId: string): D1PreparedStatement {
  return d1
    .prepare(
      `INSERT INTO flag_states (flag_id, environment_id, enabled, rollout_percentage, rollout_variation_id,
                               conditions, default_variation_id, version, updated_at)
       SELECT f.id, ?1, 0, 100,
         COALESCE((SELECT json_extract(v.value, '$.id') FROM json_each(f.variations) v
                   WHERE json_extract(v.value, '$.active') = 1 ORDER BY v.key LIMIT 1),
                  json_extract(f.variations, '$[0].id')),
         '[]',
         json_extract(f.variations, '$[#-1].id'),
         1, ?2
       FROM flags f WHERE f.project_id = ?3`,
    )
    .bind(environmentId, Date.now(), projectId);
}
