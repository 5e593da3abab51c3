// Public shapes of webhooks and deliveries.
import { z } from "@hono/zod-openapi";
import { ROLLGATE_EVENTS } from "../flags/model";
import { IdSchema, NameSchema, PageQuerySchema, TimestampSchema } from "../schemas";
import { WEBHOOK_FORMATS } from "./payload";
import { isReservedHeaderName, isTransportHeaderName, isValidHeaderName, isValidHeaderValue } from "./sign";

const EventsSchema = z
  .array(z.enum(ROLLGATE_EVENTS))
  .min(1, "name at least one event")
  .refine((events) => new Set(events).size === events.length, "events must not repeat")
  .openapi({ example: ["flag.toggled", "flag_state.updated"] });

/** JSON.parse keeps a "__proto__" key that a record parse would silently drop: refuse it instead. */
function refuseProtoKey(raw: unknown, ctx: { addIssue(issue: { code: "custom"; path: string[]; message: string }): void }) {
  if (raw !== null && typeof raw === "object" && Object.hasOwn(raw, "__proto__"))
    ctx.addIssue({ code: "custom", path: ["__proto__"], message: "not an allowed header name" });
  return raw;
}

export const HeadersInputSchema = z
  // How many, how long and how big are limits (422, src/webhooks/limits.ts), checked by the routes.
  .preprocess(refuseProtoKey, z.record(z.string(), z.string()))
  .superRefine((headers, ctx) => {
    const seen = new Set<string>();
    for (const [name, value] of Object.entries(headers)) {
      const lower = name.toLowerCase();
      if (!isValidHeaderName(name)) ctx.addIssue({ code: "custom", path: [name], message: "not a valid HTTP header name" });
      else if (isTransportHeaderName(name)) ctx.addIssue({ code: "custom", path: [name], message: "HTTP reserves this header to the transport; it cannot be set" });
      else if (isReservedHeaderName(name)) ctx.addIssue({ code: "custom", path: [name], message: "Flagpost sets this header itself; it cannot be overridden" });
      else if (seen.has(lower)) ctx.addIssue({ code: "custom", path: [name], message: "the same header is named twice" });
      if (!isValidHeaderValue(value)) ctx.addIssue({ code: "custom", path: [name], message: "not a valid HTTP header value" });
      seen.add(lower);
    }
  })
  .openapi({ description: "sent with every request; reads show the values masked", example: { Authorization: "Bearer s3cr3t-token" } });

const UrlSchema = z.string().trim().min(1).max(2048).openapi({ example: "https://hooks.example.com/flagpost" });
const SecretSchema = z.string().min(1).max(512).openapi({ description: "HMAC key; write-only, never returned" });
const EnvironmentsFilterSchema = z
  .array(z.string().max(64))
  .max(100)
  .nullable()
  .openapi({ description: "environment keys narrowing environment-scoped events; null: every environment" });

export const CreateWebhookSchema = z
  .object({
    name: NameSchema,
    url: UrlSchema,
    events: EventsSchema,
    secret: SecretSchema.optional(),
    headers: HeadersInputSchema.default({}),
    environments: EnvironmentsFilterSchema.optional(),
    format: z.enum(WEBHOOK_FORMATS).default("rollgate"),
    enabled: z.boolean().default(true),
  })
  .openapi("CreateWebhook");

export const UpdateWebhookSchema = z
  .object({
    name: NameSchema.optional(),
    url: UrlSchema.optional(),
    events: EventsSchema.optional(),
    secret: SecretSchema.nullable().optional().openapi({ description: "a new secret, or null to remove it" }),
    headers: HeadersInputSchema.optional(),
    environments: EnvironmentsFilterSchema.optional(),
    format: z.enum(WEBHOOK_FORMATS).optional(),
    enabled: z.boolean().optional(),
  })
  .openapi("UpdateWebhook");

export const WebhookSchema = z
  .object({
    id: IdSchema,
    name: z.string(),
    url: z.string(),
    events: z.array(z.string()),
    has_secret: z.boolean(),
    headers: z.record(z.string(), z.string()).openapi({ description: "names with masked values" }),
    environments: z.array(z.string()).nullable(),
    format: z.enum(WEBHOOK_FORMATS),
    enabled: z.boolean(),
    created_at: TimestampSchema,
    ed25519_public_key: z.string().nullable().openapi({ description: "Standard Webhooks public key (`whpk_…`) that verifies the `v1a` signature; null without a key pair" }),
  })
  .openapi("Webhook");

export const DELIVERY_STATUSES = ["pending", "succeeded", "failed"] as const;

export const DeliverySchema = z
  .object({
    id: IdSchema,
    event_id: IdSchema.nullable(),
    event: z.string(),
    status: z.enum(DELIVERY_STATUSES),
    attempt_count: z.number().int(),
    next_attempt_at: TimestampSchema.nullable(),
    last_status_code: z.number().int().nullable(),
    created_at: TimestampSchema,
    completed_at: TimestampSchema.nullable(),
  })
  .openapi("Delivery");

export const AttemptSchema = z
  .object({
    number: z.number().int(),
    started_at: TimestampSchema,
    duration_ms: z.number().int(),
    request: z.object({ url: z.string(), headers: z.record(z.string(), z.string()), body: z.string() }),
    response: z.object({ status_code: z.number().int(), headers: z.record(z.string(), z.string()), body: z.string() }).nullable(),
    error: z.string().nullable(),
  })
  .openapi("Attempt");

export const DeliveryDetailSchema = DeliverySchema.extend({ attempts: z.array(AttemptSchema) }).openapi("DeliveryDetail");

export const DeliveryQuerySchema = PageQuerySchema.extend({
  status: z.enum(DELIVERY_STATUSES).optional(),
  event: z.string().max(64).optional(),
});

export const TestResultSchema = z
  .object({ success: z.boolean(), status_code: z.number().int().nullable(), response_time_ms: z.number().int() })
  .openapi("WebhookTestResult");

export type CreateWebhookInput = z.infer<typeof CreateWebhookSchema>;
export type UpdateWebhookInput = z.infer<typeof UpdateWebhookSchema>;
export type Webhook = z.infer<typeof WebhookSchema>;
export type Delivery = z.infer<typeof DeliverySchema>;
export type Attempt = z.infer<typeof AttemptSchema>;
