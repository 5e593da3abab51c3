// Small builders for route descriptions: a JSON request body, a JSON answer, the error answers, and
// the tags that group the operations in the document.
import type { z } from "@hono/zod-openapi";
import { ERROR_STATUS, type ErrorCode } from "./errors";
import { ErrorSchema } from "./schemas";

export const jsonBody = <T extends z.ZodType>(schema: T) => ({ content: { "application/json": { schema } }, required: true });

export const jsonAnswer = <T extends z.ZodType>(description: string, schema: T) => ({ description, content: { "application/json": { schema } } });

/** What each error status means to a client; the codes it may carry are read from ERROR_STATUS. */
const ERROR_MEANING: Record<number, string> = {
  400: "invalid JSON or failed validation; `details` names each bad field and why",
  401: "missing or bad credentials",
  403: "a valid credential that may not do this (the admin token on an API-key route, an API key on an admin route)",
  404: "no such resource (also another organization's, whose existence is never revealed)",
  409: "conflict: a duplicate key, a stale version, or a change that needs approval first",
  413: "the body is too large",
  415: "the body is not sent as application/json",
  422: "semantically invalid, or beyond one of the documented limits",
  429: "rate limited; retry after `Retry-After` seconds",
  500: "an internal error, with a request id and no internals",
};

const codesOf = (status: number) => (Object.keys(ERROR_STATUS) as ErrorCode[]).filter((code) => ERROR_STATUS[code] === status);

export const errorAnswer = (status: number) => {
  const codes = codesOf(status)
    .map((code) => `\`${code}\``)
    .join(", ");
  return jsonAnswer(`${ERROR_MEANING[status] ?? "error"}${codes ? ` (${codes})` : ""}`, ErrorSchema);
};

export const errors = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [s, errorAnswer(s)]));

const ERROR_REF = { $ref: "#/components/schemas/Error" };
const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/**
 * Adds the answers the app's middleware can give on any operation, whatever its route lists (app.ts,
 * auth/middleware.ts): 400 (a path id, query or header that fails validation; a webhook calling
 * Flagpost), 401, 403 (the admin token on an API-key route and the reverse), 429 (the per-key budget,
 * the failed-authentication limit) and 500; and on writes 413 and 415 (the body rules). Operations
 * served outside /api/v1 (the evaluation routes, which name their own server) have their own
 * middleware and declare their own refusals: they get only 500 and, on writes, 413.
 */
export function withCommonAnswers<T extends { paths?: object }>(generated: T): T {
  const doc = structuredClone(generated); // the generator may hand out the routes' own objects
  for (const item of Object.values(doc.paths ?? {}) as Record<string, unknown>[]) {
    for (const [method, op] of Object.entries(item)) {
      if (!METHODS.includes(method)) continue;
      const { responses, servers } = op as { responses: Record<string, unknown>; servers?: unknown[] };
      const write = ["post", "put", "patch"].includes(method);
      const common = servers ? [500, ...(write ? [413] : [])] : [400, 401, 403, 429, 500, ...(write ? [413, 415] : [])];
      for (const status of common)
        responses[status] ??= { description: errorAnswer(status).description, content: { "application/json": { schema: ERROR_REF } } };
    }
  }
  return doc;
}

/** Every tag an operation may carry, declared once with what it groups (tools show these as sections). */
export const API_TAGS = [
  { name: "admin", description: "Organizations, users and API keys, with the admin token." },
  { name: "identity", description: "Who the calling API key is, and the user's own keys." },
  { name: "projects", description: "Projects and their environments." },
  { name: "flags", description: "Flags and their state in each environment; every change is delivered as webhooks." },
  { name: "schedules", description: "State patches applied by the project's writer at a time." },
  { name: "change requests", description: "State changes on an environment that requires approval: proposed, approved by another user, applied." },
  { name: "events", description: "The change log: every event a project's flags emitted." },
  { name: "project webhooks", description: "Webhooks of one project, their deliveries, redeliveries and signing keys." },
  { name: "organization webhooks", description: "Webhooks of the whole organization, their deliveries, redeliveries and signing keys." },
  { name: "receivers", description: "For the receiving side: the event catalog and the signature debugger." },
  { name: "sdk-keys", description: "SDK keys of an environment, for the evaluation routes: created, listed, revoked." },
  { name: "evaluation: OFREP", description: "The OpenFeature Remote Evaluation Protocol at the server's root, with an SDK key." },
  { name: "evaluation: Tggl", description: "Tggl's SDK routes at the server's root, with a server SDK key." },
];
