// Our flag shapes as Tggl's webhook `changes` carry them (CONTRACT.md, "Changes and the code-like text").
//
// Where the contract names Tggl's fields they are used exactly: a condition's `rules` keyed by rule id,
// each `{order, operator, params, contextProperty: {id, name, key}}`, and its `codeLike`. Where Tggl's
// published schema could not be consulted, these choices hold and are part of the wire format:
// - Variation: every field of ours, camelCase being already the case: `{id, name, description, color,
//   active, value, order}`.
// - Condition: `{id, name, order, variation, rules, codeLike}`; `order` is the position in the
//   environment's list (the rollout comes last), `variation` the full Variation it serves, or null.
// - Rule params follow Tggl's own naming (`values`, `value`, `rangeStart`, `rangeEnd`, `seed`), with
//   percentages on our 0–100 scale so they read like the API's `range_start` / `range_end`.
// - Tag: `{id, name, color}`. Our tags are bare names, so the id is derived from the name and the
//   color is null; context properties likewise get an id derived from their key, and their key as name.
import { renderCondition } from "./code-like";
import type { Condition, Operator, Rule, Variation } from "./model";

/** Tggl's Variation has exactly our fields; the alias names the wire shape where it is sent. */
export type TgglVariation = Variation;

export interface TgglTag {
  id: string;
  name: string;
  color: string | null;
}

export interface TgglContextProperty {
  id: string;
  name: string;
  key: string;
}

export type TgglRuleParams =
  | { values: string[] }
  | { value: string | number }
  | { rangeStart: number; rangeEnd: number; seed?: number }
  | Record<string, never>;

export interface TgglRule {
  order: number;
  operator: Operator;
  params: TgglRuleParams;
  contextProperty: TgglContextProperty;
}

export interface TgglCondition {
  id: string;
  name: string;
  order: number;
  variation: TgglVariation | null;
  rules: Record<string, TgglRule>;
  codeLike: string;
}

export function toTgglVariation(variation: Variation): TgglVariation {
  const { id, name, description, color, active, value, order } = variation;
  return { id, name, description, color, active, value, order };
}

export function toTgglTag(name: string): TgglTag {
  return { id: derivedId("tag", name), name, color: null };
}

export function toTgglContextProperty(key: string): TgglContextProperty {
  return { id: derivedId("context-property", key), name: key, key };
}

export function toTgglRule(rule: Rule, order: number): TgglRule {
  return { order, operator: rule.operator, params: ruleParams(rule), contextProperty: toTgglContextProperty(rule.property) };
}

/** `order` is the condition's position among the environment's conditions (the rollout's is last). */
export function toTgglCondition(condition: Condition, order: number, variations: Variation[]): TgglCondition {
  const variation = variations.find((v) => v.id === condition.variation_id);
  return {
    id: condition.id,
    name: condition.name,
    order,
    variation: variation ? toTgglVariation(variation) : null,
    rules: Object.fromEntries(condition.rules.map((rule, i) => [rule.id, toTgglRule(rule, i)])),
    codeLike: renderCondition(condition, variations),
  };
}

function ruleParams(rule: Rule): TgglRuleParams {
  if ("values" in rule) return { values: [...rule.values] };
  if ("value" in rule) return { value: rule.value };
  if (rule.operator === "PERCENTAGE") {
    const range = { rangeStart: rule.range_start, rangeEnd: rule.range_end };
    return rule.seed === undefined ? range : { ...range, seed: rule.seed };
  }
  return {};
}

/**
 * A UUID-shaped id that is always the same for the same (namespace, name): things that have no id of
 * their own (tags, context properties, the synthetic rollout condition) keep one id across events, so
 * receivers can match them up. Shaped as a version-8 ("custom") UUID, RFC 9562 §5.8.
 */
export function derivedId(namespace: string, name: string): string {
  const text = `${namespace}\u0000${name}`;
  const hex = [0x9e3779b9, 0x85ebca6b, 0xc2b2ae35, 0x27d4eb2f].map((seed) => hash32(text, seed).toString(16).padStart(8, "0")).join("");
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

// FNV-1a over UTF-16 code units, seeded, then Murmur3's finalizer so nearby inputs spread over all bits.
// Not cryptographic; it only needs to be stable and well spread.
function hash32(text: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
