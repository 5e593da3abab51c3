// Public shapes of flags, variations, states, conditions and rules: request validation, the OpenAPI
// document and the types, from one place.
import { z } from "@hono/zod-openapi";
import { IdSchema, KeySchema, NameSchema, TimestampSchema, VersionField } from "../kernel/schemas";
import { BARE_OPERATORS, FLAG_TYPES, LIST_OPERATORS, VALUE_OPERATORS } from "./model";
import { patternProblem } from "./pattern";

const PropertySchema = z.string().trim().min(1).max(128).openapi({ example: "userId" });

const ListRuleSchema = z.object({
  id: IdSchema.optional(),
  property: PropertySchema,
  operator: z.enum(LIST_OPERATORS),
  values: z.array(z.string().max(1024)).min(1).max(1000),
});
const ValueRuleSchema = z.object({
  id: IdSchema.optional(),
  property: PropertySchema,
  operator: z.enum(VALUE_OPERATORS),
  value: z.union([z.string().max(1024), z.number()]),
});
const BareRuleSchema = z.object({
  id: IdSchema.optional(),
  property: PropertySchema,
  operator: z.enum(BARE_OPERATORS),
});
const PercentageRuleSchema = z.object({
  id: IdSchema.optional(),
  property: PropertySchema,
  operator: z.literal("PERCENTAGE"),
  range_start: z.number().min(0).max(100),
  range_end: z.number().min(0).max(100),
  seed: z.number().int().optional(),
});

export const RuleInputSchema = z
  .discriminatedUnion("operator", [ListRuleSchema, ValueRuleSchema, BareRuleSchema, PercentageRuleSchema])
  .superRefine((rule, ctx) => {
    for (const issue of ruleValueIssues(rule)) ctx.addIssue({ code: "custom", message: issue.message, path: issue.path });
  })
  .openapi("Rule", { description: "A rule over one context property; the operator decides which fields it takes." });

/**
 * Checks a rule's operand beyond its type: numbers for NUM_*, dates, semvers, patterns, ranges.
 * Every write that takes rules (a state PATCH, a dry run, the what-if preview's patch) validates
 * them with this schema, so a pattern flags/pattern.ts cannot match in linear time is never stored
 * nor evaluated.
 */
function ruleValueIssues(rule: z.infer<typeof ListRuleSchema | typeof ValueRuleSchema | typeof BareRuleSchema | typeof PercentageRuleSchema>) {
  const issues: { message: string; path: string[] }[] = [];
  if (rule.operator === "PERCENTAGE") {
    if (rule.range_start >= rule.range_end) issues.push({ message: "range_start must be below range_end", path: ["range_start"] });
    return issues;
  }
  if (!("value" in rule)) return issues;
  const { operator, value } = rule;
  if (operator.startsWith("NUM_") && typeof value !== "number") issues.push({ message: `${operator} takes a number`, path: ["value"] });
  // A number is Unix milliseconds, and only those a Date can hold (±8.64e15) are a date.
  if (operator.startsWith("DATE_") && Number.isNaN(typeof value === "number" ? new Date(value).getTime() : Date.parse(value)))
    issues.push({ message: `${operator} takes a date (ISO-8601 or Unix milliseconds)`, path: ["value"] });
  // Tggl's evaluator compares versions number by number: a pre-release or build part has no meaning
  // there, so it is refused rather than silently ignored (CONTRACT.md v1.1).
  if (operator.startsWith("SEMVER_") && !/^\d+(\.\d+){0,2}$/.test(String(value)))
    issues.push({
      message: /^\d+(\.\d+){0,2}[-+]/.test(String(value))
        ? `${operator} rule on "${rule.property}"${rule.id ? ` (${rule.id})` : ""}: a version with a pre-release or build part cannot be compared; use numbers only, like 1.2.3`
        : `${operator} rule on "${rule.property}" takes a version like 1.2.3`,
      path: ["value"],
    });
  if (operator.endsWith("REGEXP")) {
    const problem = typeof value === "string" ? patternProblem(value) : `${operator} takes a pattern (a string)`;
    if (problem) issues.push({ message: problem, path: ["value"] });
  }
  return issues;
}

export const ConditionInputSchema = z
  .object({
    id: IdSchema.optional(),
    name: z.string().trim().max(200).default(""),
    variation_id: IdSchema,
    rules: z.array(RuleInputSchema).min(1).max(100),
  })
  .openapi("ConditionInput");

