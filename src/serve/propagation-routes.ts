// GET /projects/:projectId/revisions/:revision and GET /projects/:projectId/propagation
// (CONTRACT.md v1.2, "Propagation: who holds a revision"); propagation.ts reads the figures.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { requireApiKey } from "../auth/middleware";
import type { AppEnv } from "../kernel/app-env";
import { AppError } from "../kernel/errors";
import { errors, jsonAnswer } from "../kernel/openapi";
import { requireProjectWithEnvironments } from "../kernel/project-scope";
import { IdSchema, ProjectParams, RevisionParamSchema, TimestampSchema } from "../kernel/schemas";
import { validationHook } from "../kernel/validation";
import { projectPropagation, revisionPropagation } from "./propagation";

const Ref = z.object({ id: IdSchema, key: z.string(), name: z.string() });
const Scope = z.enum(["organization", "project"]);
const SummarySchema = z
  .object({
    webhooks: z.object({ delivered: z.number().int(), pending: z.number().int(), failed: z.number().int() }),
    sdk_keys: z.object({
      holding: z.number().int(),
      behind: z.number().int().openapi({ description: "served within 24 h, at an older revision" }),
      idle: z.number().int().openapi({ description: "not holding it, and not served for 24 h" }),
    }),
  })
  .openapi("PropagationSummary");
const KeyFields = {
  id: IdSchema,
  name: z.string().nullable(),
  environment: Ref,
  kind: z.enum(["server", "client"]),
  last_revision: z.number().int().nullable().openapi({ description: "the highest revision it was served" }),
  last_seen_at: TimestampSchema.nullable().openapi({ description: "when it was last served (recorded in batches: up to 5 s late)" }),
  streams: z.number().int().openapi({ description: "event streams it has open now" }),
};

export const RevisionPropagationSchema = z
  .object({
    revision: z.number().int(),
    committed_at: TimestampSchema,
    triggered_by: z.object({ id: IdSchema, email: z.string() }),
    events: z.array(z.object({ event: z.string(), flag: Ref, environment: Ref.nullable() })),
    webhooks: z.array(
      z.object({
        id: IdSchema,
        name: z.string(),
        scope: Scope,
        status: z.enum(["delivered", "pending", "failed"]),
        delivered_at: TimestampSchema.nullable(),
        attempts: z.number().int(),
      }),
    ),
    sdk_keys: z.array(z.object({ ...KeyFields, holds: z.boolean() })),
    summary: SummarySchema,
  })
  .openapi("RevisionPropagation");

export const ProjectPropagationSchema = z
  .object({
    revision: z.number().int().openapi({ description: "the project's latest revision, which the summary is about" }),
    summary: SummarySchema,
    webhooks: z.array(
      z.object({
        id: IdSchema,
        name: z.string(),
        scope: Scope,
        enabled: z.boolean(),
        holds_revision: z.number().int().nullable().openapi({ description: "the latest revision of this project delivered to it" }),
      }),
    ),
    sdk_keys: z.array(z.object({ ...KeyFields, holds_revision: z.number().int().nullable() })),
  })
  .openapi("ProjectPropagation");

export function propagationRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.use("/projects/*", requireApiKey);

  app.openapi(
    createRoute({
      method: "get",
      path: "/projects/{projectId}/revisions/{revision}",
      tags: ["events"],
      operationId: "getRevision",
      summary: "One revision: its events, which webhooks got it delivered, which SDK keys hold it",
      request: { params: ProjectParams.extend({ revision: RevisionParamSchema }) },
      responses: { 200: jsonAnswer("the revision and who holds it", RevisionPropagationSchema), ...errors(400, 401, 404) },
    }),
    async (c) => {
      const { projectId, revision } = c.req.valid("param");
      const { project, environments } = await requireProjectWithEnvironments(c.env, c.get("principal").org.id, projectId);
      if (revision > project.revision) throw new AppError("not_found", `revision ${revision} is above the project's (${project.revision})`);
      const found = revision === 0 ? null : await revisionPropagation(c.env, { id: project.id, environments }, revision);
      if (!found) throw new AppError("not_found", `revision ${revision} is not in the change log (0 is the project's creation; old ones are pruned)`);
      return c.json(found as z.infer<typeof RevisionPropagationSchema>, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/projects/{projectId}/propagation",
      tags: ["events"],
      operationId: "getPropagation",
      summary: "The latest revision's propagation, and the latest revision each webhook and SDK key holds",
      request: { params: ProjectParams },
      responses: { 200: jsonAnswer("where the project's latest revision stands", ProjectPropagationSchema), ...errors(400, 401, 404) },
    }),
    async (c) => {
      const { projectId } = c.req.valid("param");
      const { project, environments } = await requireProjectWithEnvironments(c.env, c.get("principal").org.id, projectId);
      return c.json((await projectPropagation(c.env, { ...project, environments })) as z.infer<typeof ProjectPropagationSchema>, 200);
    },
  );
  return app;
}
