// What an environment serves, compiled once per revision into tggl-core's shapes (CONTRACT.md v1.1,
// "What a flag serves"). Pure. The same compiled configuration answers OFREP and /tggl/config, so the
// two protocols cannot disagree; tggl-core itself evaluates the rules, so Tggl's SDKs cannot either.
//
// Beside each tggl-core condition the compiled flag keeps what Flagpost needs and Tggl's shape has
// no room for: which variation (id, name) it serves and with which OFREP reason.
import { Operator, type Flag as TgglFlag, type Rule as TgglRule } from "tggl-core";
import type { Condition, FlagState, Rule, Variation } from "../flags/model";

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
  const conditions = state.conditions.map((c) => ({ rules: compileRules(c, seed), outcome: { variation: variation(c.variation_id), reason: "TARGETING_MATCH" as Reason } }));
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

/** One Flagpost rule as the tggl-core rule(s) of the contract's table. */
export function compileRule(rule: Rule, flagSeedValue: number): TgglRule[] {
  const key = rule.property;
  switch (rule.operator) {
    case "STR_EQUALS":
    case "SELECT_EQUALS":
      return [{ key, operator: Operator.StrEqual, values: [...rule.values], negate: false }];
    case "STR_NOT_EQUALS":
    case "SELECT_NOT_EQUALS":
      return [{ key, operator: Operator.StrEqual, values: [...rule.values], negate: true }];
    case "STR_STARTS_WITH":
    case "STR_NOT_STARTS_WITH":
      return [{ key, operator: Operator.StrStartsWith, values: [...rule.values], negate: rule.operator !== "STR_STARTS_WITH" }];
    case "STR_ENDS_WITH":
    case "STR_NOT_ENDS_WITH":
      return [{ key, operator: Operator.StrEndsWith, values: [...rule.values], negate: rule.operator !== "STR_ENDS_WITH" }];
    case "STR_CONTAINS":
    case "STR_NOT_CONTAINS":
      return [{ key, operator: Operator.StrContains, values: [...rule.values], negate: rule.operator !== "STR_CONTAINS" }];
    case "ARR_OVERLAP":
    case "ARR_NOT_OVERLAP":
      return [{ key, operator: Operator.ArrOverlap, values: [...rule.values], negate: rule.operator !== "ARR_OVERLAP" }];
    case "NUM_EQUALS":
      return [{ key, operator: Operator.Eq, value: Number(rule.value), negate: false }];
    case "NUM_NOT_EQUALS":
      return [{ key, operator: Operator.Eq, value: Number(rule.value), negate: true }];
    case "NUM_GT":
      return [{ key, operator: Operator.Gt, value: Number(rule.value), negate: false }];
    case "NUM_LT":
      return [{ key, operator: Operator.Lt, value: Number(rule.value), negate: false }];
    case "NUM_GTE":
      return [{ key, operator: Operator.Lt, value: Number(rule.value), negate: true }];
    case "NUM_LTE":
      return [{ key, operator: Operator.Gt, value: Number(rule.value), negate: true }];
    case "DATE_AFTER":
    case "DATE_BEFORE": {
      const at = utcMillis(rule.value);
      return [{ key, operator: rule.operator === "DATE_AFTER" ? Operator.DateAfter : Operator.DateBefore, timestamp: at, iso: isoSeconds(at) }];
    }
    case "DATE_IS": {
      const day = Math.floor(utcMillis(rule.value) / 86_400_000) * 86_400_000;
      const end = day + 86_400_000 - 1;
      return [
        { key, operator: Operator.DateAfter, timestamp: day, iso: isoSeconds(day) },
        { key, operator: Operator.DateBefore, timestamp: end, iso: isoSeconds(end) },
      ];
    }
    case "SEMVER_IS":
    case "SEMVER_GTE":
    case "SEMVER_LTE": {
      const operator = rule.operator === "SEMVER_IS" ? Operator.SemverEq : rule.operator === "SEMVER_GTE" ? Operator.SemverGte : Operator.SemverLte;
      return [{ key, operator, version: semverParts(rule.value), negate: false }];
    }
    case "STR_BEFORE":
      return [{ key, operator: Operator.StrBefore, value: String(rule.value) }];
    case "STR_AFTER":
      return [{ key, operator: Operator.StrAfter, value: String(rule.value) }];
    case "STR_REGEXP":
    case "STR_NOT_REGEXP":
      return [{ key, operator: Operator.RegExp, value: String(rule.value), negate: rule.operator === "STR_NOT_REGEXP" }];
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
