import { and, eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { primaryOf } from "./db/primary";
import { environments, projects } from "./db/schema";
import { AppError } from "./errors";
import type { Db } from "./app-env";

export interface Environment {
  id: string;
  key: string;
  name: string;
  /** A state change here needs a change request approved by another user (read with the environment; absent where only its name matters). */
  requires_approval?: boolean;
}
/** The project's environments in order, as a query (for a batch). */
export function environmentsOf(db: Db, projectId: string) {
  return db
    .select({ id: environments.id, key: environments.key, name: environments.name, requires_approval: environments.requiresApproval })
    .from(environments)
    .where(eq(environments.projectId, projectId))
    .orderBy(environments.position);
}
/** The project's row if it is the organization's: empty otherwise. A query, for a batch. */
export function projectOfOrganization(db: Db, orgId: string, projectId: string) {
  return db
    .select({ id: projects.id })
    .from(projects)
    .where(and(eq(projects.id, projectId), eq(projects.orgId, orgId)));
}
export interface ProjectRecord {
  id: string;
  orgId: string;
  key: string;
  name: string;
  /** Committed changes so far (CONTRACT.md, "Revisions"). */
  revision: number;
}
export const projectColumns = { id: projects.id, orgId: projects.orgId, key: projects.key, name: projects.name, revision: projects.revision };
/** The project's row if it belongs to the organization, as a query (alone or in a batch). */
export function organizationsProject(db: Db, orgId: string, projectId: string) {
  return db
    .select(projectColumns)
    .from(projects)
    .where(and(eq(projects.id, projectId), eq(projects.orgId, orgId)));
}
/** The project if it belongs to the organization; another organization's project is simply absent. */
export async function findProject(db: Db, orgId: string, projectId: string): Promise<ProjectRecord | null> {
  const [row] = await organizationsProject(db, orgId, projectId);
  return row ?? null;
}
/**
 * The organization's project with its environments, in one D1 call; null when the project is not the
 * organization's there. Every project has environments: a project found without any was read from a
 * replica that has not caught up, and counts as not found there.
 */
export async function findProjectWithEnvironments(
  db: Db,
  orgId: string,
  projectId: string,
): Promise<{ project: ProjectRecord; environments: Environment[] } | null> {
  const [[project], envs] = await db.batch([organizationsProject(db, orgId, projectId), environmentsOf(db, projectId)]);
  return project && envs.length ? { project, environments: envs } : null;
}
/**
 * The organization's project, or 404 — also for another organization's, whose existence stays
 * hidden. A project created a moment ago may not have reached this replica: the primary decides a miss.
 */
export async function requireProject(env: Env, orgId: string, projectId: string) {
  const primary = primaryOf(env);
  const project = (await findProject(drizzle(env.DB), orgId, projectId)) ?? (primary && (await findProject(drizzle(primary), orgId, projectId)));
  if (!project) throw new AppError("not_found", "no such project");
  return project;
}
/** The organization's project with its environments (one D1 call), or 404; the primary decides a miss. */
export async function requireProjectWithEnvironments(env: Env, orgId: string, projectId: string) {
  const primary = primaryOf(env);
  const found =
    (await findProjectWithEnvironments(drizzle(env.DB), orgId, projectId)) ??
    (primary && (await findProjectWithEnvironments(drizzle(primary), orgId, projectId)));
  if (!found) throw new AppError("not_found", "no such project");
  return found;
}
