// Flags and their per-environment states. Reads come from D1; every write goes to the project's
// ProjectDO, the single writer, and its result becomes the HTTP answer.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { drizzle } from "drizzle-orm/d1";
import { errors, jsonAnswer, jsonBody } from "../kernel/openapi";
import { requireApiKey } from "../auth/middleware";
import { keepBookmark } from "../kernel/db/sessions";
import { AppError, unwrap } from "../kernel/errors";
import type { DryRunEvent, DryRunResult, FlagWrite } from "./dry-run";
import { projectWriter, type WriteContext } from "./project-do";
import { encodeCursor, IfMatchHeaderSchema, KeySchema, pageOf, PageQuerySchema } from "../kernel/schemas";
import { expectedVersion, validationHook } from "../kernel/validation";
import { CommentSchema, CreateFlagSchema, FlagSchema, FlagStateSchema, UpdateFlagSchema, UpdateFlagStateSchema } from "../flags/schemas";
import { DryRunDeletionSchema, DryRunFlagSchema, DryRunFlagStateSchema, DryRunQuerySchema } from "./dry-run-schemas";
import { listEnvironments, listFlagsOfOrganization, loadFlag, loadFlagOfOrganization } from "../flags/store";
import type { AppEnv } from "../kernel/app-env";
import { ProjectParams } from "../kernel/schemas";
import { cursorOrThrow } from "../kernel/route-helpers";
import { requireProject } from "../kernel/project-scope";

const FlagParams = ProjectParams.extend({ flagKey: KeySchema });
const StateParams = FlagParams.extend({ envKey: KeySchema });

function writeContext(c: Context<AppEnv>, projectId: string, comment?: string): WriteContext {
  const { user, org } = c.get("principal");
  return { orgId: org.id, projectId, actor: { id: user.id, email: user.email }, ...(comment ? { origin: { comment } } : {}) };
}

/** DELETE has no body: its comment comes in a header. */
const DeleteHeadersSchema = IfMatchHeaderSchema.extend({ "x-flagpost-comment": CommentSchema.optional() });

