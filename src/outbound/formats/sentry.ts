// The `sentry` format: Sentry's generic feature-flag change-tracking body (CONTRACT.md, "Receivers'
// toolkit"), which Sentry's "Feature Flags → Generic" integration validates field by field: `action`
// one of created/updated/deleted, `change_id` an integer (the project's revision), `created_at` a
// date-time, `created_by` {id, type}, `flag` the bare key as the SDKs report it. Signed in
// `X-Sentry-Signature` by sign.ts. Pure: a function of the rollgate body.
import { z } from "zod";
import type { RollgateBody } from "../bodies";

export const SentryBodySchema = z
  .object({
    data: z
      .array(
        z
          .object({
            action: z.enum(["created", "updated", "deleted"]),
            change_id: z.number().int(),
            created_at: z.iso.datetime(),
            created_by: z.object({ id: z.string(), type: z.literal("email") }).strict(),
            flag: z.string(),
          })
          .strict(),
      )
      .length(1),
    meta: z.object({ version: z.literal(1) }).strict(),
  })
  .strict();
export type SentryBody = z.infer<typeof SentryBodySchema>;

/**
 * `revision` is the change's project revision; null until the event carries one (then 0, which Sentry
 * still takes as an integer).
 */
export function buildSentryBody(body: RollgateBody, revision: number | null): SentryBody {
  const action = body.event === "flag.created" ? "created" : body.event === "flag.deleted" ? "deleted" : "updated";
  return {
    data: [{ action, change_id: revision ?? 0, created_at: body.timestamp, created_by: { id: body.triggered_by.email, type: "email" }, flag: body.flag.key }],
    meta: { version: 1 },
  };
}

export function renderSentryBody(body: RollgateBody, revision: number | null): string {
  return JSON.stringify(buildSentryBody(body, revision));
}
