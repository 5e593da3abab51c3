// The dashboard: server-rendered pages under /dashboard, served by the same Worker as the API and
// built only on it (every read and write is an in-process call of /api/v1 with the session's key).
// `apiFetch` is the app's own fetch, passed in so this module does not import app.ts.
import { Hono, type Context, type MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ApiFailure, type ApiFetch } from "./shell/api";
import { apiKeyRoutes } from "./keys/api-keys";
import { dashboardAssets } from "./shell/assets";
import { changeLogRoutes } from "./flags/change-log";
import type { DashboardContext, DashboardEnv } from "./shell/context";
import { deliveryRoutes } from "./webhooks/deliveries";
import { environmentRoutes } from "./keys/sdk-keys";
import { endSession, refuse, requireSession, sameOriginWrites, sessionCsrfToken, toSignIn, wantsJson } from "./shell/guard";
import { EmptyState, PageHead, renderPage } from "./shell/layout";
import { flagRoutes } from "./flags/flags";
import { OPERATORS } from "./flags/operators";
import { projectRoutes } from "./flags/projects";
import { revokeSession } from "./shell/revoked-sessions";
import { signInRoutes } from "./shell/sign-in";
import { verifyRoutes } from "./webhooks/verify-debugger";
import { signingRoutes } from "./webhooks/webhook-signing";
import { VALUE_HINTS } from "./flags/variation-form";
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
  app.use("*", async (c, next) => {
    c.set("scriptPath", assets.scriptPath);
    await next();
  });
  app.use("*", bodyLimit({ maxSize: MAX_FORM_BYTES, onError: (c) => c.text("The form is too large.", 413) }));
  app.use("*", sameOriginWrites);
  app.route("/", signInRoutes(apiFetch));

  const signedIn = [requireSession(apiFetch), sessionCsrfToken] as const;
  for (const path of ["/", "/sign-out", "/projects", "/projects/*", "/settings/*"]) app.use(path, ...signedIn);
  app.post("/sign-out", async (c) => {
    await revokeSession(c.env, c.get("session"));
    endSession(c);
    return c.redirect("/dashboard/sign-in?notice=signed-out", 303);
  });
  app.get("/projects", (c) => c.redirect("/dashboard", 301));
  app.get("/settings", (c) => c.redirect("/dashboard/settings/webhooks", 301));
  app.route("/", projectRoutes());
  app.route("/", flagRoutes());
  app.route("/", changeLogRoutes());
  app.route("/", webhookRoutes());
  app.route("/", deliveryRoutes());
  app.route("/", signingRoutes());
  app.route("/", verifyRoutes());
  app.route("/", apiKeyRoutes());
  app.route("/", environmentRoutes()); // a project's revision and its environments' SDK keys
  app.get("/*", (c) => (c.req.path.endsWith("/") ? c.redirect(c.req.path.replace(/\/+$/, "") || "/dashboard", 301) : notFound(c)));
  app.onError((err, c) => renderFailure(err, c as DashboardContext));
  return app;
}

function notFound(c: DashboardContext) {
  const body = (
    <>
      <PageHead title="Not found" />
      <EmptyState title="There is nothing here">
        <p>It may have been deleted, or it belongs to another organization.</p>
        <p>
          <a class="button primary" href="/dashboard">
            Go to your projects
          </a>
        </p>
      </EmptyState>
    </>
  );
  return renderPage(c, "Not found", body, { status: 404 });
}

/** Errors no page handled itself: an ended key signs out, a missing resource is a 404 page. */
function renderFailure(err: Error, c: DashboardContext) {
  if (err instanceof ApiFailure) {
    if (err.status === 401) {
      endSession(c);
      return toSignIn(c, "key-rejected");
    }
    if (err.status === 404) return wantsJson(c) ? c.json({ error: err.message }, 404) : notFound(c);
    if (err.status === 403) return refuse(c as Context, err.message);
  }
  const requestId = err instanceof ApiFailure && err.requestId ? err.requestId : (c.get("requestId") ?? crypto.randomUUID());
  if (!(err instanceof ApiFailure)) console.error("dashboard error", requestId, err);
  const message = err instanceof ApiFailure ? err.message : "Something went wrong on our side.";
  // An API refusal keeps its status (429 stays 429); anything unexpected is ours, a 500.
  const status = err instanceof ApiFailure && err.status >= 400 && err.status < 500 ? (err.status as ContentfulStatusCode) : 500;
  if (wantsJson(c)) return c.json({ error: `${message} (request ${requestId})` }, status);
  const body = (
    <>
      <PageHead title="Something went wrong" />
      <EmptyState title={message}>
        <p>
          Try again in a moment. If it keeps happening, quote request <code>{requestId}</code>.
        </p>
        <p>
          <a href="/dashboard">Back to your projects</a>
        </p>
      </EmptyState>
    </>
  );
  return renderPage(c, "Something went wrong", body, { status });
}
