// The what-if preview of a state PATCH (CONTRACT.md v1.1, "Receivers' toolkit"): the writer works
// out the state as the PATCH would leave it, on the state it holds, and commits nothing; the
// contexts are evaluated here, outside the writer, by the serving path's own evaluator.
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { errors, jsonAnswer, jsonBody } from "../kernel/openapi";
import { requireApiKey } from "../auth/middleware";
import { AppError, unwrap } from "../kernel/errors";
import { projectWriter } from "./project-do";
import { KeySchema } from "../kernel/schemas";
import { validationHook } from "../kernel/validation";
import { StatePreviewRequestSchema, StatePreviewSchema } from "./dry-run-schemas";
import { previewContexts } from "./preview";
import type { AppEnv } from "../kernel/app-env";
import { ProjectParams } from "../kernel/schemas";

const StateParams = ProjectParams.extend({ flagKey: KeySchema, envKey: KeySchema });

export function previewRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.use("/projects/*", requireApiKey);

  app.openapi(
    createRoute({
      method: "post",
      path: "/projects/{projectId}/flags/{flagKey}/environments/{envKey}/preview",
      tags: ["flags"],
      operationId: "previewFlagState",
      summary: "What-if: what each context would be served before and after a state PATCH (nothing stored)",
      description: "Evaluated as OFREP evaluates. The body may be up to 1 MiB.",
      request: { params: StateParams, body: jsonBody(StatePreviewRequestSchema) },
      responses: { 200: jsonAnswer("one result per context, and how many would change", StatePreviewSchema), ...errors(400, 401, 404, 409, 413, 415, 422) },
    }),
    async (c) => {
      const { projectId, flagKey, envKey } = c.req.valid("param");
      const { patch, contexts } = c.req.valid("json");
      const { version, ...change } = patch;
      const { user, org } = c.get("principal");
      const ctx = { orgId: org.id, projectId, actor: { id: user.id, email: user.email } };
      const sides = unwrap(await projectWriter(c.env, projectId).previewState(ctx, flagKey, envKey, change, version));
      if (sides.archived)
        throw new AppError(
          "unprocessable",
          `flag "${flagKey}" is archived: it is served nowhere (OFREP answers FLAG_NOT_FOUND), so there is nothing to preview`,
        );
      return c.json(previewContexts(sides.before, sides.after, contexts), 200);
    },
  );
  return app;
}
