// Revert (CONTRACT.md v1.2, "A way back, and a reason"): the fields one revision changed, set back
// by the project's writer as one new change, with its own revision, events and webhooks.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { errors, jsonAnswer, jsonBody } from "../kernel/openapi";
import { requireApiKey } from "../auth/middleware";
import { keepBookmark } from "../kernel/db/sessions";
import { unwrap } from "../kernel/errors";
import { ProjectParams, RevisionParamSchema } from "../kernel/schemas";
import { validationHook } from "../kernel/validation";
import { CommentSchema, FlagSchema } from "../flags/schemas";
import { DryRunEventSchema, DryRunQuerySchema } from "./dry-run-schemas";
import { projectWriter } from "./project-do";
import type { AppEnv } from "../kernel/app-env";

const RevisionParams = ProjectParams.extend({ revision: RevisionParamSchema.openapi({ description: "the revision to revert" }) });

const RevertRequestSchema = z
  .object({ comment: CommentSchema.optional().openapi({ description: 'kept in the change log; "revert of revision N" when none is given' }) })
  .openapi("RevertRequest");

const revisionFields = {
  revision: z.number().int().min(1).openapi({ description: "the revision the revert commits as (with dry_run: would commit as, if nothing else came first)" }),
  reverted: z.number().int().min(1).openapi({ description: "the revision whose fields it sets back" }),
};

const RevertSchema = z.object({ ...revisionFields, flag: FlagSchema.openapi({ description: "the flag after the revert" }) }).openapi("Revert");

const DryRunRevertSchema = z
  .object({
    dry_run: z.literal(true),
    ...revisionFields,
    result: FlagSchema.openapi({ description: "the flag as the revert would leave it" }),
    events: z.array(DryRunEventSchema),
  })
  .openapi("DryRunRevert");

export function revertRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.use("/projects/*", requireApiKey);

  app.openapi(
    createRoute({
      method: "post",
      path: "/projects/{projectId}/revisions/{revision}/revert",
      tags: ["flags"],
      operationId: "revertRevision",
      summary: "Set back the fields a revision changed, as one new change (emits the usual events)",
      description:
        "A later revision that changed the same fields: 409 `revert_conflict` naming it. A revision that created or deleted a flag: 409 `not_revertible`. A state in an environment that requires approval: 409 `approval_required`.",
      request: { params: RevisionParams, query: DryRunQuerySchema, body: { ...jsonBody(RevertRequestSchema), required: false } },
      responses: {
        200: jsonAnswer("the revert, committed; with dry_run=true, what it would do and nothing stored", z.union([RevertSchema, DryRunRevertSchema])),
        ...errors(400, 401, 404, 409, 415, 422),
      },
    }),
    async (c) => {
      const { projectId, revision } = c.req.valid("param");
      const { comment } = RevertRequestSchema.parse(c.req.valid("json") ?? {});
      const { user, org } = c.get("principal");
      const ctx = { orgId: org.id, projectId, actor: { id: user.id, email: user.email }, origin: { comment: comment || `revert of revision ${revision}` } };
      const dryRun = c.req.valid("query").dry_run === "true";
      const { ok: _ok, bookmark: _bookmark, ...answer } = keepBookmark(c, unwrap(await projectWriter(c.env, projectId).revert(ctx, revision, dryRun)));
      if (!dryRun) return c.json({ revision: answer.revision, reverted: answer.reverted, flag: answer.flag }, 200);
      return c.json({ dry_run: true as const, revision: answer.revision, reverted: answer.reverted, result: answer.flag, events: answer.events ?? [] }, 200);
    },
  );
  return app;
}
