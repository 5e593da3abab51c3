// Change requests (CONTRACT.md v1.2 "Changes that need a second person"): a state change proposed
// with its preview, approved by another user of the organization, applied through the project's
// writer (or at `apply_at`, as a schedule), or closed. Every transition goes through the writer;
// reads come from D1.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { drizzle } from "drizzle-orm/d1";
import { requireApiKey } from "../auth/middleware";
import { CommentSchema } from "../flags/schemas";
import type { AppEnv } from "../kernel/app-env";
import { keepBookmark } from "../kernel/db/sessions";
import { AppError, unwrap } from "../kernel/errors";
import { errors, jsonAnswer, jsonBody } from "../kernel/openapi";
import { requireProject } from "../kernel/project-scope";
import { cursorOrThrow } from "../kernel/route-helpers";
import { encodeCursor, IdSchema, KeySchema, pageOf, PageQuerySchema, ProjectParams, TimestampSchema } from "../kernel/schemas";
import { validationHook } from "../kernel/validation";
import { changeRequestView, findChangeRequest, listChangeRequests } from "./change-requests";
import { DryRunEventSchema } from "./dry-run-schemas";
import { projectWriter, type WriteContext } from "./project-do";
import { FutureTimeSchema, StatePatchSchema } from "./schedule-routes";

const ActorRef = z.object({ id: IdSchema, email: z.string() });
const STATUSES = ["open", "approved", "applied", "closed"] as const;

export const ChangeRequestSchema = z
  .object({
    id: IdSchema,
    status: z.enum(STATUSES),
    flag: KeySchema,
    environment: KeySchema,
    patch: StatePatchSchema,
    comment: z.string().nullable(),
    apply_at: TimestampSchema.nullable().openapi({ description: "once approved, the request applies itself at this time" }),
    base_version: z.number().int().openapi({ description: "the state's version when proposed: applying after it moved is 409 stale_change_request" }),
    created_by: ActorRef,
    created_at: TimestampSchema,
    preview: z.array(DryRunEventSchema).openapi({ description: "the dry run's events: what would change and which webhooks would hear of it" }),
    approved_by: ActorRef.nullable(),
    approved_at: TimestampSchema.nullable(),
    revision: z.number().int().nullable().openapi({ description: "the project revision an applied request made (null: none, or it changed nothing)" }),
    schedule_id: IdSchema.nullable().openapi({ description: "the schedule an approval with apply_at made" }),
    reason: z.string().nullable().openapi({ description: "why its scheduled apply did not happen" }),
    finished_at: TimestampSchema.nullable(),
  })
  .openapi("ChangeRequest");

const OpenSchema = z.object({ patch: StatePatchSchema, comment: CommentSchema.optional(), apply_at: FutureTimeSchema.optional() }).openapi("OpenChangeRequest");
const StateParams = ProjectParams.extend({ flagKey: KeySchema, envKey: KeySchema });
const RequestParams = ProjectParams.extend({ changeRequestId: IdSchema });
const ListQuery = PageQuerySchema.extend({ status: z.enum(STATUSES).optional(), flag: KeySchema.optional(), environment: KeySchema.optional() });

function writeContext(c: Context<AppEnv>, projectId: string): WriteContext {
  const { user, org } = c.get("principal");
  return { orgId: org.id, projectId, actor: { id: user.id, email: user.email } };
}

type Transition = "approve" | "apply" | "close";
const TRANSITIONS: Record<Transition, { summary: string; statuses: number[] }> = {
  approve: { summary: "Approve an open request (another user of the organization; its author: 403)", statuses: [401, 403, 404, 409] },
  apply: {
    summary: "Apply an approved request now, through the project's writer (state moved since proposed: 409 stale_change_request)",
    statuses: [401, 404, 409, 422],
  },
  close: { summary: "Close an open or approved request", statuses: [401, 404, 409] },
};

export function changeRequestRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.use("/projects/*", requireApiKey);

  app.openapi(
    createRoute({
      method: "post",
      path: "/projects/{projectId}/flags/{flagKey}/environments/{envKey}/change-requests",
      tags: ["change requests"],
      operationId: "openChangeRequest",
      summary: "Propose a state change: previewed now, applied once another user approved it",
      request: { params: StateParams, body: jsonBody(OpenSchema) },
      responses: { 201: jsonAnswer("opened", ChangeRequestSchema), ...errors(400, 401, 404, 415, 422) },
    }),
    async (c) => {
      const { projectId, flagKey, envKey } = c.req.valid("param");
      const { patch, comment, apply_at } = c.req.valid("json");
      const input = { flagKey, envKey, patch, comment: comment || null, applyAt: apply_at ?? null };
      const result = keepBookmark(c, unwrap(await projectWriter(c.env, projectId).openChangeRequest(writeContext(c, projectId), input)));
      return c.json(result.changeRequest, 201);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/projects/{projectId}/change-requests",
      tags: ["change requests"],
      operationId: "listChangeRequests",
      summary: "List a project's change requests, newest first",
      request: { params: ProjectParams, query: ListQuery },
      responses: { 200: jsonAnswer("change requests, newest first", pageOf(ChangeRequestSchema, "ChangeRequestPage")), ...errors(400, 401, 404) },
    }),
    async (c) => {
      const { projectId } = c.req.valid("param");
      const { cursor, limit, ...filter } = c.req.valid("query");
      const orgId = c.get("principal").org.id;
      await requireProject(c.env, orgId, projectId);
      const page = await listChangeRequests(drizzle(c.env.DB), orgId, projectId, filter, cursorOrThrow(cursor), limit);
      return c.json({ data: page.changeRequests, next_cursor: page.last === null ? null : encodeCursor(page.last) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/projects/{projectId}/change-requests/{changeRequestId}",
      tags: ["change requests"],
      operationId: "getChangeRequest",
      summary: "Read a change request",
      request: { params: RequestParams },
      responses: { 200: jsonAnswer("the change request", ChangeRequestSchema), ...errors(401, 404) },
    }),
    async (c) => {
      const { projectId, changeRequestId } = c.req.valid("param");
      const row = await findChangeRequest(drizzle(c.env.DB), c.get("principal").org.id, projectId, changeRequestId);
      if (!row) throw new AppError("not_found", "no such change request");
      return c.json(changeRequestView(row), 200);
    },
  );

  for (const [action, { summary, statuses }] of Object.entries(TRANSITIONS) as [Transition, (typeof TRANSITIONS)[Transition]][]) {
    app.openapi(
      createRoute({
        method: "post",
        path: `/projects/{projectId}/change-requests/{changeRequestId}/${action}`,
        tags: ["change requests"],
        operationId: `${action}ChangeRequest`,
        summary,
        request: { params: RequestParams },
        responses: { 200: jsonAnswer("the change request as it now is", ChangeRequestSchema), ...errors(...statuses) },
      }),
      async (c) => {
        const { projectId, changeRequestId } = c.req.valid("param");
        const writer = projectWriter(c.env, projectId);
        const ctx = writeContext(c, projectId);
        const answer =
          action === "approve"
            ? await writer.approveChangeRequest(ctx, changeRequestId)
            : action === "apply"
              ? await writer.applyChangeRequest(ctx, changeRequestId)
              : await writer.closeChangeRequest(ctx, changeRequestId);
        return c.json(keepBookmark(c, unwrap(answer)).changeRequest, 200);
      },
    );
  }
  return app;
}
