// Turns zod failures into the contract's 400: `details` names each bad field and why.
import type { z } from "@hono/zod-openapi";
import { AppError } from "./errors";
import { jsonDepthExceeds, MAX_JSON_DEPTH } from "./json";

/** A body refused before it is read as a value: not UTF-8, not JSON, or nested too deep (400 invalid_json). */
export class JsonBodyError extends AppError {
  constructor(message: string) {
    super("invalid_json", message);
  }
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/**
 * The one reader of JSON bodies: bytes that are not UTF-8 are refused (not replaced with U+FFFD),
 * and so is nesting deeper than `maxDepth`, measured on the text with a loop before JSON.parse builds
 * anything. Every walk of user JSON (validation, diff, code-like text, payloads, canonical forms)
 * runs on what this returned, so none of them can be made to recurse past `maxDepth`.
 */
export function parseJsonBody(raw: string | ArrayBuffer | Uint8Array, { maxDepth = MAX_JSON_DEPTH }: { maxDepth?: number } = {}): unknown {
  let text: string;
  if (typeof raw === "string") text = raw;
  else {
    try {
      text = strictUtf8.decode(raw);
    } catch {
      throw new JsonBodyError("the body is not valid UTF-8");
    }
  }
  if (jsonDepthExceeds(text, maxDepth)) throw new JsonBodyError(`the body is nested deeper than ${maxDepth} levels`);
  try {
    return JSON.parse(text);
  } catch {
    throw new JsonBodyError("the body is not valid JSON");
  }
}

export interface FieldIssue {
  field: string;
  message: string;
}

export function fieldIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.map((issue) => ({ field: issue.path.map(String).join(".") || "(body)", message: issue.message }));
}

export function validationHook(result: { success: true; data?: unknown } | { success: false; error: z.ZodError; target?: string }): void {
  if (!result.success) throw new AppError("validation_failed", "request validation failed", fieldIssues(result.error));
  const field = illFormedField(result.data);
  if (field !== null)
    throw new AppError("validation_failed", "request validation failed", [{ field, message: "is not valid Unicode: it holds a lone surrogate" }]);
}

/**
 * JSON may escape a lone surrogate ("\ud800"), which no UTF-8 store can hold: D1 would keep U+FFFD in
 * its place, so what was answered (and cached by the writer) would differ from what was stored.
 * Such text is refused instead. Returns the path of the first such string (or key), or null.
 */
function illFormedField(value: unknown, path: string[] = []): string | null {
  if (typeof value === "string") return value.isWellFormed() ? null : path.join(".") || "(body)";
  if (value === null || typeof value !== "object") return null;
  for (const [key, item] of Object.entries(value)) {
    if (!key.isWellFormed()) return [...path, key].join(".");
    const found = illFormedField(item, [...path, key]);
    if (found !== null) return found;
  }
  return null;
}

/** Parses `If-Match: 3`, `"3"` or `W/"3"`; a body `version` says the same. Both given must agree. */
export function expectedVersion(ifMatch: string | undefined, bodyVersion: number | undefined): number | undefined {
  if (ifMatch === undefined || ifMatch.trim() === "*") return bodyVersion;
  const match = /^\s*(?:W\/)?"?(\d{1,15})"?\s*$/.exec(ifMatch);
  if (!match) throw new AppError("validation_failed", "request validation failed", [{ field: "If-Match", message: 'expected a version: 3, "3" or W/"3"' }]);
  const version = Number(match[1]);
  if (bodyVersion !== undefined && bodyVersion !== version)
    throw new AppError("validation_failed", "request validation failed", [{ field: "version", message: "differs from If-Match" }]);
  return version;
}
