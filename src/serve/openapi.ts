// The evaluation routes in the API's OpenAPI document. They live at the server's root, not under
// /api/v1, so each operation names its own server ("/"), as OpenAPI 3.1 allows.
import { z, type OpenAPIHono } from "@hono/zod-openapi";
import { jsonAnswer, jsonBody } from "../kernel/openapi";
import { ErrorSchema, KeySchema } from "../kernel/schemas";
import {
  OfrepBulkSchema,
  OfrepEventStreamSchema,
  OfrepErrorSchema,
  OfrepEvaluationSchema,
  OfrepRequestSchema,
  TgglConfigSchema,
  TgglFlagsRequestSchema,
  TgglFlagsSchema,
} from "./schemas";

const ROOT = [{ url: "/", description: "the server's root: OFREP and Tggl's SDKs take it as their base URL" }];
const MinRevisionQuery = z.object({
  min_revision: z
    .string()
    .regex(/^\d+$/)
    .optional()
    .openapi({ description: "answer at this revision or later (also X-Flagpost-Min-Revision); above the project's revision: 400" }),
});
const ofrepErrors = {
  400: jsonAnswer("PARSE_ERROR, or INVALID_CONTEXT (not an object, or too costly to evaluate against the rules: send a smaller context)", OfrepErrorSchema),
  401: jsonAnswer("no key, or not a live SDK key", ErrorSchema),
  413: jsonAnswer("body over 1 MiB, or a context over 32 KiB of JSON", ErrorSchema),
  429: jsonAnswer("the SDK key's request budget is spent; see Retry-After", ErrorSchema),
};
const tgglErrors = {
  400: jsonAnswer("bad input, or a context too costly to evaluate against the rules", ErrorSchema),
  401: jsonAnswer("no key, a client key or not a live server SDK key", ErrorSchema),
  413: jsonAnswer("body over 1 MiB, or a context over 32 KiB of JSON", ErrorSchema),
  429: jsonAnswer("the SDK key's request budget is spent; see Retry-After", ErrorSchema),
};

type Registry = OpenAPIHono["openAPIRegistry"];

export function describeServeRoutes(registry: Registry): void {
  registry.registerComponent("securitySchemes", "sdkKey", {
    type: "http",
    scheme: "bearer",
    description: "an SDK key (server or client), or X-API-Key: <sdk key>",
  });
  registry.registerComponent("securitySchemes", "tgglApiKey", { type: "apiKey", in: "header", name: "x-tggl-api-key", description: "a server SDK key" });
  const ofrep = { servers: ROOT, tags: ["evaluation: OFREP"], security: [{ sdkKey: [] }] };
  const tggl = { servers: ROOT, tags: ["evaluation: Tggl"], security: [{ tgglApiKey: [] }] };

  registry.registerPath({
    ...ofrep,
    method: "post",
    path: "/ofrep/v1/evaluate/flags/{flagKey}",
    operationId: "ofrepEvaluateFlag",
    summary: "Evaluate one flag for a context (OpenFeature Remote Evaluation Protocol)",
    request: { params: z.object({ flagKey: KeySchema }), query: MinRevisionQuery, body: jsonBody(OfrepRequestSchema) },
    responses: {
      200: jsonAnswer("the served variation", OfrepEvaluationSchema),
      ...ofrepErrors,
      404: jsonAnswer("FLAG_NOT_FOUND: unknown or archived", OfrepErrorSchema),
    },
  });
  registry.registerPath({
    ...ofrep,
    method: "post",
    path: "/ofrep/v1/evaluate/flags",
    operationId: "ofrepEvaluateFlags",
    summary: "Evaluate every served flag for a context, with an ETag of the revision and the context",
    request: {
      query: MinRevisionQuery.extend({
        flagConfigEtag: z.string().regex(/^\d+$/).optional().openapi({ description: "a stream event's etag (a revision): the same as min_revision" }),
      }),
      headers: z.object({ "if-none-match": z.string().optional() }),
      body: jsonBody(OfrepRequestSchema),
    },
    responses: {
      200: jsonAnswer("every served flag, and the event streams to listen to", OfrepBulkSchema),
      304: { description: "If-None-Match matched: nothing changed for this context" },
      ...ofrepErrors,
    },
  });
  registry.register("OfrepEventStream", OfrepEventStreamSchema);
  registry.registerPath({
    servers: ROOT,
    tags: ["evaluation: OFREP"],
    security: [],
    method: "get",
    path: "/ofrep/v1/stream",
    operationId: "ofrepEventStream",
    summary: "Server-Sent Events: one refetchEvaluation event per committed revision that changes the key's environment",
    description:
      'Each event: `id: <revision>`, `event: message`, `data: {"type": "refetchEvaluation", "etag": "<revision>", "lastModified": <unix seconds>}`; a comment line at least every 30 s. `Last-Event-ID: N` (or `last_event_id=N`): the latest revision after N at once. A revoked key\'s streams close within 30 s.',
    request: {
      query: z.object({
        token: z.string().openapi({ description: "from a bulk answer's eventStreams" }),
        last_event_id: z.string().regex(/^\d+$/).optional(),
      }),
      headers: z.object({ "last-event-id": z.string().optional() }),
    },
    responses: {
      200: { description: "the event stream", content: { "text/event-stream": { schema: z.string() } } },
      401: jsonAnswer("a missing, malformed or expired token, or a revoked key", ErrorSchema),
      404: jsonAnswer("event streams are switched off on this server (EVENT_STREAMS=off)", ErrorSchema),
      429: jsonAnswer("the SDK key's request budget is spent; see Retry-After", ErrorSchema),
    },
  });
  registry.registerPath({
    ...tggl,
    method: "get",
    path: "/tggl/config",
    operationId: "tgglConfig",
    summary: "The environment's flags in tggl-core's shapes, for Tggl's SDKs to evaluate locally",
    request: { query: MinRevisionQuery, headers: z.object({ "if-none-match": z.string().optional() }) },
    responses: {
      200: jsonAnswer("one entry per served flag; ETag and X-Flagpost-Revision headers", TgglConfigSchema),
      304: { description: "If-None-Match matched" },
      ...tgglErrors,
    },
  });
  registry.registerPath({
    ...tggl,
    method: "post",
    path: "/tggl/flags",
    operationId: "tgglFlags",
    summary: "Evaluate for one context, or up to 1,000: the values of active variations",
    request: { query: MinRevisionQuery, body: jsonBody(TgglFlagsRequestSchema) },
    responses: {
      200: jsonAnswer("an object for one context, an array of them for an array", z.union([TgglFlagsSchema, z.array(TgglFlagsSchema)])),
      ...tgglErrors,
    },
  });
  registry.registerPath({
    ...tggl,
    method: "post",
    path: "/tggl/report",
    operationId: "tgglReport",
    summary: "Accept an SDK's usage report (Flagpost keeps none)",
    request: { body: jsonBody(z.unknown().openapi("TgglReport")) },
    responses: { 204: { description: "accepted" }, ...tgglErrors },
  });
}
