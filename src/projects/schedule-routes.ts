// Scheduled changes (CONTRACT.md v1.2 "Scheduled changes"): a state patch that the project's writer
// applies at a time. Created and cancelled through the writer (it validates the patch against the
// state it holds, and arms its alarm); read from D1.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { drizzle } from "drizzle-orm/d1";
import { requireApiKey } from "../auth/middleware";
import { CommentSchema, UpdateFlagStateSchema } from "../flags/schemas";
import type { AppEnv } from "../kernel/app-env";
import { AppError, unwrap } from "../kernel/errors";
import { errors, jsonAnswer, jsonBody } from "../kernel/openapi";
import { requireProject } from "../kernel/project-scope";
import { cursorOrThrow } from "../kernel/route-helpers";
import { encodeCursor, IdSchema, KeySchema, pageOf, PageQuerySchema, ProjectParams, TimestampSchema } from "../kernel/schemas";
import { validationHook } from "../kernel/validation";
import { keepBookmark } from "../kernel/db/sessions";
import { projectWriter } from "./project-do";
import { findSchedule, listSchedules, scheduleView } from "./schedules";

const YEAR_MS = 366 * 24 * 3600_000;

/** A state PATCH body, as a schedule or change request carries it: no version (it applies to the state as it is then), no comment (that is beside it). */
export const StatePatchSchema = UpdateFlagStateSchema.omit({ version: true, comment: true }).openapi("StatePatch");

/** A time in the future, at most a year away, as Unix milliseconds. */
export const FutureTimeSchema = z.iso
  .datetime({ offset: true })
  .transform((s) => Date.parse(s))
  .refine((at) => at > Date.now(), "must be in the future")
  .refine((at) => at <= Date.now() + YEAR_MS, "must be at most a year away")
  .openapi({ type: "string", format: "date-time", example: "2026-12-24T08:00:00Z" });

const ActorSchema = z.object({ id: IdSchema, email: z.string() }).openapi("Actor");

export const ScheduleSchema = z
  .object({
    id: IdSchema,
    flag: KeySchema,
    environment: KeySchema,
    at: TimestampSchema,
    patch: StatePatchSchema,
    comment: z.string().nullable(),
    status: z.enum(["scheduled", "applied", "failed", "cancelled"]),
    reason: z.string().nullable().openapi({ description: "why a failed schedule did not apply" }),
    revision: z.number().int().nullable().openapi({ description: "the project revision an applied schedule made (null: it changed nothing)" }),
    change_request_id: IdSchema.nullable().openapi({ description: "the approved change request this schedule applies" }),
    created_by: ActorSchema,
    created_at: TimestampSchema,
    finished_at: TimestampSchema.nullable(),
  })
  .openapi("Schedule");

const CreateScheduleSchema = z.object({ at: FutureTimeSchema, patch: StatePatchSchema, comment: CommentSchema.optional() }).openapi("CreateSchedule");
const StateParams = ProjectParams.extend({ flagKey: KeySchema, envKey: KeySchema });
const ScheduleParams = ProjectParams.extend({ scheduleId: IdSchema });
const ScheduleQuery = PageQuerySchema.extend({
  status: z.enum(["scheduled", "applied", "failed", "cancelled"]).optional(),
  flag: KeySchema.optional(),
  environment: KeySchema.optional(),
});

export function scheduleRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.use("/projects/*", requireApiKey);

  app.openapi(
    createRoute({
      method: "post",
      path: "/projects/{projectId}/flags/{flagKey}/environments/{envKey}/schedules",
      tags: ["schedules"],
      operationId: "createSchedule",
      summary: "Schedule a state patch: validated now, applied by the project's writer at `at`",
      request: { params: StateParams, body: jsonBody(CreateScheduleSchema) },
      responses: { 201: jsonAnswer("scheduled", ScheduleSchema), ...errors(400, 401, 404, 409, 415, 422) },
    }),
    async (c) => {
      const { projectId, flagKey, envKey } = c.req.valid("param");
      const { at, patch, comment } = c.req.valid("json");
      const { user, org } = c.get("principal");
      const ctx = { orgId: org.id, projectId, actor: { id: user.id, email: user.email } };
      const result = keepBookmark(
        c,
        unwrap(await projectWriter(c.env, projectId).createSchedule(ctx, { flagKey, envKey, at, patch, comment: comment || null })),
      );
      return c.json(result.schedule, 201);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/projects/{projectId}/schedules",
      tags: ["schedules"],
      operationId: "listSchedules",
      summary: "List a project's schedules, newest first",
      request: { params: ProjectParams, query: ScheduleQuery },
      responses: { 200: jsonAnswer("schedules, newest first", pageOf(ScheduleSchema, "SchedulePage")), ...errors(400, 401, 404) },
    }),
    async (c) => {
      const { projectId } = c.req.valid("param");
      const { cursor, limit, ...filter } = c.req.valid("query");
      const orgId = c.get("principal").org.id;
      await requireProject(c.env, orgId, projectId);
      const page = await listSchedules(drizzle(c.env.DB), orgId, projectId, filter, cursorOrThrow(cursor), limit);
      return c.json({ data: page.schedules, next_cursor: page.last === null ? null : encodeCursor(page.last) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/projects/{projectId}/schedules/{scheduleId}",
      tags: ["schedules"],
      operationId: "getSchedule",
      summary: "Read a schedule",
      request: { params: ScheduleParams },
      responses: { 200: jsonAnswer("the schedule", ScheduleSchema), ...errors(401, 404) },
    }),
    async (c) => {
      const { projectId, scheduleId } = c.req.valid("param");
      const row = await findSchedule(drizzle(c.env.DB), c.get("principal").org.id, projectId, scheduleId);
      if (!row) throw new AppError("not_found", "no such schedule");
      return c.json(scheduleView(row), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/projects/{projectId}/schedules/{scheduleId}",
      tags: ["schedules"],
      operationId: "cancelSchedule",
      summary: "Cancel a waiting schedule (one already applied or failed: 409)",
      request: { params: ScheduleParams },
      responses: { 204: { description: "cancelled" }, ...errors(401, 404, 409) },
    }),
    async (c) => {
      const { projectId, scheduleId } = c.req.valid("param");
      const { user, org } = c.get("principal");
      unwrap(await projectWriter(c.env, projectId).cancelSchedule({ orgId: org.id, projectId, actor: { id: user.id, email: user.email } }, scheduleId));
      return c.body(null, 204);
    },
  );
  return app;
}
