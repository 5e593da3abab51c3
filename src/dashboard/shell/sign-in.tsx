// Signing in with an API key, and out again. The key is checked against the API (GET /me) and then
// kept only inside the sealed session cookie: never in the page, never in browser storage.
import { Hono } from "hono";
import { getCookie } from "hono/cookie";
import type { FC } from "hono/jsx";
import { ApiFailure, apiFor, type ApiFetch } from "./api";
import { formOf, safeNext, textField, type DashboardContext, type DashboardEnv } from "./context";
import { endSession, readSignInNonce, refuse, sessionCookie, setSignInNonce, startSession } from "./guard";
import { CsrfField, ICON, Notice, renderPage } from "./layout";
import { isSessionRevoked, revokeSession } from "./revoked-sessions";
import { csrfToken, isCsrfToken, newNonce, openSession, SESSION_TTL_SECONDS } from "./session";

const COOKIE_REFUSED =
  "Your browser did not send back the dashboard's sign-in cookie, so the form could not be trusted. Dashboard cookies are Secure: " +
  "open the dashboard over https, or locally at http://127.0.0.1 or http://localhost in a browser that keeps Secure cookies there " +
  "(Chrome, Edge, Chromium). Cookies must be allowed for this site.";

export function signInRoutes(apiFetch: ApiFetch) {
  const app = new Hono<DashboardEnv>();
  app.get("/sign-in", showSignIn);
  app.post("/sign-in", (c) => signIn(apiFetch, c));
  return app;
}

/** A signed-in person asking for the sign-in page goes where they were headed. */
async function showSignIn(c: DashboardContext) {
  const next = safeNext(c.req.query("next"));
  const session = await openSession(c.env, getCookie(c, sessionCookie(c)));
  if (session && !(await isSessionRevoked(c.env, session))) return c.redirect(next, 302);
  return signInPage(c, { next });
}

async function signIn(apiFetch: ApiFetch, c: DashboardContext) {
  const form = await formOf(c);
  const next = safeNext(textField(form, "next"));
  const nonce = readSignInNonce(c);
  if (!nonce || !(await isCsrfToken(c.env, "sign-in", nonce, textField(form, "_csrf")))) return refuse(c, COOKIE_REFUSED);
  const apiKey = textField(form, "api_key").trim();
  if (!apiKey) return signInPage(c, { next, error: "Enter your API key.", status: 400 });
  const problem = await checkKey(apiFetch, c, apiKey);
  if (problem) return signInPage(c, { next, error: problem, status: 401 });
  await startSession(c, apiKey);
  return c.redirect(next, 303);
}

/** Signing out ends the session on the server too (revoked-sessions.ts), then drops the cookie. */
export async function signOut(c: DashboardContext) {
  await revokeSession(c.env, c.get("session"));
  endSession(c);
  return c.redirect("/dashboard/sign-in?notice=signed-out", 303);
}

/** Why the key cannot sign in, or null when it can. */
async function checkKey(apiFetch: ApiFetch, c: DashboardContext, apiKey: string): Promise<string | null> {
  try {
    await apiFor(apiFetch, c, apiKey).get("/me");
    return null;
  } catch (err) {
    if (!(err instanceof ApiFailure)) throw err;
    // The admin token (403) gets the same words as a bad key: this page must not confirm what a secret is.
    if (err.status === 401 || err.status === 403) return "That API key was not recognised. Check that you copied all of it.";
    throw err;
  }
}

interface SignInOptions {
  next: string;
  error?: string;
  status?: 400 | 401;
}

async function signInPage(c: DashboardContext, { next, error, status }: SignInOptions) {
  // One nonce per browser, reused across tabs, so two open sign-in pages both work.
  const nonce = readSignInNonce(c) ?? newNonce();
  setSignInNonce(c, nonce);
  const token = await csrfToken(c.env, "sign-in", nonce);
  return renderPage(c, "Sign in", <SignInForm next={next} error={error} token={token} />, { status: status ?? 200 });
}

const SignInForm: FC<{ next: string; error?: string; token: string }> = ({ next, error, token }) => (
  <div class="signin">
    <p class="brand">
      <img src={ICON} alt="" width="28" height="28" /> Flagpost
    </p>
    <div class="card">
      <h1>Sign in</h1>
      {error ? <Notice kind="error">{error}</Notice> : null}
      <form method="post" action="/dashboard/sign-in">
        <CsrfField token={token} />
        <input type="hidden" name="next" value={next} />
        <div class="field">
          <label for="api-key">
            API key
            <span class="hint">
              <code>npm start</code> prints one for the local organization. It starts with <code>fp_</code>.
            </span>
          </label>
          <input
            id="api-key"
            name="api_key"
            type="password"
            autocomplete="current-password"
            required
            autofocus
            spellcheck={false}
            aria-invalid={error ? "true" : undefined}
          />
        </div>
        <button class="primary" type="submit">
          Sign in
        </button>
      </form>
      <p class="small muted">
        You will see the organization the key belongs to. The key stays on the server: your browser keeps only a sealed session cookie, for{" "}
        {SESSION_TTL_SECONDS / 3600} hours or until you sign out.
      </p>
    </div>
  </div>
);
