// The Hono app: request ids, body rules, one error shape, the routers, and the API's own description.
import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import { adminRoutes, meRoutes } from "./auth/routes";
import type { AppEnv } from "./auth/middleware";
import { renderDocsPage } from "./docs";
import { FLAGPOST_VERSION } from "./env";
import { AppError, errorBody } from "./errors";
import { eventRoutes } from "./events/routes";
import { flagRoutes } from "./flags/routes";
import { projectRoutes } from "./projects/routes";
import { validationHook } from "./validation";
import { webhookRoutes } from "./webhooks/routes";

export const MAX_BODY_BYTES = 128 * 1024;

export function createApp() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.use("*", async (c, next) => {
    c.set("requestId", c.req.header("cf-ray") ?? crypto.randomUUID());
    await next();
    c.header("X-Request-Id", c.get("requestId"));
  });
  app.use("/api/*", bodyLimit({ maxSize: MAX_BODY_BYTES, onError: () => { throw new AppError("payload_too_large", `request bodies are limited to ${MAX_BODY_BYTES} bytes`); } }));
  app.use("/api/*", jsonBodies);

  const api = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  api.route("/admin", adminRoutes());
  api.route("/", meRoutes());
  api.route("/", projectRoutes());
  api.route("/", flagRoutes());
  api.route("/", eventRoutes());
  api.route("/", webhookRoutes());
  api.openAPIRegistry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer" });
  api.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: { title: "Flagpost API", version: FLAGPOST_VERSION, description: "Feature flags whose every change is delivered as signed webhooks." },
    servers: [{ url: "/api/v1" }],
    security: [{ bearer: [] }],
  });
  app.route("/api/v1", api);

  app.get("/docs", (c) => c.html(renderDocsPage("/api/v1/openapi.json")));
  app.get("/openapi.json", (c) => c.redirect("/api/v1/openapi.json"));
  app.notFound((c) => c.json(errorBody("not_found", `no route for ${c.req.method} ${new URL(c.req.url).pathname}`, c.get("requestId") ?? crypto.randomUUID()), 404));
  app.onError((err, c) => renderError(err, c));
  return app;
}

/** Writes with a body must say it is JSON and be JSON; a POST with no body (…/test) needs neither. */
async function jsonBodies(c: Context<AppEnv>, next: () => Promise<void>) {
  if (!["POST", "PUT", "PATCH"].includes(c.req.method)) return next();
  const length = c.req.header("content-length");
  const hasBody = (length !== undefined && length !== "0") || c.req.header("transfer-encoding") !== undefined;
  if (!hasBody) return next();
  const type = c.req.header("content-type") ?? "";
  if (!/^application\/([a-z.+-]+\+)?json\s*(;|$)/i.test(type)) throw new AppError("unsupported_media_type", "send the body as application/json");
  try {
    await c.req.json();
  } catch (err) {
    if (err instanceof AppError || err instanceof HTTPException) throw err;
    throw new AppError("invalid_json", "the body is not valid JSON");
  }
  return next();
}

function renderError(err: Error, c: Context<AppEnv>) {
  const requestId = c.get("requestId") ?? crypto.randomUUID();
  if (err instanceof AppError) {
    for (const [k, v] of Object.entries(err.headers ?? {})) c.header(k, v);
    return c.json(errorBody(err.code, err.message, requestId, err.details), err.status);
  }
  if (err instanceof HTTPException && err.status === 400) return c.json(errorBody("invalid_json", "the body is not valid JSON", requestId), 400);
  console.error("unhandled error", requestId, err);
  return c.json(errorBody("internal", "something went wrong; quote the request id when reporting it", requestId), 500);
}

export const app = createApp();
