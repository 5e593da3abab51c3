// The Hono app: request ids, body rules, one error shape, the routers, and the API's own description.
import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import { adminRoutes, meRoutes } from "./auth/routes";
import { d1Sessions } from "./kernel/db/sessions";
import { dashboardRoutes } from "./dashboard/routes";
import { renderDocsPage } from "./docs";
import { FLAGPOST_VERSION } from "./kernel/env";
import { AppError, ERROR_STATUS, errorBody, type ErrorCode } from "./kernel/errors";
import { revertRoutes } from "./projects/revert-routes";
import { eventRoutes } from "./events/routes";
import { scheduleRoutes } from "./projects/schedule-routes";
import { changeRequestRoutes } from "./projects/change-request-routes";
import { previewRoutes } from "./projects/preview-routes";
import { flagRoutes } from "./projects/flag-routes";
import { API_TAGS, withCommonAnswers } from "./kernel/openapi";
import { projectRoutes } from "./projects/routes";
import { sdkKeyRoutes } from "./sdk-keys/routes";
import { ofrepRoutes } from "./serve/ofrep";
import { propagationRoutes } from "./serve/propagation-routes";
import { MAX_EVALUATION_BODY_BYTES } from "./serve/request";
import { describeServeRoutes } from "./serve/openapi";
import { tgglRoutes } from "./serve/tggl";
import { parseJsonBody, validationHook } from "./kernel/validation";
import { receiverRoutes } from "./webhooks/receiver-routes";
import { webhookRoutes } from "./webhooks/routes";
import type { AppEnv } from "./kernel/app-env";

export const MAX_BODY_BYTES = 128 * 1024;

const HTTP_EXCEPTION_CODES: Record<number, ErrorCode | undefined> = {
  400: "invalid_json",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  413: "payload_too_large",
  415: "unsupported_media_type",
};
const HTTP_EXCEPTION_MESSAGES: Partial<Record<ErrorCode, string>> = {
  invalid_json: "the body is not valid JSON",
  payload_too_large: `request bodies are limited to ${MAX_BODY_BYTES} bytes`,
  unsupported_media_type: "send the body as application/json",
};

/** Routes served under /api/v1 beside the API's own: none deployed; the fault runner's entry adds its own. */
export interface ExtraApiRoutes {
  path: string;
  routes: Hono<AppEnv>;
}

export function createApp(extraApiRoutes: ExtraApiRoutes[] = []) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.use("*", async (c, next) => {
    c.set("requestId", c.req.header("cf-ray") ?? crypto.randomUUID());
    await next();
    c.header("X-Request-Id", c.get("requestId"));
  });
  app.use("*", refuseOwnWebhooks);
  app.use("/api/*", refuseUnknownDryRuns);
  app.use("/api/*", limitBodies);
  app.use("/api/*", jsonBodies);
  app.use("/api/*", d1Sessions);

  const api = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  api.route("/admin", adminRoutes());
  api.route("/", meRoutes());
  api.route("/", projectRoutes());
  api.route("/", flagRoutes());
  api.route("/", previewRoutes());
  api.route("/", scheduleRoutes());
  api.route("/", changeRequestRoutes());
  api.route("/", eventRoutes());
  api.route("/", revertRoutes());
  api.route("/", webhookRoutes());
  api.route("/", receiverRoutes());
  api.route("/", sdkKeyRoutes());
  api.route("/", propagationRoutes());
  for (const extra of extraApiRoutes) api.route(extra.path, extra.routes); // none deployed: test/faults/worker.ts adds its own
  api.openAPIRegistry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer" });
  describeServeRoutes(api.openAPIRegistry); // served at the root, below: each operation names its server
  let document: object | undefined; // the same for every request: built once per isolate
  api.get("/openapi.json", (c) => {
    document ??= withCommonAnswers(
      api.getOpenAPI31Document({
        openapi: "3.1.0",
        info: { title: "Flagpost API", version: FLAGPOST_VERSION, description: "Feature flags whose every change is delivered as signed webhooks." },
        servers: [{ url: "/api/v1" }],
        security: [{ bearer: [] }],
        tags: API_TAGS,
      }),
    );
    return c.json(document);
  });
  app.route("/api/v1", api);
  app.route("/dashboard", dashboardRoutes(app.fetch));
  app.route("/ofrep/v1", ofrepRoutes());
  app.route("/tggl", tgglRoutes());

  app.get("/", (c) => c.redirect("/dashboard"));
  app.get("/docs", (c) => c.html(renderDocsPage("/api/v1/openapi.json")));
  app.get("/openapi.json", (c) => c.redirect("/api/v1/openapi.json"));
  app.notFound((c) =>
    c.json(errorBody("not_found", `no route for ${c.req.method} ${new URL(c.req.url).pathname}`, c.get("requestId") ?? crypto.randomUUID()), 404),
  );
  app.onError((err, c) => renderError(err, c));
  return app;
}

const bodyLimitOf = (maxSize: number) =>
  bodyLimit({
    maxSize,
    onError: () => {
      throw new AppError("payload_too_large", `request bodies are limited to ${maxSize} bytes`);
    },
  });
