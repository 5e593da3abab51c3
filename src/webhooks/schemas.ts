// Public shapes of webhooks and deliveries.
import { z } from "@hono/zod-openapi";
import { ROLLGATE_EVENTS } from "../flags/model";
import { IdSchema, NameSchema, PageQuerySchema, TimestampSchema } from "../kernel/schemas";
import { isReservedHeaderName, isTransportHeaderName, isValidHeaderName, isValidHeaderValue } from "../outbound/sign";
import { WEBHOOK_FORMATS } from "../outbound/bodies";
import { CHANGE_REQUEST_EVENTS } from "../outbound/formats/change-request";

/**
 * What a webhook may subscribe to: the change events, and another webhook disabled (an organization
 * webhook hears of every webhook of the organization, a project webhook of its own project's). The
 * event catalog (event-types.ts) is generated from this list.
 */
export const WEBHOOK_EVENTS = [...ROLLGATE_EVENTS, "webhook.disabled", ...CHANGE_REQUEST_EVENTS] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

const EventsSchema = z
  .array(z.enum(WEBHOOK_EVENTS))
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
      else if (isTransportHeaderName(name))
        ctx.addIssue({ code: "custom", path: [name], message: "HTTP reserves this header to the transport; it cannot be set" });
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
    format: z.enum(WEBHOOK_FORMATS).default("rollgate").openapi({ description: "a sentry webhook may not subscribe to webhook.disabled (422)" }),
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

export const WebhookHealthSchema = z
  .object({
    state: z.enum(["healthy", "failing", "circuit_open", "disabled"]),
    consecutive_failures: z.number().int(),
    last_success_at: TimestampSchema.nullable(),
    last_failure_at: TimestampSchema.nullable(),
    disabled_reason: z.enum(["gone", "failing"]).nullable().openapi({ description: "why Flagpost disabled the webhook; null when it did not" }),
    disabled_at: TimestampSchema.nullable(),
  })
  .openapi("WebhookHealth", {
    description: "failed attempts in a row open the circuit (5); failing with no success for WEBHOOK_AUTO_DISABLE_SECONDS disables it",
  });

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
    ed25519_public_key: z
      .string()
      .nullable()
      .openapi({ description: "Standard Webhooks public key (`whpk_…`) that verifies the `v1a` signature; null without a key pair" }),
    health: WebhookHealthSchema,
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
    error: z.string().nullable().openapi({ description: 'why the delivery ended without an attempt saying so, e.g. "webhook disabled"' }),
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

export const STATS_WINDOWS = { "1h": 3600_000, "24h": 86_400_000, "7d": 7 * 86_400_000 } as const;

export const StatsQuerySchema = z.object({ window: z.enum(["1h", "24h", "7d"]).default("24h") });

export const WebhookStatsSchema = z
  .object({
    window: z.enum(["1h", "24h", "7d"]),
    attempts: z.number().int(),
    succeeded: z.number().int(),
    failed: z.number().int(),
    success_rate: z.number().min(0).max(1).openapi({ description: "succeeded / attempts; 0 with no attempt" }),
    latency_ms: z.object({ p50: z.number().int().nullable(), p95: z.number().int().nullable() }),
    last_success_at: TimestampSchema.nullable(),
    last_failure_at: TimestampSchema.nullable(),
  })
  .openapi("WebhookStats");

export const RecoverSchema = z
  .object({
    since: z
      .string()
      .refine((s) => !Number.isNaN(Date.parse(s)), "not an ISO-8601 time")
      .openapi({ example: "2026-01-25T00:00:00Z", description: "failed deliveries created at or after this moment get one more attempt" }),
  })
  .openapi("RecoverDeliveries");

export const RecoverResultSchema = z
  .object({
    deliveries: z.number().int().openapi({ description: "failed deliveries given one more attempt by this call (at most 1,000), oldest first" }),
    more: z.boolean().openapi({ description: "true when failed deliveries since that moment are left: call again" }),
  })
  .openapi("RecoverResult");

export type CreateWebhookInput = z.infer<typeof CreateWebhookSchema>;
export type UpdateWebhookInput = z.infer<typeof UpdateWebhookSchema>;
export type Webhook = z.infer<typeof WebhookSchema>;
export type Delivery = z.infer<typeof DeliverySchema>;
export type Attempt = z.infer<typeof AttemptSchema>;
