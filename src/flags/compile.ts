// What an environment serves, compiled once per revision into tggl-core's shapes (CONTRACT.md v1.1,
// "What a flag serves"). Pure. The same compiled configuration answers OFREP and /tggl/config, so the
// two protocols cannot disagree; tggl-core itself evaluates the rules, so Tggl's SDKs cannot either.
//
// Beside each tggl-core condition the compiled flag keeps what Flagpost needs and Tggl's shape has
// no room for: which variation (id, name) it serves and with which OFREP reason.
import { Operator, type Flag as TgglFlag, type Rule as TgglRule } from "tggl-core";
import type { Condition, FlagState, Rule, Variation } from "./model";

export type Reason = "DISABLED" | "TARGETING_MATCH" | "SPLIT" | "STATIC" | "DEFAULT";

export interface ServedVariation {
  id: string;
  name: string;
  active: boolean;
  value: unknown;
}

export interface Outcome {
  variation: ServedVariation;
  reason: Reason;
}

/** One served flag: not archived, with its state in the environment. */
export interface ServedFlag {
  id: string;
  key: string;
  version: number;
  variations: Variation[];
  state: FlagState;
}

/** tggl-core's flag plus the slug, exactly what /tggl/config sends for one flag. */
export type TgglConfigFlag = { slug: string } & TgglFlag;

export interface CompiledFlag {
  key: string;
  id: string;
  version: number;
  stateVersion: number;
  tggl: TgglConfigFlag;
  /** What condition i of `tggl.conditions` serves, and why. */
  matched: Outcome[];
  /** What is served when no condition matches. */
  otherwise: Outcome;
}

export interface CompiledConfig {
  revision: number;
  environmentId: string;
  flags: CompiledFlag[];
  byKey: Map<string, CompiledFlag>;
}

export function compileConfig(environmentId: string, revision: number, flags: ServedFlag[]): CompiledConfig {
  const compiled = flags.map(compileFlag);
  return { revision, environmentId, flags: compiled, byKey: new Map(compiled.map((f) => [f.key, f])) };
}

/** The flag's seed: its id's first 8 hex digits, so a user's bucket survives a rename and is the same in every environment. */
export function flagSeed(flagId: string): number {
  return parseInt(flagId.replaceAll("-", "").slice(0, 8), 16);
}

export function compileFlag(flag: ServedFlag): CompiledFlag {
  const { state } = flag;
  const variation = (id: string): ServedVariation => servedVariation(flag.variations, id);
  const base = { key: flag.key, id: flag.id, version: flag.version, stateVersion: state.version };
  if (!state.enabled) {
    const otherwise: Outcome = { variation: variation(state.default_variation_id), reason: "DISABLED" };
    return { ...base, tggl: { slug: flag.key, conditions: [], defaultVariation: tgglVariation(otherwise.variation) }, matched: [], otherwise };
  }
  const seed = flagSeed(flag.id);
  const conditions = state.conditions.map((c) => ({
    rules: compileRules(c, seed),
    outcome: { variation: variation(c.variation_id), reason: "TARGETING_MATCH" as Reason },
  }));
  let otherwise: Outcome;
  if (state.rollout_percentage < 100) {
    const rollout: TgglRule = { key: "userId", operator: Operator.Percentage, rangeStart: 0, rangeEnd: state.rollout_percentage / 100, seed };
    conditions.push({ rules: [rollout], outcome: { variation: variation(state.rollout_variation_id), reason: "SPLIT" } });
    otherwise = { variation: variation(state.default_variation_id), reason: "SPLIT" };
  } else {
    otherwise = { variation: variation(state.rollout_variation_id), reason: state.conditions.length ? "DEFAULT" : "STATIC" };
  }
  return {
    ...base,
    tggl: {
      slug: flag.key,
      conditions: conditions.map((c) => ({ rules: c.rules, variation: tgglVariation(c.outcome.variation) })),
      defaultVariation: tgglVariation(otherwise.variation),
    },
    matched: conditions.map((c) => c.outcome),
    otherwise,
  };
}

function servedVariation(variations: Variation[], id: string): ServedVariation {
  const v = variations.find((x) => x.id === id);
  // Writes refuse a state that names a missing variation (422); should one slip through, it serves nothing.
  if (!v) return { id, name: "", active: false, value: null };
  return { id: v.id, name: v.name, active: v.active, value: v.value };
}

function tgglVariation(v: ServedVariation): { active: boolean; value: unknown } {
  return { active: v.active, value: v.value };
}

function compileRules(condition: Condition, seed: number): TgglRule[] {
  return condition.rules.flatMap((rule) => compileRule(rule, seed));
}

type ListOperatorRule = Extract<Rule, { values: string[] }>;
type ValueOperatorRule = Extract<Rule, { value: string | number }>;

/** The contract's table, for the operators that take `values`: tggl-core's operator and `negate`. */
const LIST_RULES: Record<
  ListOperatorRule["operator"],
  [Operator.StrEqual | Operator.StrStartsWith | Operator.StrEndsWith | Operator.StrContains | Operator.ArrOverlap, boolean]
