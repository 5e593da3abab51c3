// The dashboard's only way to read or change anything: the public API, called in-process with the
// session's key. Every rule the API enforces (organization scope, validation, versions) holds here
// too, and a page can never do what a client of the API could not.
import type { Context } from "hono";

export type ApiFetch = (request: Request, env: Env, ctx: ExecutionContext) => Response | Promise<Response>;

export interface FieldIssue {
  field: string;
  message: string;
}

/** An API answer that was not a success, with the contract's error body. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues: FieldIssue[] = [],
    readonly requestId?: string,
  ) {
    super(message);
  }
}

export interface Api {
  get<T>(path: string, query?: Record<string, string | number | undefined>): Promise<T>;
  send<T>(method: "POST" | "PATCH" | "DELETE", path: string, body?: unknown): Promise<T>;
  /** The D1 bookmark of the latest answer: sent on the next request, reads see at least this. */
  bookmark(): string | undefined;
}

const BOOKMARK_HEADER = "x-d1-bookmark";

/** An API client acting with `apiKey`. `bookmark` carries read-your-writes across a form's redirect. */
export function apiFor<E extends { Bindings: Env }>(apiFetch: ApiFetch, c: Context<E>, apiKey: string, bookmark?: string): Api {
  const origin = new URL(c.req.url).origin;
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const headers: Record<string, string> = { authorization: `Bearer ${apiKey}`, accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (bookmark) headers[BOOKMARK_HEADER] = bookmark;
    // Failed authentications are counted per client address: the browser's, not one shared by every page.
    const address = c.req.header("cf-connecting-ip");
    if (address) headers["cf-connecting-ip"] = address;
    const request = new Request(`${origin}/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    // Hono types its execution context apart from the runtime's; it is the same object.
    const res = await apiFetch(request, c.env, c.executionCtx as unknown as ExecutionContext);
    bookmark = res.headers.get(BOOKMARK_HEADER) ?? bookmark;
    if (res.status === 204) return null as T;
    const text = await res.text();
    const parsed = text ? safeJson(text) : null;
    if (!res.ok) throw failureOf(res.status, parsed);
    return parsed as T;
  };
  return {
    get: (path, query) => call("GET", path + queryString(query)),
    send: (method, path, body) => call(method, path, body),
    bookmark: () => bookmark,
  };
}

function failureOf(status: number, body: unknown): ApiFailure {
  const error = (body as { error?: { code?: string; message?: string; details?: unknown; request_id?: string } } | null)?.error;
  const issues = Array.isArray(error?.details) ? (error.details as FieldIssue[]).filter((d) => typeof d?.field === "string") : [];
  return new ApiFailure(status, error?.code ?? "unknown", error?.message ?? `the API answered ${status}`, issues, error?.request_id);
}

function queryString(query: Record<string, string | number | undefined> | undefined): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query ?? {})) if (value !== undefined && value !== "") params.set(name, String(value));
  const text = params.toString();
  return text ? `?${text}` : "";
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
