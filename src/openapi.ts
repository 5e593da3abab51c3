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
  403: "a valid credential that may not do this",
  404: "no such resource (also another organization's, whose existence is never revealed)",
  409: "conflict: a duplicate key or a stale version",
  413: "the body is too large",
  415: "the body is not sent as application/json",
  422: "semantically invalid, or beyond one of the documented limits",
  429: "rate limited; retry after `Retry-After` seconds",
  500: "an internal error, with a request id and no internals",
};

const codesOf = (status: number) => (Object.keys(ERROR_STATUS) as ErrorCode[]).filter((code) => ERROR_STATUS[code] === status);

export const errorAnswer = (status: number) => {
  const codes = codesOf(status).map((code) => `\`${code}\``).join(", ");
  return jsonAnswer(`${ERROR_MEANING[status] ?? "error"}${codes ? ` (${codes})` : ""}`, ErrorSchema);
};

export const errors = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [s, errorAnswer(s)]));

/** Every tag an operation may carry, declared once with what it groups (tools show these as sections). */
export const API_TAGS = [
  { name: "admin", description: "Organizations, users and API keys, with the admin token." },
  { name: "identity", description: "Who the calling API key is, and the user's own keys." },
  { name: "projects", description: "Projects and their environments." },
  { name: "flags", description: "Flags and their state in each environment; every change is delivered as webhooks." },
  { name: "events", description: "The change log: every event a project's flags emitted." },
  { name: "project webhooks", description: "Webhooks of one project, their deliveries, redeliveries and signing keys." },
  { name: "organization webhooks", description: "Webhooks of the whole organization, their deliveries, redeliveries and signing keys." },
  { name: "receivers", description: "For the receiving side: the event catalog and the signature debugger." },
];