> = {
  STR_EQUALS: [Operator.StrEqual, false],
  SELECT_EQUALS: [Operator.StrEqual, false],
  STR_NOT_EQUALS: [Operator.StrEqual, true],
  SELECT_NOT_EQUALS: [Operator.StrEqual, true],
  STR_STARTS_WITH: [Operator.StrStartsWith, false],
  STR_NOT_STARTS_WITH: [Operator.StrStartsWith, true],
  STR_ENDS_WITH: [Operator.StrEndsWith, false],
  STR_NOT_ENDS_WITH: [Operator.StrEndsWith, true],
  STR_CONTAINS: [Operator.StrContains, false],
  STR_NOT_CONTAINS: [Operator.StrContains, true],
  ARR_OVERLAP: [Operator.ArrOverlap, false],
  ARR_NOT_OVERLAP: [Operator.ArrOverlap, true],
};

/** The numeric comparisons: ≥ is "not <", ≤ is "not >". */
const NUMBER_RULES: Record<string, [Operator.Eq | Operator.Lt | Operator.Gt, boolean]> = {
  NUM_EQUALS: [Operator.Eq, false],
  NUM_NOT_EQUALS: [Operator.Eq, true],
  NUM_GT: [Operator.Gt, false],
  NUM_LT: [Operator.Lt, false],
  NUM_GTE: [Operator.Lt, true],
  NUM_LTE: [Operator.Gt, true],
};

const SEMVER_RULES: Record<string, Operator.SemverEq | Operator.SemverGte | Operator.SemverLte> = {
  SEMVER_IS: Operator.SemverEq,
  SEMVER_GTE: Operator.SemverGte,
  SEMVER_LTE: Operator.SemverLte,
};

/** One Flagpost rule as the tggl-core rule(s) of the contract's table. */
export function compileRule(rule: Rule, flagSeedValue: number): TgglRule[] {
  const key = rule.property;
  if ("values" in rule) {
    const [operator, negate] = LIST_RULES[rule.operator];
    return [{ key, operator, values: [...rule.values], negate }];
  }
  if ("value" in rule) return compileValueRule(rule, key);
  switch (rule.operator) {
    case "IS_TRUE":
    case "IS_FALSE":
      return [{ key, operator: Operator.True, negate: rule.operator === "IS_FALSE" }];
    case "IS_EMPTY":
    case "IS_NOT_EMPTY":
      return [{ key, operator: Operator.Empty, negate: rule.operator === "IS_NOT_EMPTY" }];
    case "PERCENTAGE":
      return [{ key, operator: Operator.Percentage, rangeStart: rule.range_start / 100, rangeEnd: rule.range_end / 100, seed: rule.seed ?? flagSeedValue }];
  }
}

function compileValueRule(rule: ValueOperatorRule, key: string): TgglRule[] {
  const op = rule.operator;
  if (op in NUMBER_RULES) {
    const [operator, negate] = NUMBER_RULES[op];
    return [{ key, operator, value: Number(rule.value), negate }];
  }
  if (op in SEMVER_RULES) return [{ key, operator: SEMVER_RULES[op], version: semverParts(rule.value), negate: false }];
  if (op === "DATE_AFTER" || op === "DATE_BEFORE") {
    const at = utcMillis(rule.value);
    return [{ key, operator: op === "DATE_AFTER" ? Operator.DateAfter : Operator.DateBefore, timestamp: at, iso: isoSeconds(at) }];
  }
  if (op === "DATE_IS") {
    // The whole UTC day: after its first millisecond and before its last.
    const day = Math.floor(utcMillis(rule.value) / 86_400_000) * 86_400_000;
    const end = day + 86_400_000 - 1;
    return [
      { key, operator: Operator.DateAfter, timestamp: day, iso: isoSeconds(day) },
      { key, operator: Operator.DateBefore, timestamp: end, iso: isoSeconds(end) },
    ];
  }
  if (op === "STR_BEFORE" || op === "STR_AFTER")
    return [{ key, operator: op === "STR_BEFORE" ? Operator.StrBefore : Operator.StrAfter, value: String(rule.value) }];
  if (op === "STR_REGEXP" || op === "STR_NOT_REGEXP") return [{ key, operator: Operator.RegExp, value: String(rule.value), negate: op === "STR_NOT_REGEXP" }];
  throw new Error(`no tggl-core rule for operator ${op}`);
}

/** A rule's date, read as UTC: Unix milliseconds, or ISO-8601 (a date-time without an offset is UTC). */
export function utcMillis(value: string | number): number {
  if (typeof value === "number") return value;
  const noOffset = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value);
  return Date.parse(noOffset ? `${value}Z` : value);
}

function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19);
}

/** The numeric parts of a version; writes refuse pre-release and build parts, so nothing else is there. */
export function semverParts(value: string | number): number[] {
  const numeric = /^\d+(\.\d+)*/.exec(String(value))?.[0] ?? "0";
  return numeric.split(".").map(Number);
}
