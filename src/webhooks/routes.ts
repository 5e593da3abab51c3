// Webhooks of a project (/projects/{projectId}/webhooks) and of the organization (/webhooks): the
// same routes under two scopes, with their deliveries, redelivery, recovery, stats and the test call.
import { CHANGE_REQUEST_EVENTS, CHANGE_REQUEST_FORMATS } from "../outbound/formats/change-request";
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { drizzle } from "drizzle-orm/d1";
import { errors, jsonAnswer, jsonBody } from "../kernel/openapi";
import { requireApiKey } from "../auth/middleware";
import { readSettings } from "../kernel/env";
import { AppError } from "../kernel/errors";
import { recover, redeliver, sendTestDelivery } from "../deliveries/manual";
import { webhookStats } from "../deliveries/stats";
import { cursorOrThrow } from "../kernel/route-helpers";
import { encodeCursor, IdSchema, pageOf } from "../kernel/schemas";
import { validationHook } from "../kernel/validation";
import {
  CreateWebhookSchema,
  DeliveryDetailSchema,
  DeliveryQuerySchema,
  DeliverySchema,
  RecoverResultSchema,
  RecoverSchema,
  STATS_WINDOWS,
  StatsQuerySchema,
  TestResultSchema,
  UpdateWebhookSchema,
  WebhookSchema,
  WebhookStatsSchema,
} from "./schemas";
import {
  createWebhook,
  deleteWebhook,
  deliveryAttempts,
  findDelivery,
  findWebhookRow,
  listDeliveriesOfWebhook,
  listWebhooks,
  toDelivery,
  toWebhook,
  updateWebhook,
  type WebhookScope,
} from "./store";
import { checkHeaderLimits, MAX_WEBHOOKS_PER_SCOPE, scopeLimitExceeded } from "./limits";
import { checkWebhookUrl } from "../outbound/url-guard";
import type { AppEnv } from "../kernel/app-env";
import { requireProject } from "../kernel/project-scope";
import { keyringOf } from "../outbound/secret-box";

interface ScopeSpec {
  prefix: string;
  params: z.ZodObject<{ projectId: typeof IdSchema }> | z.ZodObject<Record<string, never>>;
  tag: string;
  /** The scope's word inside operationIds (`createProjectWebhook`, `createOrgWebhook`), which must differ per scope. */
  idWord: "Project" | "Org";
  /** The scope in summaries: "a project's" or "the organization's". */
  whose: string;
}

export function webhookRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.use("/webhooks", requireApiKey);
  app.use("/webhooks/*", requireApiKey);
  app.use("/projects/*", requireApiKey);
  register(app, {
    prefix: "/projects/{projectId}/webhooks",
    params: z.object({ projectId: IdSchema }),
    tag: "project webhooks",
    idWord: "Project",
    whose: "a project's",
  });
  register(app, { prefix: "/webhooks", params: z.object({}), tag: "organization webhooks", idWord: "Org", whose: "the organization's" });
  return app;
}

interface ScopedProject {
  id: string;
  key: string;
  name: string;
}

async function scopeOf(c: Context<AppEnv>, projectId: string | undefined): Promise<WebhookScope & { project: ScopedProject | null }> {
  const orgId = c.get("principal").org.id;
  if (projectId === undefined) return { orgId, projectId: null, project: null };
  const project = await requireProject(c.env, orgId, projectId);
  return { orgId, projectId, project };
}

/** A sentry body has no way to say that a webhook was disabled: such a webhook may not subscribe to it. */
function checkNoticeFormat(format: string, events: readonly string[]): void {
  if (format === "sentry" && events.includes("webhook.disabled"))
    throw new AppError("unprocessable", "a sentry webhook cannot receive webhook.disabled notices", [
      { field: "events", message: "webhook.disabled is not sent in the sentry format" },
    ]);
  // Change request notices are sent in the rollgate and slack formats only.
  const requests = events.filter((e) => (CHANGE_REQUEST_EVENTS as readonly string[]).includes(e));
  if (requests.length && !(CHANGE_REQUEST_FORMATS as readonly string[]).includes(format))
    throw new AppError("unprocessable", `a ${format} webhook cannot receive change request notices`, [
      { field: "events", message: `${requests.join(", ")} ${requests.length > 1 ? "are" : "is"} sent in the rollgate and slack formats only` },
    ]);
}

/** The URL as it is stored and shown: its normalized form, once it passed the guard. */
function checkUrl(c: Context<AppEnv>, url: string): string {
  const settings = readSettings(c.env);
  const ownHosts = [new URL(c.req.url).host, ...settings.publicHosts];
  const check = checkWebhookUrl(url, { allowInsecure: settings.allowInsecureUrls, ownHosts });
  if (!check.ok) throw new AppError("validation_failed", "request validation failed", [{ field: "url", message: check.reason }]);
  return check.url.href;
}

/**
 * The webhook in its scope, in one D1 call: a project's webhook is found only under its own
 * organization's project, so a row found says the project is the caller's. A miss asks whether the
 * project is, so that another organization's project is "no such project", as on every route.
 */
