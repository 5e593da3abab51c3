// Identity: admin routes (ADMIN_TOKEN) create organizations, users and keys; GET /me tells a key who it is.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { drizzle } from "drizzle-orm/d1";
import { AppError, isUniqueViolation } from "../errors";
import { errors, jsonAnswer, jsonBody } from "../openapi";
import { IdSchema, NameSchema, TimestampSchema } from "../schemas";
import { validationHook } from "../validation";
import { requireAdmin, requireApiKey, type AppEnv } from "./middleware";
import { createApiKey, createOrg, createUser, findOrg, findUser } from "./store";

const OrgSchema = z.object({ id: IdSchema, name: z.string() }).openapi("Org");
const UserSchema = z.object({ id: IdSchema, email: z.string(), name: z.string().nullable(), org_id: IdSchema }).openapi("User");
const ApiKeySchema = z
  .object({ id: IdSchema, key: z.string().openapi({ description: "shown only in this answer" }), name: z.string().nullable(), created_at: TimestampSchema })
  .openapi("ApiKey");
const MeSchema = z
  .object({ user: z.object({ id: IdSchema, email: z.string(), name: z.string().nullable() }), org: OrgSchema })
  .openapi("Me");


export function adminRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.use("*", requireAdmin);

  app.openapi(
    createRoute({
      method: "post",
      path: "/orgs",
      tags: ["admin"],
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
  return app;
}

export function meRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.use("/me", requireApiKey);
  app.openapi(
    createRoute({
      method: "get",
      path: "/me",
      tags: ["identity"],
      responses: { 200: jsonAnswer("the key's user and organization", MeSchema), ...errors(401, 403) },
    }),
    (c) => c.json(c.get("principal"), 200),
  );
  return app;
}
