// Public shapes of the dry run (`?dry_run=true` on every flag write) and of the what-if preview
// (CONTRACT.md v1.1, "Receivers' toolkit").
import { z } from "@hono/zod-openapi";
import { EnvironmentSchema } from "./routes";
import { IdSchema } from "../kernel/schemas";
import { ROLLGATE_EVENTS } from "../flags/model";
import { FlagSchema, FlagStateSchema, UpdateFlagStateSchema } from "../flags/schemas";
import { EvaluationContextSchema } from "../flags/schemas";
import { OFREP_REASONS } from "../flags/schemas";
import { WEBHOOK_FORMATS } from "../outbound/bodies";

export const DryRunQuerySchema = z.object({
  dry_run: z.enum(["true", "false"]).optional().openapi({
    description:
      "true: answer 200 with what the write would do (the resource as it would be, the events and the webhooks each would reach), and store, bump and send nothing",
  }),
});

export const DryRunEventSchema = z
  .object({
    event: z.enum(ROLLGATE_EVENTS),
    environment: z.union([EnvironmentSchema, z.null()]).openapi({ description: "null for flag-level events" }),
    changes: z.array(z.looseObject({ __typename: z.string() })),
    code_like_before: z.string(),
    code_like_after: z.string(),
    webhooks: z.array(z.object({ id: IdSchema, name: z.string(), format: z.enum(WEBHOOK_FORMATS) })).openapi({
      description: "the webhooks that would get this event now: the project's and the organization's, enabled, whose events and environments filters match",
    }),
  })
  .openapi("DryRunEvent");

const dryRunOf = <T extends z.ZodType>(result: T, name: string, description: string) =>
  z.object({ dry_run: z.literal(true), result: result.openapi({ description }), events: z.array(DryRunEventSchema) }).openapi(name);

export const DryRunFlagSchema = dryRunOf(FlagSchema, "DryRunFlag", "the flag as it would be (ids a dry run creates are not reserved)");
export const DryRunFlagStateSchema = dryRunOf(FlagStateSchema, "DryRunFlagState", "the state as it would be");
export const DryRunDeletionSchema = dryRunOf(z.null(), "DryRunFlagDeletion", "null: the flag would no longer exist (the event's code_like_before shows it)");

export const MAX_PREVIEW_CONTEXTS = 1000;

export const StatePreviewRequestSchema = z
  .object({
    patch: UpdateFlagStateSchema.openapi({ description: "the body a state PATCH would take (a stale `version` is 409)" }),
    contexts: z
      .array(EvaluationContextSchema)
      .max(MAX_PREVIEW_CONTEXTS)
      .openapi({ description: `up to ${MAX_PREVIEW_CONTEXTS} contexts, each read as OFREP reads one` }),
  })
  .openapi("StatePreviewRequest");

export const PreviewOutcomeSchema = z
  .object({
    variant: z.string().openapi({ description: "the served variation's name" }),
    value: z.unknown(),
    active: z.boolean(),
    reason: z.enum(OFREP_REASONS),
  })
  .openapi("PreviewOutcome");

export const StatePreviewSchema = z
  .object({
    results: z
      .array(z.object({ before: PreviewOutcomeSchema, after: PreviewOutcomeSchema }))
      .openapi({ description: "one per context, in the request's order" }),
    changed: z.number().int().min(0).openapi({ description: "how many contexts would be served another variant or value" }),
  })
  .openapi("StatePreview");