export const RuleSchema = RuleInputSchema;
export const ConditionSchema = z.object({ id: IdSchema, name: z.string(), variation_id: IdSchema, rules: z.array(RuleInputSchema) }).openapi("Condition");

export const VariationSchema = z
  .object({
    id: IdSchema,
    name: z.string(),
    description: z.string(),
    color: z.string(),
    active: z.boolean(),
    value: z.unknown(),
    order: z.number().int(),
  })
  .openapi("Variation");

const ColorSchema = z.string().regex(/^#[0-9a-fA-F]{6}$/, "must be a colour like #22c55e");

export const VariationInputSchema = z
  .object({
    id: IdSchema.optional(),
    name: NameSchema,
    description: z.string().max(2000).default(""),
    color: ColorSchema.optional(),
    active: z.boolean().default(true),
    value: z.unknown(),
  })
  .openapi("VariationInput");

export const SharingSchema = z.object({ share_with_everyone: z.boolean(), roles: z.array(z.string().trim().min(1).max(100)).max(100) }).openapi("Sharing");

export const FlagStateSchema = z
  .object({
    enabled: z.boolean(),
    rollout_percentage: z.number().int().min(0).max(100),
    rollout_variation_id: IdSchema,
    conditions: z.array(ConditionSchema),
    default_variation_id: IdSchema,
    version: z.number().int(),
  })
  .openapi("FlagState");

export const FlagSchema = z
  .object({
    id: IdSchema,
    key: KeySchema,
    name: z.string(),
    description: z.string(),
    type: z.enum(FLAG_TYPES),
    tags: z.array(z.string()),
    variations: z.array(VariationSchema),
    archived: z.boolean(),
    sharing: SharingSchema,
    version: z.number().int(),
    environments: z.record(z.string(), FlagStateSchema),
    created_at: TimestampSchema,
    updated_at: TimestampSchema,
  })
  .openapi("Flag");

const TagsSchema = z.array(z.string().trim().min(1).max(64)).max(50);

/** Why a change was made: the change log keeps it with the change (never part of the flag). */
export const CommentSchema = z.string().trim().max(500).openapi({ description: "why: the change log keeps it beside the change (at most 500 characters)" });

export const CreateFlagSchema = z
  .object({
    key: KeySchema,
    name: NameSchema,
    description: z.string().max(2000).default(""),
    type: z.enum(FLAG_TYPES).default("boolean"),
    tags: TagsSchema.default([]),
    variations: z.array(VariationInputSchema).min(1).max(100).optional(),
    sharing: SharingSchema.optional(),
    comment: CommentSchema.optional(),
  })
  .openapi("CreateFlag");

export const UpdateFlagSchema = z
  .object({
    key: KeySchema.optional(),
    name: NameSchema.optional(),
    description: z.string().max(2000).optional(),
    tags: TagsSchema.optional(),
    archived: z.boolean().optional(),
    sharing: SharingSchema.optional(),
    variations: z.array(VariationInputSchema).min(1).max(100).optional(),
    version: VersionField,
    comment: CommentSchema.optional(),
  })
  .openapi("UpdateFlag");

export const UpdateFlagStateSchema = z
  .object({
    enabled: z.boolean().optional(),
    rollout_percentage: z.number().int().min(0).max(100).optional(),
    rollout_variation_id: IdSchema.optional(),
    conditions: z.array(ConditionInputSchema).max(100).optional(),
    default_variation_id: IdSchema.optional(),
    version: VersionField,
    comment: CommentSchema.optional(),
  })
  .openapi("UpdateFlagState");

/** What the writer applies: the body without its comment, which travels beside the change instead. */
export type CreateFlagInput = Omit<z.infer<typeof CreateFlagSchema>, "comment">;
export type UpdateFlagInput = Omit<z.infer<typeof UpdateFlagSchema>, "comment">;
export type UpdateFlagStateInput = Omit<z.infer<typeof UpdateFlagStateSchema>, "comment">;
export type VariationInput = z.infer<typeof VariationInputSchema>;
export type ConditionInput = z.infer<typeof ConditionInputSchema>;
export const EvaluationContextSchema = z.record(z.string(), z.unknown()).openapi("EvaluationContext", {
  description: "A JSON object of properties; `userId` buckets rollouts (OFREP: `targetingKey` stands for it when it is absent or null)",
  example: { targetingKey: "user-42", plan: "pro" },
});
export const OFREP_REASONS = ["DISABLED", "TARGETING_MATCH", "SPLIT", "STATIC", "DEFAULT"] as const;
