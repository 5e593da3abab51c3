// The receivers' toolkit over HTTP: secret rotation and the ed25519 key (under both webhook scopes),
// the verification debugger and the event catalog.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { drizzle } from "drizzle-orm/d1";
import { requireApiKey } from "../auth/middleware";
import { readSettings } from "../kernel/env";
import { AppError } from "../kernel/errors";
import { errors, jsonAnswer, jsonBody } from "../kernel/openapi";
import { IdSchema } from "../kernel/schemas";
import { validationHook } from "../kernel/validation";
import { eventTypes } from "./event-types";
import { Ed25519KeySchema, EventTypeListSchema, RotatedSecretSchema, RotateSecretSchema, VerifyRequestSchema, VerifyResultSchema } from "./receiver-schemas";
import { createEd25519Key, findOrgWebhook, rotateSecret, sentBody } from "./receiver-store";
import { decryptSecret } from "../outbound/secret-box";
import { requireWebhook } from "./routes";
import { verifyDelivery } from "./verify";
import type { AppEnv } from "../kernel/app-env";
import { keyringOf } from "../outbound/secret-box";

const RECEIVERS_TAG = "receivers";

export function receiverRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.use("/webhooks/*", requireApiKey);
  app.use("/projects/*", requireApiKey);
  app.use("/event-types", requireApiKey);
  registerScoped(
    app,
    "/projects/{projectId}/webhooks/{webhookId}",
    z.object({ projectId: IdSchema, webhookId: IdSchema }),
    "project webhooks",
    "ProjectWebhook",
  );
  registerScoped(app, "/webhooks/{webhookId}", z.object({ webhookId: IdSchema }), "organization webhooks", "OrgWebhook");
  registerVerify(app);
  registerEventTypes(app);
  return app;
}

function registerScoped(app: OpenAPIHono<AppEnv>, prefix: string, params: z.ZodObject<{ webhookId: typeof IdSchema }>, tag: string, idSuffix: string) {
  const p = params as z.ZodObject<{ projectId: typeof IdSchema; webhookId: typeof IdSchema }>;
  app.openapi(
    createRoute({
      method: "post",
      path: `${prefix}/rotate-secret`,
      operationId: `rotate${idSuffix}Secret`,
      summary: "Rotate the webhook's secret, the previous one signing beside it for an overlap window",
      tags: [tag],
      request: { params: p, body: { ...jsonBody(RotateSecretSchema), required: false } },
      responses: { 200: jsonAnswer("the new secret, shown only here", RotatedSecretSchema), ...errors(400, 401, 404, 409, 415) },
    }),
    async (c) => {
      const { projectId, webhookId } = c.req.valid("param");
      const input = RotateSecretSchema.parse(c.req.valid("json") ?? {});
      const row = await requireWebhook(c, projectId, webhookId);
      return c.json(await rotateSecret(c.env.DB, keyringOf(readSettings(c.env).secretsKeyring), row, input), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: `${prefix}/ed25519-key`,
      operationId: `create${idSuffix}Ed25519Key`,
      summary: "Give the webhook a new ed25519 key pair: Standard Webhooks v1a signatures from now on",
      tags: [tag],
      request: { params: p },
      responses: { 200: jsonAnswer("the public key", Ed25519KeySchema), ...errors(401, 404) },
    }),
    async (c) => {
      const { projectId, webhookId } = c.req.valid("param");
      const row = await requireWebhook(c, projectId, webhookId);
      return c.json({ public_key: await createEd25519Key(drizzle(c.env.DB), keyringOf(readSettings(c.env).secretsKeyring), row) }, 200);
    },
  );
}

function registerVerify(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    createRoute({
      method: "post",
      path: "/webhooks/verify",
      operationId: "verifyWebhookDelivery",
      summary: "Say why a receiver's signature check fails, given the headers and raw body it got",
      tags: [RECEIVERS_TAG],
      request: { body: jsonBody(VerifyRequestSchema) },
      responses: { 200: jsonAnswer("each check and whether it passed", VerifyResultSchema), ...errors(400, 401, 404, 415) },
    }),
    async (c) => {
      const input = c.req.valid("json");
      const webhook = input.webhook_id ? await findOrgWebhook(drizzle(c.env.DB), c.get("principal").org.id, input.webhook_id) : null;
      if (input.webhook_id && !webhook) throw new AppError("not_found", "no such webhook");
      const keyring = keyringOf(readSettings(c.env).secretsKeyring);
      const deliveryId = Object.entries(input.headers)
        .find(([k]) => ["webhook-id", "x-rollgate-delivery"].includes(k.toLowerCase()))?.[1]
        ?.trim();
      const open = (sealed: string | null) => (sealed === null ? null : decryptSecret(keyring, sealed));
      const [secret, previous] = webhook ? await Promise.all([open(webhook.secret), open(webhook.previousSecret)]) : [null, null];
      const result = await verifyDelivery({
        headers: input.headers,
        body: input.body,
        givenSecret: input.secret ?? null,
        webhook: webhook && {
          secret,
          previousSecret:
            previous !== null && webhook.previousSecretExpiresAt !== null ? { secret: previous, expiresAt: webhook.previousSecretExpiresAt } : null,
          publicKey: webhook.ed25519PublicKey,
        },
        sentBody: webhook ? (deliveryId ? await sentBody(c.env.DB, webhook.id, deliveryId) : null) : undefined,
        now: Date.now(),
      });
      return c.json(result, 200);
    },
  );
}

function registerEventTypes(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    createRoute({
      method: "get",
      path: "/event-types",
      operationId: "listEventTypes",
      summary: "Every event a webhook can receive, with a sample body in each format",
      tags: [RECEIVERS_TAG],
      responses: { 200: jsonAnswer("the event catalog", EventTypeListSchema), ...errors(401) },
    }),
    (c) => c.json({ data: eventTypes(), next_cursor: null }, 200),
  );
}
