// Public shapes of the evaluation routes (OFREP and /tggl): the OpenAPI document and the tests.
import { z } from "@hono/zod-openapi";
import { EvaluationContextSchema } from "../flags/schemas";
import { OFREP_REASONS } from "../flags/schemas";

export const OfrepRequestSchema = z.object({ context: EvaluationContextSchema.optional() }).openapi("OfrepEvaluationRequest");
export const OfrepEvaluationSchema = z
  .object({
    key: z.string(),
    reason: z.enum(OFREP_REASONS),
    variant: z.string().openapi({ description: "the served variation's name" }),
    value: z.unknown(),
    metadata: z.object({
      revision: z.number().int(),
      active: z.boolean().openapi({ description: "whether the served variation is active (Tggl's protocol serves no value for an inactive one)" }),
      variation_id: z.string(),
      flag_version: z.number().int(),
      state_version: z.number().int(),
    }),
  })
  .openapi("OfrepEvaluation");

export const OfrepEventStreamSchema = z
  .object({
    type: z.literal("sse"),
    endpoint: z.object({
      requestUri: z.string().openapi({ description: "/ofrep/v1/stream?token=<token>: the token is bound to the SDK key and its environment, valid 24 h" }),
    }),
    inactivityDelaySec: z.number().int(),
  })
  .openapi("OfrepEventStream");

export const OfrepBulkSchema = z
  .object({
    flags: z.array(OfrepEvaluationSchema),
    metadata: z.object({ revision: z.number().int() }),
    eventStreams: z
      .array(OfrepEventStreamSchema)
      .optional()
      .openapi({ description: "where to hear of changes as they are committed (OpenFeature ADR-0008); absent when the server's streams are off" }),
  })
  .openapi("OfrepBulkEvaluation");

export const OfrepErrorSchema = z
  .object({
    key: z.string().optional().openapi({ description: "the flag key (single evaluation only)" }),
    errorCode: z.enum(["FLAG_NOT_FOUND", "PARSE_ERROR", "INVALID_CONTEXT"]),
    errorDetails: z.string(),
  })
  .openapi("OfrepError");

const TgglVariationSchema = z.object({ active: z.boolean(), value: z.unknown() });
export const TgglConfigSchema = z
  .array(
    z.object({
      slug: z.string(),
      conditions: z.array(z.object({ rules: z.array(z.record(z.string(), z.unknown())), variation: TgglVariationSchema })),
      defaultVariation: TgglVariationSchema,
    }),
  )
  .openapi("TgglConfig", { description: "tggl-core's flag shapes, one per served flag" });

export const TgglFlagsSchema = z
  .record(z.string(), z.unknown())
  .openapi("TgglFlags", { description: "{<flag key>: value} for the flags whose served variation is active" });
export const TgglFlagsRequestSchema = z
  .union([EvaluationContextSchema, z.array(EvaluationContextSchema).max(1000)])
  .openapi("TgglFlagsRequest", { description: "one context, or an array of up to 1,000" });
