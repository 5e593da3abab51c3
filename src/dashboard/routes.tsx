// The dashboard: server-rendered pages under /dashboard, served by the same Worker as the API and
// built only on it (every read and write is an in-process call of /api/v1 with the session's key).
// `apiFetch` is the app's own fetch, passed in so this module does not import app.ts.
//
// This router is the one place that knows every area: shell/ (frame, session, sign-in, guard, the
// API client), flags/, webhooks/ and keys/. Areas build on the shell and never on this file.
import { Hono, type MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { changeLogRoutes } from "./flags/change-log";
import { requestRoutes } from "./flags/requests";
import { revertRoutes } from "./flags/revert-page";
import { flagRoutes } from "./flags/flags";
import { OPERATORS } from "./flags/operators";
import { projectRoutes } from "./flags/projects";
import { revisionRoutes } from "./flags/revision-page";
import { VALUE_HINTS } from "./flags/variation-form";
import { apiKeyRoutes } from "./keys/api-keys";
import { sdkKeyRoutes } from "./keys/sdk-keys";
import type { ApiFetch } from "./shell/api";
import { dashboardAssets } from "./shell/assets";
import type { DashboardContext, DashboardEnv } from "./shell/context";
import { notFound, renderFailure } from "./shell/failure";
import { requireSession, sameOriginWrites, sessionCsrfToken } from "./shell/guard";
import { signInRoutes, signOut } from "./shell/sign-in";
import { deliveryRoutes } from "./webhooks/deliveries";
import { verifyRoutes } from "./webhooks/verify-debugger";
import { signingRoutes } from "./webhooks/webhook-signing";
import { webhookRoutes } from "./webhooks/webhooks";

const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join("; ");

const MAX_FORM_BYTES = 64 * 1024;

/** Pages hold organization data: never framed, never cached, never sniffed. */
const pageHeaders: MiddlewareHandler = async (c, next) => {
  await next();
  c.header("Content-Security-Policy", CONTENT_SECURITY_POLICY);
  c.header("X-Frame-Options", "DENY");
  c.header("X-Content-Type-Options", "nosniff");
  c.header("Referrer-Policy", "same-origin");
  if (!c.res.headers.has("cache-control")) c.header("Cache-Control", "no-store");
};

export function dashboardRoutes(apiFetch: ApiFetch) {
  const app = new Hono<DashboardEnv>();
  // The page script carries the flag editors' tables; every page links it by its content's name.
  const assets = dashboardAssets({ operators: OPERATORS, valueHints: VALUE_HINTS });
  app.use("*", pageHeaders);
  app.route("/assets", assets.routes);
  app.use("*", linkScript(assets.scriptPath));
  app.use("*", bodyLimit({ maxSize: MAX_FORM_BYTES, onError: formTooLarge }));
  app.use("*", sameOriginWrites);
  app.route("/", signInRoutes(apiFetch));

  const signedIn = [requireSession(apiFetch), sessionCsrfToken] as const;
  for (const path of ["/", "/sign-out", "/projects", "/projects/*", "/settings/*"]) app.use(path, ...signedIn);
  app.post("/sign-out", signOut);
  app.get("/projects", toProjects);
  app.get("/settings", toWebhookSettings);
  app.route("/", projectRoutes());
  app.route("/", flagRoutes());
  app.route("/", changeLogRoutes());
  app.route("/", requestRoutes());
  app.route("/", revisionRoutes());
  app.route("/", revertRoutes());
  app.route("/", webhookRoutes());
  app.route("/", deliveryRoutes());
  app.route("/", signingRoutes());
  app.route("/", verifyRoutes());
  app.route("/", apiKeyRoutes());
  app.route("/", sdkKeyRoutes()); // a project's revision and its environments' SDK keys
  app.get("/*", withoutTrailingSlash);
  app.onError((err, c) => renderFailure(err, c as DashboardContext));
  return app;
}

/** Every page links the script by the name of its current content. */
function linkScript(scriptPath: string): MiddlewareHandler<DashboardEnv> {
  return async (c, next) => {
    c.set("scriptPath", scriptPath);
    await next();
  };
}

function formTooLarge(c: DashboardContext) {
  return c.text("The form is too large.", 413);
}

function toProjects(c: DashboardContext) {
  return c.redirect("/dashboard", 301);
}

function toWebhookSettings(c: DashboardContext) {
  return c.redirect("/dashboard/settings/webhooks", 301);
}

/** `/dashboard/projects/` is `/dashboard/projects`; any other unknown address is the not-found page. */
function withoutTrailingSlash(c: DashboardContext) {
  if (!c.req.path.endsWith("/")) return notFound(c);
  return c.redirect(c.req.path.replace(/\/+$/, "") || "/dashboard", 301);
}