export async function requireWebhook(c: Context<AppEnv>, projectId: string | undefined, webhookId: string) {
  const row = await findWebhookRow(drizzle(c.env.DB), callersScope(c, projectId), webhookId);
  if (row) return row;
  throw await missingWebhook(c, projectId);
}

/** The caller's organization, or its project of that id: where a webhook is looked for, unchecked. */
function callersScope(c: Context<AppEnv>, projectId: string | undefined): WebhookScope {
  return { orgId: c.get("principal").org.id, projectId: projectId ?? null };
}

/** Why a webhook was not found in its scope: no such project (another organization's, too), or no such webhook. */
async function missingWebhook(c: Context<AppEnv>, projectId: string | undefined): Promise<AppError> {
  await scopeOf(c, projectId);
  return new AppError("not_found", "no such webhook");
}

function register(app: OpenAPIHono<AppEnv>, spec: ScopeSpec) {
  const { prefix, tag, idWord, whose } = spec;
  const params = spec.params as z.ZodObject<{ projectId: typeof IdSchema }>;
  const hookParams = params.extend({ webhookId: IdSchema });
  const deliveryParams = hookParams.extend({ deliveryId: IdSchema });
  const route = <R extends Parameters<typeof createRoute>[0]>(r: R) => createRoute({ ...r, tags: [tag] });
  const id = (verb: string, noun = "Webhook") => `${verb}${idWord}${noun}`;

  app.openapi(
    route({
      method: "post",
      path: prefix,
      operationId: id("create"),
      summary: `Create one of ${whose} webhooks`,
      request: { params, body: jsonBody(CreateWebhookSchema) },
      responses: { 201: jsonAnswer("created", WebhookSchema), ...errors(400, 401, 404, 415, 422) },
    }),
    async (c) => {
      const input = c.req.valid("json");
      input.url = checkUrl(c, input.url);
      checkNoticeFormat(input.format, input.events);
      checkHeaderLimits(input.headers);
      const scope = await scopeOf(c, c.req.valid("param").projectId);
      const created = await createWebhook(drizzle(c.env.DB), keyringOf(readSettings(c.env).secretsKeyring), scope, input, MAX_WEBHOOKS_PER_SCOPE);
      if (!created) throw scopeLimitExceeded(scope.projectId !== null);
      return c.json(created, 201);
    },
  );

  app.openapi(
    route({
      method: "get",
      path: prefix,
      operationId: id("list", "Webhooks"),
      summary: `List ${whose} webhooks`,
      request: { params, query: DeliveryQuerySchema.pick({ cursor: true, limit: true }) },
      responses: { 200: jsonAnswer("webhooks, newest first", pageOf(WebhookSchema, "WebhookPage")), ...errors(400, 401, 404) },
    }),
    async (c) => {
      const { cursor, limit } = c.req.valid("query");
      const page = await listWebhooks(drizzle(c.env.DB), await scopeOf(c, c.req.valid("param").projectId), cursorOrThrow(cursor), limit);
      return c.json({ data: page.webhooks, next_cursor: page.last === null ? null : encodeCursor(page.last) }, 200);
    },
  );

  app.openapi(
    route({
      method: "get",
      path: `${prefix}/{webhookId}`,
      operationId: id("get"),
      summary: `Read one of ${whose} webhooks`,
      request: { params: hookParams },
      responses: { 200: jsonAnswer("the webhook", WebhookSchema), ...errors(401, 404) },
    }),
    async (c) => {
      const { projectId, webhookId } = c.req.valid("param");
      const row = await requireWebhook(c, projectId, webhookId);
      return c.json(toWebhook(row), 200);
    },
  );

  app.openapi(
    route({
      method: "patch",
      path: `${prefix}/{webhookId}`,
      operationId: id("update"),
      summary: `Update one of ${whose} webhooks`,
      request: { params: hookParams, body: jsonBody(UpdateWebhookSchema) },
      responses: { 200: jsonAnswer("the whole updated webhook", WebhookSchema), ...errors(400, 401, 404, 415, 422) },
    }),
    async (c) => {
      const { projectId, webhookId } = c.req.valid("param");
      const patch = c.req.valid("json");
      if (patch.url !== undefined) patch.url = checkUrl(c, patch.url);
      if (patch.headers !== undefined) checkHeaderLimits(patch.headers);
      const row = await requireWebhook(c, projectId, webhookId);
      checkNoticeFormat(patch.format ?? row.format, patch.events ?? row.events);
      return c.json(await updateWebhook(c.env, drizzle(c.env.DB), keyringOf(readSettings(c.env).secretsKeyring), row, patch), 200);
    },
  );

  app.openapi(
    route({
      method: "delete",
      path: `${prefix}/{webhookId}`,
      operationId: id("delete"),
      summary: `Delete one of ${whose} webhooks with its delivery history`,
      request: { params: hookParams },
      responses: { 204: { description: "deleted, with its delivery history" }, ...errors(401, 404) },
    }),
    async (c) => {
      const { projectId, webhookId } = c.req.valid("param");
      const row = await requireWebhook(c, projectId, webhookId);
      await deleteWebhook(c.env.DB, row.id);
      return c.body(null, 204);
    },
  );

  app.openapi(
    route({
      method: "post",
      path: `${prefix}/{webhookId}/test`,
      operationId: id("test"),
      summary: "Send one signed webhook.test request now",
      request: { params: hookParams },
      responses: { 200: jsonAnswer("the outcome of the one request", TestResultSchema), ...errors(401, 404) },
    }),
    async (c) => {
      const { projectId, webhookId } = c.req.valid("param");
      const row = await requireWebhook(c, projectId, webhookId);
      const { project } = await scopeOf(c, projectId);
      return c.json(await sendTestDelivery(c.env, { webhook: row, project, actor: c.get("principal").user }), 200);
    },
  );

  app.openapi(
    route({
      method: "get",
      path: `${prefix}/{webhookId}/deliveries`,
      operationId: id("list", "WebhookDeliveries"),
      summary: "List the webhook's deliveries, newest first",
      request: { params: hookParams, query: DeliveryQuerySchema },
      responses: { 200: jsonAnswer("deliveries, newest first", pageOf(DeliverySchema, "DeliveryPage")), ...errors(400, 401, 404) },
    }),
    async (c) => {
      const { projectId, webhookId } = c.req.valid("param");
      const { cursor, limit, status, event } = c.req.valid("query");
      const page = await listDeliveriesOfWebhook(drizzle(c.env.DB), callersScope(c, projectId), webhookId, { status, event }, cursorOrThrow(cursor), limit);
      // Not found in its scope: the same answer as every route of a missing webhook (or project).
      if (!page) throw await missingWebhook(c, projectId);
      return c.json({ data: page.deliveries, next_cursor: page.last === null ? null : encodeCursor(page.last) }, 200);
    },
  );

  app.openapi(
    route({
      method: "get",
      path: `${prefix}/{webhookId}/deliveries/{deliveryId}`,
      operationId: id("get", "WebhookDelivery"),
      summary: "Read one delivery with every attempt",
      request: { params: deliveryParams },
      responses: { 200: jsonAnswer("the delivery with every attempt", DeliveryDetailSchema), ...errors(401, 404) },
    }),
    async (c) => {
      const { projectId, webhookId, deliveryId } = c.req.valid("param");
      const row = await requireWebhook(c, projectId, webhookId);
      const delivery = await findDelivery(drizzle(c.env.DB), row.id, deliveryId);
      if (!delivery) throw new AppError("not_found", "no such delivery");
      return c.json({ ...toDelivery(delivery), attempts: await deliveryAttempts(c.env.DB, delivery) }, 200);
    },
  );

  app.openapi(
    route({
      method: "post",
      path: `${prefix}/{webhookId}/deliveries/{deliveryId}/redeliver`,
      operationId: id("redeliver", "WebhookDelivery"),
      summary: "One more attempt of the same delivery, now: final for a finished delivery, while a pending one keeps its schedule",
      request: { params: deliveryParams },
      responses: { 202: jsonAnswer("accepted: the attempt is on its way, whatever the webhook's circuit", DeliverySchema), ...errors(401, 404, 409) },
    }),
    async (c) => {
      const { projectId, webhookId, deliveryId } = c.req.valid("param");
      const row = await requireWebhook(c, projectId, webhookId);
      await redeliver(c.env, row.id, deliveryId);
      const delivery = await findDelivery(drizzle(c.env.DB), row.id, deliveryId);
      if (!delivery) throw new AppError("not_found", "no such delivery");
      return c.json(toDelivery(delivery), 202);
    },
  );

  app.openapi(
    route({
      method: "get",
      path: `${prefix}/{webhookId}/stats`,
      operationId: id("get", "WebhookStats"),
      summary: "Attempts, success rate and latency of the webhook over a window",
      request: { params: hookParams, query: StatsQuerySchema },
      responses: { 200: jsonAnswer("the figures, counted in attempts", WebhookStatsSchema), ...errors(400, 401, 404) },
    }),
    async (c) => {
      const { projectId, webhookId } = c.req.valid("param");
      const { window } = c.req.valid("query");
      const row = await requireWebhook(c, projectId, webhookId);
      return c.json(await webhookStats(c.env.DB, row.id, window, STATS_WINDOWS[window]), 200);
    },
  );

  app.openapi(
    route({
      method: "post",
      path: `${prefix}/{webhookId}/recover`,
      operationId: id("recover", "WebhookDeliveries"),
      summary: "One more attempt of up to 1,000 failed deliveries created since a moment, oldest first",
      request: { params: hookParams, body: jsonBody(RecoverSchema) },
      responses: {
        202: jsonAnswer("how many deliveries get another attempt, and whether more are left", RecoverResultSchema),
        ...errors(400, 401, 404, 409, 415),
      },
    }),
    async (c) => {
      const { projectId, webhookId } = c.req.valid("param");
      const { since } = c.req.valid("json");
      const row = await requireWebhook(c, projectId, webhookId);
      return c.json(await recover(c.env, row.id, Date.parse(since)), 202);
    },
  );
}
