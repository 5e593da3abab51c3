// Route helpers shared by several domains: the page cursor, and the organization's project a
// route is scoped to. Here rather than in one domain's routes, so domains do not import each other
// for them.
import { drizzle } from "drizzle-orm/d1";
import { primaryOf } from "./db/primary";
import { AppError } from "./errors";
import { findProject, findProjectWithEnvironments } from "./projects/store";
import { decodeCursor } from "./schemas";

export function cursorOrThrow(cursor: string | undefined): number | null {
  const after = decodeCursor(cursor);
  if (after === -1) throw new AppError("validation_failed", "request validation failed", [{ field: "cursor", message: "not a cursor this API gave" }]);
  return after;
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
  const found = (await findProjectWithEnvironments(drizzle(env.DB), orgId, projectId)) ?? (primary && (await findProjectWithEnvironments(drizzle(primary), orgId, projectId)));
  if (!found) throw new AppError("not_found", "no such project");
  return found;
}
