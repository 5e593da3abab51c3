import { z } from "zod";
import { ROLLGATE_EVENTS, type RollgateEvent } from "../flags/model";

export const WEBHOOK_FORMATS = ["rollgate", "tggl", "slack", "sentry"] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];
/** The event a `…/test` request sends, whatever the webhook's filter. */
export const TEST_EVENT = "webhook.test" as const;
export type DeliveryEvent = RollgateEvent | typeof TEST_EVENT;
export interface NamedRef {
  id: string;
  key: string;
  name: string;
}
/** What a body needs besides the change itself. */
export interface EventContext {
  eventId: string;
  /** ISO-8601 UTC with a `Z` suffix. */
  timestamp: string;
  flag: NamedRef;
  project: NamedRef;
  actor: { id: string; email: string };
  /** The project's revision after the change (v1.1); absent on webhook.test bodies. */
  revision?: number;
}
// ---- Schemas: what Flagpost sends, for tests and the documentation -----------------------------

export const NamedRefSchema = z.object({ id: z.uuid(), key: z.string(), name: z.string() }).strict();
// ---- Schemas: what Flagpost sends, for tests and the documentation -----------------------------
export const ChangeSchema = z.looseObject({ __typename: z.string() });
// ---- Schemas: what Flagpost sends, for tests and the documentation -----------------------------
export const RollgateBodySchema = z
  .object({
    id: z.uuid(),
    event: z.enum([...ROLLGATE_EVENTS, TEST_EVENT]),
    timestamp: z.iso.datetime(),
    flag: z.object({ id: z.uuid(), key: z.string(), name: z.string(), enabled: z.boolean() }).strict(),
    environment: NamedRefSchema.nullable(),
    triggered_by: z.object({ id: z.uuid(), email: z.string() }).strict(),
    project: NamedRefSchema,
    changes: z.array(ChangeSchema),
    code_like_before: z.string(),
    code_like_after: z.string(),
    revision: z.number().int().min(1).optional(),
  })
  .strict();
// ---- Schemas: what Flagpost sends, for tests and the documentation -----------------------------
export type RollgateBody = z.infer<typeof RollgateBodySchema>;
// ---- Schemas: what Flagpost sends, for tests and the documentation -----------------------------
export const TgglBodySchema = z
  .object({
    flagSlug: z.string(),
    userEmail: z.string(),
    projectSlug: z.string(),
    codeLikeBefore: z.string(),
    codeLikeAfter: z.string(),
    changes: z.array(ChangeSchema),
  })
  .strict();
// ---- Schemas: what Flagpost sends, for tests and the documentation -----------------------------
export type TgglBody = z.infer<typeof TgglBodySchema>;
