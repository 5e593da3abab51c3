// What every dashboard handler can rely on once the session is checked.
import type { Context } from "hono";
import { KEY_PATTERN } from "../../kernel/schemas";
import { ApiFailure, type Api } from "./api";
import type { Me } from "./resources";
import type { Session } from "./session";
import { hasControlCharacter } from "../../kernel/text";

export type DashboardEnv = {
  Bindings: Env;
  /** `scriptPath` is set for every page by the router; the others once the session is checked. */
  Variables: { requestId: string; scriptPath: string; session: Session; api: Api; me: Me; csrf: string };
};

export type DashboardContext = Context<DashboardEnv>;

export type FormValue = string | File | (string | File)[];
export type FormBody = Record<string, FormValue>;

/** The submitted form; Hono keeps the parsed body, so the CSRF check and the handler read it once. */
export function formOf(c: Context): Promise<FormBody> {
  return c.req.parseBody({ all: true }) as Promise<FormBody>;
}

/** One text field of a form ("" when missing; the first when repeated). */
export function textField(form: FormBody, name: string): string {
  const value = form[name];
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === "string" ? first : "";
}

/** Every value of a repeated field (checkboxes). */
export function listField(form: FormBody, name: string): string[] {
  const value = form[name];
  const all = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return all.filter((v): v is string => typeof v === "string");
}

/** A comma-separated field as a list (tags, roles): trimmed, without blanks or repeats. */
export function commaList(text: string): string[] {
  return [
    ...new Set(
      text
        .split(",")
        .map((t) => t.trim())
        .filter(Boolean),
    ),
  ];
}

/**
 * A path inside the dashboard to return to (after signing in, after the Test button); anything else
 * goes home. It is judged as the browser will resolve it (`/dashboard/..//evil.com` is `//evil.com`),
 * and control characters, which cannot go into a Location header, are refused outright.
 */
export function safeNext(next: string | undefined): string {
  if (!next?.startsWith("/dashboard") || hasControlCharacter(next) || next.includes("\\")) return "/dashboard";
  let url: URL;
  try {
    url = new URL(next, "http://dashboard.invalid");
  } catch {
    return "/dashboard";
  }
  const dashboardPath = url.pathname === "/dashboard" || url.pathname.startsWith("/dashboard/");
  const inside = url.origin === "http://dashboard.invalid" && dashboardPath && !url.pathname.includes("//");
  return inside ? url.pathname + url.search : "/dashboard";
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isId(value: string): boolean {
  return UUID.test(value);
}

// URL parameters go into API paths, so each must be what it claims to be: an id or a key, never a
// `..` that would walk to another API route. Anything else is a page that does not exist.
export function idParam(c: Context, name: string): string {
  const value = c.req.param(name) ?? "";
  if (!UUID.test(value)) throw new ApiFailure(404, "not_found", `no such ${name}`);
  return value;
}

export function keyParam(c: Context, name: string): string {
  const value = c.req.param(name) ?? "";
  if (!KEY_PATTERN.test(value)) throw new ApiFailure(404, "not_found", `no such ${name}`);
  return value;
}
