// Shapes shared by every router: keys, ids, pagination, the error body, versions.
import { z } from "@hono/zod-openapi";

export const KEY_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export const KeySchema = z.string().regex(KEY_PATTERN, "must match ^[a-z0-9][a-z0-9_-]{0,63}$").openapi({ example: "new-checkout" });

export const IdSchema = z.uuid().openapi({ example: "5f0c8a9e-3c1d-4b7a-9f57-2a0e4c6d8b1f" });

export const NameSchema = z.string().trim().min(1, "must not be empty").max(200);

export const TimestampSchema = z.string().openapi({ example: "2026-01-25T12:00:00.000Z", description: "ISO-8601 UTC" });

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: "validation_failed" }),
      message: z.string(),
      details: z.unknown().optional(),
      request_id: z.string(),
    }),
  })
  .openapi("Error");

export const PageQuerySchema = z.object({
  cursor: z.string().max(200).optional().openapi({ description: "next_cursor of the previous page" }),
  limit: z.coerce.number().int().min(1).max(200).default(50).openapi({ description: "1–200, default 50" }),
});

/** A revision as a query parameter: digits only (an empty value is not 0). */
export const RevisionParamSchema = z
  .string()
  .regex(/^\d{1,15}$/, "must be a non-negative integer")
  .transform(Number);

export function pageOf<T extends z.ZodType>(item: T, name: string) {
  return z.object({ data: z.array(item), next_cursor: z.string().nullable() }).openapi(name);
}

/** A write may carry the version it expects; `If-Match` (3, "3" or W/"3") says the same. */
export const VersionField = z.number().int().min(1).optional().openapi({ description: "expected current version; stale → 409" });

export const IfMatchHeaderSchema = z.object({
  "if-match": z.string().optional().openapi({ description: 'expected version: 3, "3" or W/"3"' }),
});

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** Opaque cursors: the row sequence of the last item served. */
export function encodeCursor(seq: number): string {
  return btoa(String(seq)).replace(/=+$/, "");
}

/** null: no cursor; -1: not one this API gave (an empty string decodes to "" and must not read as 0). */
export function decodeCursor(cursor: string | undefined): number | null {
  if (cursor === undefined) return null;
  let text: string;
  try {
    text = atob(cursor);
  } catch {
    return -1;
  }
  if (!/^[1-9]\d{0,15}$/.test(text)) return -1;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : -1;
}
export const ProjectParams = z.object({ projectId: IdSchema });