const apiBodyLimit = bodyLimitOf(MAX_BODY_BYTES);
const previewBodyLimit = bodyLimitOf(MAX_EVALUATION_BODY_BYTES);
const PREVIEW_PATH = /^\/api\/v1\/projects\/[^/]+\/flags\/[^/]+\/environments\/[^/]+\/preview$/;

/** Bodies are limited to 128 KiB, but the what-if preview carries contexts as the evaluation routes do: 1 MiB. */
function limitBodies(c: Context<AppEnv>, next: () => Promise<void>) {
  return (PREVIEW_PATH.test(c.req.path) ? previewBodyLimit : apiBodyLimit)(c, next);
}

/**
 * The content types whose bodies the routes' validators read as JSON. It is the same rule as
 * @hono/zod-openapi's media-type gate: a looser one here lets a body through that the gate then
 * refuses, and a type this accepts but the validator does not read would turn the body into `{}`.
 */
const JSON_CONTENT_TYPE = /^application\/([a-z-.]+\+)?json(;\s*[a-zA-Z0-9-]+=([^;]+))*$/i;

/**
 * Writes with a body must say it is JSON and be JSON; a POST with no body (…/test) needs neither.
 * The body is read here once, by parseJsonBody (UTF-8, depth, syntax), and the routes' validators
 * get that value: no route reads a body this did not check. A body may come without a length (the
 * dashboard's in-process calls, chunked uploads), so the bytes decide, not the headers.
 */
async function jsonBodies(c: Context<AppEnv>, next: () => Promise<void>) {
  if (!["POST", "PUT", "PATCH"].includes(c.req.method)) return next();
  if (c.req.header("content-length") === "0" || c.req.raw.body === null) return next();
  let bytes: ArrayBuffer;
  try {
    bytes = await c.req.arrayBuffer();
  } catch (err) {
    if (err instanceof AppError || err instanceof HTTPException) throw err;
    throw new AppError("invalid_json", "the body could not be read");
  }
  if (bytes.byteLength === 0) return next();
  if (!JSON_CONTENT_TYPE.test(c.req.header("content-type") ?? "")) throw new AppError("unsupported_media_type", "send the body as application/json");
  const value = parseJsonBody(bytes);
  c.req.bodyCache.json = Promise.resolve(value);
  return next();
}

/**
 * The writes that have a dry run (`?dry_run=true`): flag create, PATCH and DELETE, and the state
 * PATCH; and a revision's revert. Method and path, under /api/v1.
 */
const DRY_RUN_WRITES: [method: string, path: RegExp][] = [
  ["POST", /^\/projects\/[^/]+\/flags$/],
  ["PATCH", /^\/projects\/[^/]+\/flags\/[^/]+$/],
  ["DELETE", /^\/projects\/[^/]+\/flags\/[^/]+$/],
  ["PATCH", /^\/projects\/[^/]+\/flags\/[^/]+\/environments\/[^/]+$/],
  ["POST", /^\/projects\/[^/]+\/revisions\/[^/]+\/revert$/],
];

/**
 * `dry_run` (any value) on a write that has no dry run is a 400, before anything runs: ignored, it
 * would let a caller believe nothing was stored when the write was made (CONTRACT.md v1.2).
 */
async function refuseUnknownDryRuns(c: Context<AppEnv>, next: () => Promise<void>) {
  const method = c.req.method;
  if (method === "GET" || method === "HEAD" || method === "OPTIONS" || !c.req.url.includes("dry_run")) return next();
  if (!new URL(c.req.url).searchParams.has("dry_run")) return next();
  const path = c.req.path.replace(/^\/api\/v1/, "").replace(/\/$/, "");
  if (DRY_RUN_WRITES.some(([m, p]) => m === method && p.test(path))) return next();
  const message = `${method} ${path} has no dry run; only flag writes (create, PATCH, DELETE, state PATCH) do. Remove dry_run to make this write.`;
  throw new AppError("validation_failed", "request validation failed", [{ field: "dry_run", message }]);
}

/**
 * A request that carries Flagpost's webhook User-Agent is one of Flagpost's own deliveries: refused
 * on every route, so no webhook (whatever its URL resolves to) can drive Flagpost into a loop.
 */
async function refuseOwnWebhooks(c: Context<AppEnv>, next: () => Promise<void>) {
  if (/^flagpost-webhooks\//i.test(c.req.header("user-agent") ?? ""))
    throw new AppError("webhook_loop", "requests from Flagpost's webhooks are not accepted: a webhook may not call Flagpost");
  return next();
}

function renderError(err: Error, c: Context<AppEnv>) {
  const requestId = c.get("requestId") ?? crypto.randomUUID();
  if (err instanceof AppError) {
    for (const [k, v] of Object.entries(err.headers ?? {})) c.header(k, v);
    return c.json(errorBody(err.code, err.message, requestId, err.details), err.status);
  }
  // The framework's own refusals (the validators' malformed JSON, the media-type gate) keep their status.
  const code = err instanceof HTTPException ? HTTP_EXCEPTION_CODES[err.status] : undefined;
  if (code) return c.json(errorBody(code, HTTP_EXCEPTION_MESSAGES[code] ?? err.message, requestId), ERROR_STATUS[code]);
  console.error("unhandled error", requestId, err);
  return c.json(errorBody("internal", "something went wrong; quote the request id when reporting it", requestId), 500);
}

export const app = createApp();