export function flagRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.use("/projects/*", requireApiKey);

  app.openapi(
    createRoute({
      method: "post",
      path: "/projects/{projectId}/flags",
      tags: ["flags"],
      operationId: "createFlag",
      summary: "Create a flag (emits flag.created)",
      request: { params: ProjectParams, query: DryRunQuerySchema, body: jsonBody(CreateFlagSchema) },
      responses: {
        201: jsonAnswer("created", FlagSchema),
        200: jsonAnswer("dry run: nothing stored", DryRunFlagSchema),
        ...errors(400, 401, 404, 409, 415, 422),
      },
    }),
    async (c) => {
      const { projectId } = c.req.valid("param");
      const { comment, ...input } = c.req.valid("json");
      if (isDryRun(c)) return c.json(await dryRun(c, projectId, { kind: "create", input }), 200);
      const result = keepBookmark(c, unwrap(await projectWriter(c.env, projectId).createFlag(writeContext(c, projectId, comment), input)));
      return c.json(result.flag, 201);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/projects/{projectId}/flags",
      tags: ["flags"],
      operationId: "listFlags",
      summary: "List a project's flags with their states",
      request: { params: ProjectParams, query: PageQuerySchema },
      responses: { 200: jsonAnswer("flags, newest first", pageOf(FlagSchema, "FlagPage")), ...errors(400, 401, 404) },
    }),
    async (c) => {
      const { projectId } = c.req.valid("param");
      const { cursor, limit } = c.req.valid("query");
      const orgId = c.get("principal").org.id;
      const after = cursorOrThrow(cursor);
      const db = drizzle(c.env.DB);
      let page = await listFlagsOfOrganization(db, orgId, projectId, after, limit);
      if (page === "no project") {
        // Not on this replica: the primary decides (a 404, or a project created a moment ago: no flags here yet).
        await requireProject(c.env, orgId, projectId);
        page = { flags: [], last: null };
      }
      return c.json({ data: page.flags, next_cursor: page.last === null ? null : encodeCursor(page.last) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/projects/{projectId}/flags/{flagKey}",
      tags: ["flags"],
      operationId: "getFlag",
      summary: "Read a flag with its states",
      request: { params: FlagParams },
      responses: { 200: jsonAnswer("the flag", FlagSchema), ...errors(401, 404) },
    }),
    async (c) => c.json(await readFlag(c, c.req.valid("param")), 200),
  );

  app.openapi(
    createRoute({
      method: "patch",
      path: "/projects/{projectId}/flags/{flagKey}",
      tags: ["flags"],
      operationId: "updateFlag",
      summary: "Update a flag (emits flag.updated when something changed)",
      request: { params: FlagParams, query: DryRunQuerySchema, headers: IfMatchHeaderSchema, body: jsonBody(UpdateFlagSchema) },
      responses: {
        200: jsonAnswer("the whole updated flag; with dry_run=true, a DryRunFlag and nothing stored", z.union([FlagSchema, DryRunFlagSchema])),
        ...errors(400, 401, 404, 409, 415, 422),
      },
    }),
    async (c) => {
      const { projectId, flagKey } = c.req.valid("param");
      const { version, comment, ...patch } = c.req.valid("json");
      const expected = expectedVersion(c.req.valid("header")["if-match"], version);
      if (isDryRun(c)) return c.json(await dryRun(c, projectId, { kind: "update", flagKey, patch, expected }), 200);
      const result = keepBookmark(c, unwrap(await projectWriter(c.env, projectId).updateFlag(writeContext(c, projectId, comment), flagKey, patch, expected)));
      return c.json(result.flag, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/projects/{projectId}/flags/{flagKey}",
      tags: ["flags"],
      operationId: "deleteFlag",
      summary: "Delete a flag (emits flag.deleted)",
      request: { params: FlagParams, query: DryRunQuerySchema, headers: DeleteHeadersSchema },
      responses: { 204: { description: "deleted" }, 200: jsonAnswer("dry run: nothing deleted", DryRunDeletionSchema), ...errors(400, 401, 404, 409) },
    }),
    async (c) => {
      const { projectId, flagKey } = c.req.valid("param");
      const headers = c.req.valid("header");
      const expected = expectedVersion(headers["if-match"], undefined);
      if (isDryRun(c)) return c.json(await dryRun(c, projectId, { kind: "delete", flagKey, expected }), 200);
      const ctx = writeContext(c, projectId, headers["x-flagpost-comment"]);
      keepBookmark(c, unwrap(await projectWriter(c.env, projectId).deleteFlag(ctx, flagKey, expected)));
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/projects/{projectId}/flags/{flagKey}/environments/{envKey}",
      tags: ["flags"],
      operationId: "getFlagState",
      summary: "Read a flag's state in one environment",
      request: { params: StateParams },
      responses: { 200: jsonAnswer("the flag's state in one environment", FlagStateSchema), ...errors(401, 404) },
    }),
    async (c) => {
      const { envKey, ...params } = c.req.valid("param");
      const state = (await readFlag(c, params)).environments[envKey];
      if (!state) throw new AppError("not_found", `no environment "${envKey}"`);
      return c.json(state, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "patch",
      path: "/projects/{projectId}/flags/{flagKey}/environments/{envKey}",
      tags: ["flags"],
      operationId: "updateFlagState",
      summary: "Update a flag's state (flag.toggled for enabled, flag_state.updated for the rest)",
      request: { params: StateParams, query: DryRunQuerySchema, headers: IfMatchHeaderSchema, body: jsonBody(UpdateFlagStateSchema) },
      responses: {
        200: jsonAnswer("the whole updated state; with dry_run=true, a DryRunFlagState and nothing stored", z.union([FlagStateSchema, DryRunFlagStateSchema])),
        ...errors(400, 401, 404, 409, 415, 422),
      },
    }),
    async (c) => {
      const { projectId, flagKey, envKey } = c.req.valid("param");
      const { version, comment, ...patch } = c.req.valid("json");
      const expected = expectedVersion(c.req.valid("header")["if-match"], version);
      if (isDryRun(c)) return c.json(await dryRun(c, projectId, { kind: "state", flagKey, envKey, patch, expected }), 200);
      const stub = projectWriter(c.env, projectId);
      const result = keepBookmark(c, unwrap(await stub.updateFlagState(writeContext(c, projectId, comment), flagKey, envKey, patch, expected)));
      return c.json(result.state, 200);
    },
  );
  return app;
}

function isDryRun(c: Context<AppEnv>): boolean {
  return c.req.query("dry_run") === "true";
}

/** The writer's dry run of the write: its answer, or the refusal the real write would get. */
async function dryRun<W extends FlagWrite>(
  c: Context<AppEnv>,
  projectId: string,
  write: W,
): Promise<{ dry_run: true; result: DryRunResult<W["kind"]>; events: DryRunEvent[] }> {
  const { dry_run, result, events } = unwrap(await projectWriter(c.env, projectId).dryRun(writeContext(c, projectId), write));
  return { dry_run, result: result as DryRunResult<W["kind"]>, events };
}

async function readFlag(c: Context<AppEnv>, params: { projectId: string; flagKey: string }) {
  const orgId = c.get("principal").org.id;
  const db = drizzle(c.env.DB);
  let flag = await loadFlagOfOrganization(db, orgId, params.projectId, params.flagKey);
  if (flag === "no project") {
    // Not on this replica: the primary decides (a 404, or a project created a moment ago).
    await requireProject(c.env, orgId, params.projectId);
    flag = await loadFlag(db, params.projectId, params.flagKey, await listEnvironments(db, params.projectId));
  }
  if (!flag) throw new AppError("not_found", `no flag "${params.flagKey}"`);
  return flag;
}
