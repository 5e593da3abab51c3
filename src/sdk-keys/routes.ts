// SDK keys of an environment: create (the key shown once), list, revoke. Managed with an API key.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { drizzle } from "drizzle-orm/d1";
import { requireApiKey } from "../auth/middleware";
import { afterAnswer } from "../kernel/background";
import { allStreamsObjects } from "../kernel/streams";
import { AppError } from "../kernel/errors";
import { errors, jsonAnswer } from "../kernel/openapi";
import { EnvironmentSchema } from "../projects/routes";
import { encodeCursor, IdSchema, KeySchema, NameSchema, pageOf, PageQuerySchema, TimestampSchema } from "../kernel/schemas";
import { validationHook } from "../kernel/validation";
import { forgetSdkKey, SDK_KEY_TTL_MS } from "../auth/sdk-keys";
import { createSdkKey, deleteSdkKey, listSdkKeys } from "./store";
import type { AppEnv } from "../kernel/app-env";
import { requireProjectWithEnvironments } from "../kernel/project-scope";
import { SDK_KEY_KINDS } from "../auth/sdk-keys";
import { ProjectParams } from "../kernel/schemas";
import { cursorOrThrow } from "../kernel/route-helpers";

const EnvParams = ProjectParams.extend({ envKey: KeySchema });
const KeyParams = EnvParams.extend({ keyId: IdSchema });

export const SdkKeySchema = z
  .object({
    id: IdSchema,
    name: z.string().nullable(),
    kind: z.enum(SDK_KEY_KINDS).openapi({ description: "server: every evaluation route; client: OFREP only (safe in a browser)" }),
    environment: EnvironmentSchema,
    created_at: TimestampSchema,
  })
  .openapi("SdkKey");
export const CreatedSdkKeySchema = SdkKeySchema.extend({
  key: z.string().openapi({ description: "shown only in this answer", example: "fpsdk_server_…" }),
}).openapi("CreatedSdkKey");
const CreateSdkKeySchema = z.object({ name: NameSchema.optional(), kind: z.enum(SDK_KEY_KINDS).default("server") }).openapi("CreateSdkKey");

async function requireEnvironment(env: Env, orgId: string, projectId: string, envKey: string) {
  const environment = (await requireProjectWithEnvironments(env, orgId, projectId)).environments.find((e) => e.key === envKey);
  if (!environment) throw new AppError("not_found", `no environment "${envKey}"`);
  return environment;
}

export function sdkKeyRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.use("/projects/*", requireApiKey);
  const path = "/projects/{projectId}/environments/{envKey}/sdk-keys";

  app.openapi(
    createRoute({
      method: "post",
      path,
      tags: ["sdk-keys"],
      operationId: "createSdkKey",
      summary: "Create an SDK key for one environment (the key is shown only here)",
      request: { params: EnvParams, body: { content: { "application/json": { schema: CreateSdkKeySchema } }, required: false } },
      responses: { 201: jsonAnswer("created; the key is shown only here", CreatedSdkKeySchema), ...errors(400, 401, 404, 415) },
    }),
    async (c) => {
      const { projectId, envKey } = c.req.valid("param");
      const orgId = c.get("principal").org.id;
      const environment = await requireEnvironment(c.env, orgId, projectId, envKey);
      const input = (c.req.valid("json") as z.infer<typeof CreateSdkKeySchema> | undefined) ?? { kind: "server" as const };
      return c.json(await createSdkKey(drizzle(c.env.DB), { orgId, projectId, environment }, input.kind ?? "server", input.name ?? null), 201);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path,
      tags: ["sdk-keys"],
      operationId: "listSdkKeys",
      summary: "List an environment's SDK keys (never the keys themselves)",
      request: { params: EnvParams, query: PageQuerySchema },
      responses: { 200: jsonAnswer("the environment's live keys, newest first", pageOf(SdkKeySchema, "SdkKeyPage")), ...errors(400, 401, 404) },
    }),
    async (c) => {
      const { projectId, envKey } = c.req.valid("param");
      const { cursor, limit } = c.req.valid("query");
      const environment = await requireEnvironment(c.env, c.get("principal").org.id, projectId, envKey);
      const page = await listSdkKeys(drizzle(c.env.DB), environment, cursorOrThrow(cursor), limit);
      return c.json({ data: page.keys, next_cursor: page.last === null ? null : encodeCursor(page.last) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: `${path}/{keyId}`,
      tags: ["sdk-keys"],
      operationId: "revokeSdkKey",
      summary: `Revoke an SDK key (refused everywhere within ${SDK_KEY_TTL_MS / 1000} s)`,
      request: { params: KeyParams },
      responses: { 204: { description: "revoked" }, ...errors(401, 404) },
    }),
    async (c) => {
      const { projectId, envKey, keyId } = c.req.valid("param");
      const environment = await requireEnvironment(c.env, c.get("principal").org.id, projectId, envKey);
      const hash = await deleteSdkKey(drizzle(c.env.DB), environment.id, keyId);
      if (!hash) throw new AppError("not_found", "no such SDK key");
      forgetSdkKey(hash);
      afterAnswer(c, Promise.allSettled(allStreamsObjects(c.env, environment.id).map((o) => o.closeKey(keyId)))); // its open streams close now
      return c.body(null, 204);
    },
  );
  return app;
}
