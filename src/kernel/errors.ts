// One error body for the whole API: {error: {code, message, details?, request_id}}.
import type { ContentfulStatusCode } from "hono/utils/http-status";

export const ERROR_STATUS = {
  invalid_json: 400,
  validation_failed: 400,
  /** A request that carries Flagpost's webhook User-Agent: a webhook calling Flagpost. */
  webhook_loop: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  version_conflict: 409,
  /** A state change on an environment that requires approval: propose it as a change request. */
  approval_required: 409,
  /** A change request whose state moved since it was proposed. */
  stale_change_request: 409,
  /** Revert: a later revision changed the same fields (`details.revision` names it, `details.fields` which). */
  revert_conflict: 409,
  /** Revert: the revision created or deleted a flag, or was made before revisions were recorded. */
  not_revertible: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unprocessable: 422,
  /** Beyond one of the limits of CONTRACT.md "Limits and refusals"; `details.limit` names it. */
  limit_exceeded: 422,
  rate_limited: 429,
  internal: 500,
} as const satisfies Record<string, ContentfulStatusCode>;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }

  get status(): ContentfulStatusCode {
    return ERROR_STATUS[this.code];
  }
}

/** What a ProjectDO method answers: errors thrown across RPC lose their class, results do not. */
export type Result<T> = ({ ok: true } & T) | { ok: false; code: ErrorCode; message: string; details?: unknown };

export function fail(code: ErrorCode, message: string, details?: unknown): { ok: false; code: ErrorCode; message: string; details?: unknown } {
  return { ok: false, code, message, details };
}

/** Turns a failed Result into the AppError a route throws. */
export function unwrap<T>(result: Result<T>): { ok: true } & T {
  if (!result.ok) throw new AppError(result.code, result.message, result.details);
  return result;
}

/**
 * Whether a failed write broke a UNIQUE constraint. drizzle wraps the driver's error ("Failed query:
 * …") and keeps D1's message in `cause`, so the whole chain is read, not only the outer message.
 */
export function isUniqueViolation(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (String((e as { message?: unknown }).message ?? e).includes("UNIQUE constraint failed")) return true;
  }
  return false;
}

export function errorBody(code: ErrorCode, message: string, requestId: string, details?: unknown) {
  return { error: { code, message, ...(details === undefined ? {} : { details }), request_id: requestId } };
}
