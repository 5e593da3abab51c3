// A browser's requests to the dashboard, for route tests: form posts carry the page's Origin and
// Sec-Fetch-Site, and signing in goes through the real form (nonce cookie and token).
import { exports } from "cloudflare:workers";
import { expect } from "vitest";
import type { Tenant } from "./helpers";

export const ORIGIN = "http://flagpost.test";

export interface DashOptions {
  method?: string;
  cookie?: string;
  form?: Record<string, string> | [string, string][];
  headers?: Record<string, string>;
}

export function dash(path: string, opts: DashOptions = {}): Promise<Response> {
  const method = opts.method ?? (opts.form ? "POST" : "GET");
  const headers: Record<string, string> = { ...(opts.cookie ? { cookie: opts.cookie } : {}) };
  if (method === "POST") Object.assign(headers, { origin: ORIGIN, "sec-fetch-site": "same-origin", "content-type": "application/x-www-form-urlencoded" });
  Object.assign(headers, opts.headers);
  const body = opts.form ? new URLSearchParams(opts.form).toString() : undefined;
  return exports.default.fetch(`${ORIGIN}${path}`, { method, headers, body, redirect: "manual" });
}

export function csrfIn(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match) throw new Error("no CSRF field in the page");
  return match[1];
}

/** Signs in through the form; answers the session cookie and a page's CSRF token. */
export async function signIn(t: Tenant): Promise<{ cookie: string; csrf: string }> {
  const page = await dash("/dashboard/sign-in");
  const nonce = page.headers
    .getSetCookie()
    .find((line) => line.startsWith("flagpost_sign_in="))
    ?.split(";")[0];
  if (!nonce) throw new Error("no sign-in cookie");
  const res = await dash("/dashboard/sign-in", { cookie: nonce, form: { _csrf: csrfIn(await page.text()), api_key: t.key, next: "/dashboard" } });
  expect(res.status).toBe(303);
  const session = res.headers
    .getSetCookie()
    .find((line) => line.startsWith("flagpost_session="))
    ?.split(";")[0];
  if (!session) throw new Error("no session cookie");
  const home = await dash("/dashboard", { cookie: session });
  return { cookie: session, csrf: csrfIn(await home.text()) };
}
