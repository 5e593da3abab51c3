// Projects and environments. Creating a project needs no writer (it has no flags yet); a new
// environment goes through ProjectDO because it adds a state to every flag.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { drizzle } from "drizzle-orm/d1";
import { errors, jsonAnswer, jsonBody } from "../kernel/openapi";
import { requireApiKey } from "../auth/middleware";
import { AppError, isUniqueViolation, unwrap } from "../kernel/errors";
import { encodeCursor, IdSchema, KeySchema, NameSchema, pageOf, PageQuerySchema } from "../kernel/schemas";
import { validationHook } from "../kernel/validation";
import { projectWriter } from "./project-do";
import { createProject, listProjects } from "./store";
import { cursorOrThrow } from "../kernel/route-helpers";
import type { AppEnv } from "../kernel/app-env";
import { requireProjectWithEnvironments } from "../kernel/project-scope";
import { ProjectParams } from "../kernel/schemas";

export const EnvironmentSchema = z
  .object({
    id: IdSchema,
    key: KeySchema,
    name: z.string(),
    requires_approval: z.boolean().optional().openapi({
      description: "state changes here are proposed as change requests and need another user's approval (always in project and environment reads)",
    }),
  })
  .openapi("Environment");
export const ProjectSchema = z
  .object({
    id: IdSchema,
    key: KeySchema,
    name: z.string(),
    environments: z.array(EnvironmentSchema),
    revision: z.number().int().min(0).openapi({ description: "committed changes so far: 0 when created, +1 per change of one of its flags" }),
  })
  .openapi("Project");
const CreateProjectSchema = z.object({ key: KeySchema, name: NameSchema }).openapi("CreateProject");
const CreateEnvironmentSchema = z.object({ key: KeySchema, name: NameSchema }).openapi("CreateEnvironment");
const UpdateEnvironmentSchema = z.object({ name: NameSchema.optional(), requires_approval: z.boolean().optional() }).openapi("UpdateEnvironment");
const EnvironmentParams = ProjectParams.extend({ envKey: KeySchema });

export function projectRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.use("/projects", requireApiKey);
  app.use("/projects/*", requireApiKey);

  app.openapi(
    createRoute({
      method: "post",
      path: "/projects",
      tags: ["projects"],
      operationId: "createProject",
      summary: "Create a project with its default environments",
      request: { body: jsonBody(CreateProjectSchema) },
      responses: { 201: jsonAnswer("created", ProjectSchema), ...errors(400, 401, 409, 415) },
    }),
    async (c) => {
      const { key, name } = c.req.valid("json");
      try {
        const { project, environments } = await createProject(drizzle(c.env.DB), c.get("principal").org.id, key, name);
        return c.json({ id: project.id, key, name, environments, revision: 0 }, 201);
      } catch (err) {
        if (isUniqueViolation(err)) throw new AppError("conflict", `a project with key "${key}" already exists`);
        throw err;
      }
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/projects",
      tags: ["projects"],
      operationId: "listProjects",
      summary: "List the organization's projects",
      request: { query: PageQuerySchema },
      responses: { 200: jsonAnswer("projects, newest first", pageOf(ProjectSchema, "ProjectPage")), ...errors(400, 401) },
    }),
    async (c) => {
      const { cursor, limit } = c.req.valid("query");
      const page = await listProjects(drizzle(c.env.DB), c.get("principal").org.id, cursorOrThrow(cursor), limit);
      return c.json({ data: page.projects, next_cursor: page.last === null ? null : encodeCursor(page.last) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/projects/{projectId}",
      tags: ["projects"],
      operationId: "getProject",
      summary: "Read a project with its environments",
      request: { params: ProjectParams },
      responses: { 200: jsonAnswer("the project", ProjectSchema), ...errors(401, 404) },
    }),
    async (c) => {
      const { project, environments } = await requireProjectWithEnvironments(c.env, c.get("principal").org.id, c.req.valid("param").projectId);
      return c.json({ id: project.id, key: project.key, name: project.name, environments, revision: project.revision }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/projects/{projectId}/environments",
      tags: ["projects"],
      operationId: "createEnvironment",
      summary: "Add an environment to a project (every flag gets a disabled state in it)",
      request: { params: ProjectParams, body: jsonBody(CreateEnvironmentSchema) },
      responses: { 201: jsonAnswer("created; every flag gets a disabled state here", EnvironmentSchema), ...errors(400, 401, 404, 409, 415) },
    }),
    async (c) => {
      const { projectId } = c.req.valid("param");
      const { key, name } = c.req.valid("json");
      const principal = c.get("principal");
      const stub = projectWriter(c.env, projectId);
      const result = unwrap(await stub.createEnvironment({ orgId: principal.org.id, projectId, actor: principal.user }, key, name));
      return c.json(result.environment, 201);
    },
  );

  app.openapi(
    createRoute({
      method: "patch",
      path: "/projects/{projectId}/environments/{envKey}",
      tags: ["projects"],
      operationId: "updateEnvironment",
      summary: "Change an environment's settings: its name, and whether its state changes require approval",
      request: { params: EnvironmentParams, body: jsonBody(UpdateEnvironmentSchema) },
      responses: { 200: jsonAnswer("the whole updated environment", EnvironmentSchema), ...errors(400, 401, 404, 415) },
    }),
    async (c) => {
      const { projectId, envKey } = c.req.valid("param");
      const principal = c.get("principal");
      const stub = projectWriter(c.env, projectId);
      const result = unwrap(await stub.updateEnvironment({ orgId: principal.org.id, projectId, actor: principal.user }, envKey, c.req.valid("json")));
      return c.json(result.environment, 200);
    },
  );
  return app;
}
