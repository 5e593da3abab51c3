// Who may use a dashboard page, and which form posts are believed.
//
// - The session lives in an HttpOnly, Secure, SameSite=Lax cookie (see session.ts for its contents).
//   Over https it carries the __Host- prefix, which also stops a sibling subdomain from planting one.
// - A state-changing request must come from a dashboard page: the browser's Sec-Fetch-Site and Origin
//   must name this origin when it sends them, and the form must carry the CSRF token derived from the
//   session (or, for signing in, from a nonce cookie: login CSRF would sign a victim into an attacker's
//   organization). Lax already keeps the cookie off cross-site posts; the token covers what it cannot
//   (same-site subdomains, older browsers).
import type { Context, MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { BOOKMARK_SHAPE } from "../../kernel/db/sessions";
import { ApiFailure, apiFor, type ApiFetch } from "./api";
import { STYLE_PATH } from "./assets";
import type { DashboardEnv } from "./context";
import { formOf, textField } from "./context";
import type { Me } from "./resources";
import { isSessionRevoked } from "./revoked-sessions";
import { csrfToken, isCsrfToken, openSession, sealSession, SESSION_TTL_SECONDS, SIGN_IN_NONCE_TTL_SECONDS } from "./session";

const isHttps = (c: Context) => new URL(c.req.url).protocol === "https:";
export const sessionCookie = (c: Context) => (isHttps(c) ? "__Host-flagpost_session" : "flagpost_session");
export const signInCookie = (c: Context) => (isHttps(c) ? "__Host-flagpost_sign_in" : "flagpost_sign_in");
const bookmarkCookie = (c: Context) => (isHttps(c) ? "__Host-flagpost_bookmark" : "flagpost_bookmark");
/** The one-time tokens of forms this browser has sent (once.tsx). */
export const onceCookie = (c: Context) => (isHttps(c) ? "__Host-flagpost_once" : "flagpost_once");
// Long enough to cover a form's redirect and the page it lands on; D1 replicas catch up within it.
const BOOKMARK_TTL_SECONDS = 60;

// Chromium keeps Secure cookies on http://localhost and http://127.0.0.1 (secure contexts), so a local
// run works over plain http; a browser that drops them is told so when it signs in.
export const COOKIE = { httpOnly: true, secure: true, sameSite: "Lax", path: "/" } as const;

export async function startSession(c: Context<DashboardEnv>, apiKey: string): Promise<void> {
  setCookie(c, sessionCookie(c), await sealSession(c.env, apiKey), { ...COOKIE, maxAge: SESSION_TTL_SECONDS });
  deleteCookie(c, signInCookie(c), COOKIE);
}

export function endSession(c: Context): void {
  deleteCookie(c, sessionCookie(c), COOKIE);
}

export function setSignInNonce(c: Context, nonce: string): void {
  setCookie(c, signInCookie(c), nonce, { ...COOKIE, sameSite: "Strict", maxAge: SIGN_IN_NONCE_TTL_SECONDS });
}

export const readSignInNonce = (c: Context) => getCookie(c, signInCookie(c));

/** Opens the session, checks its key still works, and hands pages an API client acting as its user. */
export function requireSession(apiFetch: ApiFetch): MiddlewareHandler<DashboardEnv> {
  return async (c, next) => {
    const cookie = getCookie(c, sessionCookie(c));
    const opened = await openSession(c.env, cookie);
    const session = opened && !(await isSessionRevoked(c.env, opened)) ? opened : null;
    if (!session) {
      if (cookie) endSession(c);
      return toSignIn(c, cookie ? "session-ended" : undefined);
    }
    const bookmark = getCookie(c, bookmarkCookie(c));
    const api = apiFor(apiFetch, c, session.apiKey, bookmark && BOOKMARK_SHAPE.test(bookmark) ? bookmark : undefined);
    let me: Me;
    try {
      me = await api.get<Me>("/me");
    } catch (err) {
      if (!(err instanceof ApiFailure) || (err.status !== 401 && err.status !== 403)) throw err;
      endSession(c);
      return toSignIn(c, "key-rejected");
    }
    c.set("session", session);
    c.set("api", api);
    c.set("me", me);
    c.set("csrf", await csrfToken(c.env, "session", session.id));
    await next();
    // After a write, the page the browser is sent to next reads at least what was written.
    if (c.req.method === "POST" && api.bookmark() && api.bookmark() !== bookmark) {
      setCookie(c, bookmarkCookie(c), api.bookmark() as string, { ...COOKIE, maxAge: BOOKMARK_TTL_SECONDS });
    }
  };
}

/** Back to the sign-in page; a page that was asked for by GET is returned to after signing in. */
export function toSignIn(c: Context, notice?: string) {
  const params = new URLSearchParams();
  if (notice) params.set("notice", notice);
  const url = new URL(c.req.url);
  if (c.req.method === "GET" && url.pathname !== "/dashboard") params.set("next", url.pathname + url.search);
  const query = params.toString();
  return c.redirect(`/dashboard/sign-in${query ? `?${query}` : ""}`, c.req.method === "GET" ? 302 : 303);
}

/** Refuses a state-changing request the browser says came from elsewhere. */
export const sameOriginWrites: MiddlewareHandler<DashboardEnv> = async (c, next) => {
  if (c.req.method === "GET" || c.req.method === "HEAD") return next();
  const site = c.req.header("sec-fetch-site");
  const origin = c.req.header("origin");
  const here = new URL(c.req.url).origin;
  if ((site !== undefined && site !== "same-origin") || (origin !== undefined && origin !== here)) {
    return refuse(c, "This request came from another site, so it was not carried out.");
  }
  return next();
};

/** Form posts of a signed-in person must carry the token of their session. */
export const sessionCsrfToken: MiddlewareHandler<DashboardEnv> = async (c, next) => {
  if (c.req.method === "GET" || c.req.method === "HEAD") return next();
  const token = textField(await formOf(c), "_csrf");
  if (!(await isCsrfToken(c.env, "session", c.get("session").id, token))) {
    return refuse(c, "This form has expired or did not come from this dashboard, so nothing was changed. Reload the page and try again.");
  }
  return next();
};

/** A 403 that reads well in a browser and, for the inline Test button, as JSON. */
export function refuse(c: Context, message: string) {
  if (wantsJson(c)) return c.json({ error: message }, 403);
  // Plain HTML rather than the page frame: it may answer before any session is open (a cross-site post).
  const body = [
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>Request refused · Flagpost</title><link rel="stylesheet" href="${STYLE_PATH}"></head>`,
    `<body><main><div class="card signin"><h1>Request refused</h1><p>${escapeHtml(message)}</p>`,
    '<p><a href="/dashboard">Back to the dashboard</a></p></div></main></body></html>',
  ].join("");
  return c.html(body, 403);
}

export function wantsJson(c: Context): boolean {
  return (c.req.header("accept") ?? "").includes("application/json");
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
