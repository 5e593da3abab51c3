// Route helpers shared by several domains: the page cursor, and the organization's project a
// route is scoped to. Here rather than in one domain's routes, so domains do not import each other
// for them.
import { drizzle } from "drizzle-orm/d1";
import { primaryOf } from "./db/primary";
import { AppError } from "./errors";
import { decodeCursor } from "./schemas";
import { findProject } from "./project-scope";
import { findProjectWithEnvironments } from "./project-scope";

export function cursorOrThrow(cursor: string | undefined): number | null {
  const after = decodeCursor(cursor);
  if (after === -1) throw new AppError("validation_failed", "request validation failed", [{ field: "cursor", message: "not a cursor this API gave" }]);
  return after;
}
