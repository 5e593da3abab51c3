// The change log: every event a project's flags emitted, newest first, as in the webhook body.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { drizzle } from "drizzle-orm/d1";
import { errors, jsonAnswer } from "../kernel/openapi";
import { requireApiKey } from "../auth/middleware";
import { encodeCursor, IdSchema, pageOf, PageQuerySchema, RevisionParamSchema, TimestampSchema } from "../kernel/schemas";
import { validationHook } from "../kernel/validation";
import { listEventsOfOrganization } from "./store";
import type { AppEnv } from "../kernel/app-env";
import { ProjectParams } from "../kernel/schemas";
import { cursorOrThrow } from "../kernel/route-helpers";
import { requireProject } from "../kernel/project-scope";

const Ref = z.object({ id: IdSchema, key: z.string(), name: z.string() });
export const ChangeLogEntrySchema = z
  .object({
    id: IdSchema,
    event: z.string(),
    timestamp: TimestampSchema,
    flag: Ref.extend({ enabled: z.boolean() }),
    environment: Ref.nullable(),
    triggered_by: z.object({ id: IdSchema, email: z.string() }),
    changes: z.array(z.object({ __typename: z.string() }).passthrough()),
    code_like_before: z.string(),
    code_like_after: z.string(),
    revision: z.number().int().openapi({ description: "the project's revision after the change that emitted this event" }),
    comment: z.string().nullable().openapi({ description: "why the change was made, as its author said" }),
    schedule_id: IdSchema.nullable().openapi({ description: "the schedule that applied the change" }),
    change_request_id: IdSchema.nullable().openapi({ description: "the change request that made the change" }),
    approved_by: z.object({ id: IdSchema, email: z.string() }).nullable().openapi({ description: "who approved the change request" }),
  })
  .openapi("ChangeLogEntry");

const ChangeLogQuerySchema = PageQuerySchema.extend({
  since_revision: RevisionParamSchema.optional().openapi({
    description: "only events of later revisions, oldest first: how a receiver that missed deliveries catches up",
  }),
});

export function eventRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.use("/projects/*", requireApiKey);
  app.openapi(
    createRoute({
      method: "get",
      path: "/projects/{projectId}/events",
      tags: ["events"],
      operationId: "listEvents",
      summary: "Read a project's change log, newest first (or the changes after a revision)",
      request: { params: ProjectParams, query: ChangeLogQuerySchema },
      responses: {
        200: jsonAnswer("the change log, newest first (oldest first with since_revision)", pageOf(ChangeLogEntrySchema, "ChangeLogPage")),
        ...errors(400, 401, 404),
      },
    }),
    async (c) => {
      const { projectId } = c.req.valid("param");
      const { cursor, limit, since_revision } = c.req.valid("query");
      const orgId = c.get("principal").org.id;
      let page = await listEventsOfOrganization(drizzle(c.env.DB), orgId, projectId, cursorOrThrow(cursor), limit, since_revision);
      if (page === "no project") {
        // Not on this replica: the primary decides (a 404, or a project created a moment ago: no changes here yet).
        await requireProject(c.env, orgId, projectId);
        page = { entries: [], last: null };
      }
      return c.json({ data: page.entries as z.infer<typeof ChangeLogEntrySchema>[], next_cursor: page.last === null ? null : encodeCursor(page.last) }, 200);
    },
  );
  return app;
}
