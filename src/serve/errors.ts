// Refusals of the evaluation routes. OFREP's 400 and 404 use OFREP's body ({key?, errorCode,
// errorDetails}); /tggl's, and every 401, 413 and 429, the API's own error body. A context whose
// evaluation would pass its budget is an INVALID_CONTEXT (400): a smaller context is the remedy. Never a 5xx for
// bad input: anything unexpected is logged and answered 500 with a request id only.
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { errorBody } from "../kernel/errors";
import { EvaluationBudgetExceeded } from "../flags/evaluate";
import { MAX_EVALUATION_BODY_BYTES, ServeError } from "./request";

export function tooLarge(): ServeError {
  return new ServeError(413, "payload_too_large", `evaluation bodies are limited to ${MAX_EVALUATION_BODY_BYTES} bytes`);
}

const API_CODES = { PARSE_ERROR: "validation_failed", INVALID_CONTEXT: "validation_failed", FLAG_NOT_FOUND: "not_found" } as const;

export function renderServeError(c: Context, err: unknown, key?: string, protocol: "ofrep" | "tggl" = "ofrep"): Response {
  const requestId = (c.get("requestId") as string | undefined) ?? crypto.randomUUID();
  if (err instanceof EvaluationBudgetExceeded) err = new ServeError(400, "INVALID_CONTEXT", err.message);
  if (!(err instanceof ServeError)) {
    console.error("evaluation failed", requestId, err);
    return c.json(errorBody("internal", "something went wrong; quote the request id when reporting it", requestId), 500);
  }
  for (const [k, v] of Object.entries(err.headers)) c.header(k, v);
  const status = err.status as ContentfulStatusCode;
  if (err.kind === "unauthorized" || err.kind === "rate_limited" || err.kind === "payload_too_large")
    return c.json(errorBody(err.kind, err.message, requestId), status);
  if (protocol === "ofrep") return c.json({ ...(key === undefined ? {} : { key }), errorCode: err.kind, errorDetails: err.message }, status);
  return c.json(errorBody(API_CODES[err.kind], err.message, requestId), status);
}
