// Identity: admin routes (ADMIN_TOKEN) create organizations, users and keys; GET /me tells a key who it is.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { drizzle } from "drizzle-orm/d1";
import { AppError, isUniqueViolation } from "../kernel/errors";
import { errors, jsonAnswer, jsonBody } from "../kernel/openapi";
import { encodeCursor, IdSchema, NameSchema, pageOf, PageQuerySchema, TimestampSchema } from "../kernel/schemas";
import { validationHook } from "../kernel/validation";
import { forgetPrincipal, requireAdmin, requireApiKey } from "./middleware";
import { createApiKey, createOrg, createUser, findOrg, findUser, listApiKeys, revokeApiKey } from "./store";
import type { AppEnv } from "../kernel/app-env";
import { cursorOrThrow } from "../kernel/route-helpers";

const OrgSchema = z.object({ id: IdSchema, name: z.string() }).openapi("Org");
const UserSchema = z.object({ id: IdSchema, email: z.string(), name: z.string().nullable(), org_id: IdSchema }).openapi("User");
const ApiKeySchema = z
  .object({ id: IdSchema, key: z.string().openapi({ description: "shown only in this answer" }), name: z.string().nullable(), created_at: TimestampSchema })
  .openapi("ApiKey");
const ApiKeySummarySchema = z
  .object({ id: IdSchema, name: z.string().nullable(), created_at: TimestampSchema })
  .openapi("ApiKeySummary", { description: "a live API key; the key itself is never shown again" });
const KeyParams = z.object({ keyId: IdSchema });
const MeSchema = z.object({ user: z.object({ id: IdSchema, email: z.string(), name: z.string().nullable() }), org: OrgSchema }).openapi("Me");

export function adminRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.use("*", requireAdmin);

  app.openapi(
    createRoute({
      method: "post",
      path: "/orgs",
      tags: ["admin"],
      operationId: "createOrg",
      summary: "Create an organization",
      request: { body: jsonBody(z.object({ name: NameSchema })) },
      responses: { 201: jsonAnswer("created", OrgSchema), ...errors(400, 401, 403) },
    }),
    async (c) => c.json(await createOrg(drizzle(c.env.DB), c.req.valid("json").name), 201),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/orgs/{orgId}/users",
      tags: ["admin"],
      operationId: "createUser",
      summary: "Add a user to an organization",
      request: {
        params: z.object({ orgId: IdSchema }),
        body: jsonBody(z.object({ email: z.email().max(320), name: NameSchema.optional() })),
      },
      responses: { 201: jsonAnswer("created", UserSchema), ...errors(400, 401, 403, 404, 409) },
    }),
    async (c) => {
      const db = drizzle(c.env.DB);
      const { orgId } = c.req.valid("param");
      const { email, name } = c.req.valid("json");
      if (!(await findOrg(db, orgId))) throw new AppError("not_found", "no such organization");
      try {
        return c.json(await createUser(db, orgId, email.toLowerCase(), name ?? null), 201);
      } catch (err) {
        if (isUniqueViolation(err)) throw new AppError("conflict", `a user with email ${email} already exists in this organization`);
        throw err;
      }
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/users/{userId}/api-keys",
      tags: ["admin"],
      operationId: "createApiKey",
      summary: "Issue an API key for a user (the key is shown only in this answer)",
      request: {
        params: z.object({ userId: IdSchema }),
        body: { content: { "application/json": { schema: z.object({ name: NameSchema.optional() }) } }, required: false },
      },
      responses: { 201: jsonAnswer("created; the key is shown only here", ApiKeySchema), ...errors(400, 401, 403, 404) },
    }),
    async (c) => {
      const db = drizzle(c.env.DB);
      const { userId } = c.req.valid("param");
      if (!(await findUser(db, userId))) throw new AppError("not_found", "no such user");
      const name = (c.req.valid("json") as { name?: string } | undefined)?.name ?? null;
      return c.json(await createApiKey(db, userId, name), 201);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/api-keys/{keyId}",
      tags: ["admin"],
      operationId: "revokeApiKey",
      summary: "Revoke any user's API key",
      request: { params: KeyParams },
      responses: { 204: { description: "revoked: refused everywhere within 30 s" }, ...errors(401, 403, 404) },
    }),
    async (c) => {
      const hash = await revokeApiKey(drizzle(c.env.DB), c.req.valid("param").keyId, null);
      if (!hash) throw new AppError("not_found", "no such live API key");
      forgetPrincipal(hash);
      return c.body(null, 204);
    },
  );
  return app;
}

export function meRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.use("/me", requireApiKey);
  app.use("/me/*", requireApiKey);
  app.openapi(
    createRoute({
      method: "get",
      path: "/me",
      tags: ["identity"],
      operationId: "getMe",
      summary: "Tell the calling key who it is: its user and organization",
      responses: { 200: jsonAnswer("the key's user and organization", MeSchema), ...errors(401, 403) },
    }),
    (c) => c.json(c.get("principal"), 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/me/api-keys",
      tags: ["identity"],
      operationId: "listMyApiKeys",
      summary: "List the live API keys of the key's user",
      request: { query: PageQuerySchema },
      responses: { 200: jsonAnswer("the user's live keys, newest first", pageOf(ApiKeySummarySchema, "ApiKeyPage")), ...errors(400, 401, 403) },
    }),
    async (c) => {
      const { cursor, limit } = c.req.valid("query");
      const page = await listApiKeys(drizzle(c.env.DB), c.get("principal").user.id, cursorOrThrow(cursor), limit);
      return c.json({ data: page.keys, next_cursor: page.last === null ? null : encodeCursor(page.last) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/me/api-keys/{keyId}",
      tags: ["identity"],
      operationId: "revokeMyApiKey",
      summary: "Revoke one of the user's own API keys (the calling one included)",
      request: { params: KeyParams },
      responses: { 204: { description: "revoked: refused everywhere within 30 s" }, ...errors(401, 403, 404) },
    }),
    async (c) => {
      const hash = await revokeApiKey(drizzle(c.env.DB), c.req.valid("param").keyId, c.get("principal").user.id);
      if (!hash) throw new AppError("not_found", "no such API key");
      forgetPrincipal(hash);
      return c.body(null, 204);
    },
  );
  return app;
}
