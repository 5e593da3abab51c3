// Public shapes of the receivers' toolkit (CONTRACT.md, "Receivers' toolkit"): rotation, the ed25519
// key, the verification debugger and the event catalog.
import { z } from "@hono/zod-openapi";
import { IdSchema, TimestampSchema } from "../kernel/schemas";
import { WEBHOOK_FORMATS } from "../outbound/bodies";

/** The longest overlap a rotation may keep the previous secret signing: seven days. */
export const MAX_PREVIOUS_EXPIRY_SECONDS = 604_800;

export const RotateSecretSchema = z
  .object({
    secret: z.string().min(1).max(512).optional().openapi({ description: "the new secret; without one, 24 random bytes as base64url are generated" }),
    previous_expires_in_seconds: z
      .number()
      .int()
      .min(0)
      .max(MAX_PREVIOUS_EXPIRY_SECONDS)
      .default(86_400)
      .openapi({ description: "how long the previous secret keeps signing beside the new one (0–604800, default 86400)" }),
  })
  .openapi("RotateSecret");

export const RotatedSecretSchema = z
  .object({
    secret: z.string().openapi({ description: "the new secret, shown only here" }),
    standard_webhooks_secret: z.string().openapi({ description: "`whsec_` + base64 of the secret's UTF-8 bytes, for the Standard Webhooks libraries" }),
    previous_expires_at: TimestampSchema.nullable().openapi({
      description: "until when the previous secret also signs; null when there was none or the overlap is 0",
    }),
  })
  .openapi("RotatedSecret");

export const Ed25519KeySchema = z
  .object({ public_key: z.string().openapi({ description: "`whpk_` + base64 of the raw 32-byte public key" }) })
  .openapi("Ed25519Key");

export const VerifyRequestSchema = z
  .object({
    webhook_id: IdSchema.optional().openapi({ description: "the webhook the delivery came from: its secrets and the body it sent are compared" }),
    secret: z.string().min(1).max(512).optional().openapi({ description: "the secret your receiver verifies with" }),
    headers: z.record(z.string(), z.string().max(8192)).openapi({ description: "the request's headers as your receiver got them" }),
    body: z.string().openapi({ description: "the raw body as your receiver got it" }),
  })
  .openapi("VerifyRequest");

export const VerifyCheckSchema = z
  .object({
    check: z.string().openapi({ example: "rollgate_signature" }),
    ok: z.boolean(),
    detail: z.string().openapi({ description: "what was found, in words a receiver can act on" }),
  })
  .openapi("VerifyCheck");

export const VerifyResultSchema = z
  .object({ valid: z.boolean().openapi({ description: "true when every check passed" }), checks: z.array(VerifyCheckSchema) })
  .openapi("VerifyResult");

export const EventTypeSchema = z
  .object({
    event: z.string().openapi({ example: "flag.toggled" }),
    description: z.string(),
    environment_scoped: z
      .boolean()
      .openapi({ description: "whether a webhook's `environments` filter narrows this event (it names the environment it happened in)" }),
    samples: z.partialRecord(z.enum(WEBHOOK_FORMATS), z.unknown()).openapi({
      description: "a sample body in each format the event is sent in (webhook.disabled: not sentry), rendered by the code that renders real deliveries",
    }),
  })
  .openapi("EventType");

export const EventTypeListSchema = z.object({ data: z.array(EventTypeSchema), next_cursor: z.null() }).openapi("EventTypeList");

export type RotateSecretInput = z.infer<typeof RotateSecretSchema>;
export type RotatedSecret = z.infer<typeof RotatedSecretSchema>;
export type VerifyCheck = z.infer<typeof VerifyCheckSchema>;
export type VerifyResult = z.infer<typeof VerifyResultSchema>;
