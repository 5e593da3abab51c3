// The code-like text: one environment's state in Tggl's human-readable layout (CONTRACT.md,
// "Changes and the code-like text"). It is meant for people and diffs, never for parsing, so where
// Tggl's docs show no wording for an operator the phrasing below is ours (see OPERATOR_WORDS).
import type { Condition, Flag, FlagState, Operator, Rule, Variation } from "./model";

const INDENT = "  ";

/** How each operator reads after the property name; list operators are followed by a `[ … ]` block. */
const OPERATOR_WORDS: Record<Operator, string> = {
  STR_EQUALS: "IS ONE OF",
  STR_NOT_EQUALS: "IS NOT ONE OF",
  STR_STARTS_WITH: "STARTS WITH ONE OF",
  STR_NOT_STARTS_WITH: "DOES NOT START WITH ONE OF",
  STR_ENDS_WITH: "ENDS WITH ONE OF",
  STR_NOT_ENDS_WITH: "DOES NOT END WITH ONE OF",
  STR_CONTAINS: "CONTAINS ONE OF",
  STR_NOT_CONTAINS: "DOES NOT CONTAIN ONE OF",
  SELECT_EQUALS: "IS ONE OF",
  SELECT_NOT_EQUALS: "IS NOT ONE OF",
  ARR_OVERLAP: "HAS ONE OF",
  ARR_NOT_OVERLAP: "HAS NONE OF",
  NUM_EQUALS: "==",
  NUM_NOT_EQUALS: "!=",
  NUM_GT: ">",
  NUM_GTE: ">=",
  NUM_LT: "<",
  NUM_LTE: "<=",
  DATE_AFTER: "IS AFTER",
  DATE_BEFORE: "IS BEFORE",
  DATE_IS: "IS ON",
  // Tggl's app calls these "exact version", "min version" and "max version".
  SEMVER_IS: "IS VERSION",
  SEMVER_GTE: "IS AT LEAST VERSION",
  SEMVER_LTE: "IS AT MOST VERSION",
  // Lexical order, worded apart from the date operators so the two never read alike.
  STR_BEFORE: "COMES BEFORE",
  STR_AFTER: "COMES AFTER",
  STR_REGEXP: "MATCHES",
  STR_NOT_REGEXP: "DOES NOT MATCH",
  IS_TRUE: "IS TRUE",
  IS_FALSE: "IS FALSE",
  IS_EMPTY: "IS EMPTY",
  IS_NOT_EMPTY: "IS NOT EMPTY",
  PERCENTAGE: "OF",
};

/** The whole state of `flag` in environment `envKey`; "" when the flag has no state there. */
export function renderCodeLike(flag: Flag, envKey: string): string {
  const state = flag.environments[envKey];
  if (!state) return "";
  return renderState(state, flag.variations);
}

export function renderState(state: FlagState, variations: Variation[]): string {
  if (!state.enabled) return renderVariation(findVariation(variations, state.default_variation_id, "default"));
  const branches = state.conditions.map((condition) => branchLines(condition, variations));
  const rolloutVariation = findVariation(variations, state.rollout_variation_id, "rollout");
  if (state.rollout_percentage < 100) {
    branches.push({ when: [rolloutLine(state.rollout_percentage)], serves: renderVariation(rolloutVariation) });
  }
  if (branches.length === 0) return renderVariation(rolloutVariation);
  const fallback = state.rollout_percentage < 100 ? findVariation(variations, state.default_variation_id, "default") : rolloutVariation;
  const lines = branches.flatMap((branch, i) => [i === 0 ? "IF" : "ELSE IF", ...branch.when, "THEN", INDENT + branch.serves]);
  return [...lines, "ELSE", INDENT + renderVariation(fallback)].join("\n");
}

/** One condition as a self-contained `IF … THEN …` block: the `codeLike` of a Tggl condition. */
export function renderCondition(condition: Condition, variations: Variation[]): string {
  const branch = branchLines(condition, variations);
  return ["IF", ...branch.when, "THEN", INDENT + branch.serves].join("\n");
}

/** `<name> (value: <JSON>)` when active, `<name> (inactive)` when not. */
export function renderVariation(variation: Variation): string {
  return variation.active ? `${variation.name} (value: ${json(variation.value)})` : `${variation.name} (inactive)`;
}

/** One rule, each line indented once (a list spans several lines). */
export function renderRule(rule: Rule): string[] {
  const head = `${INDENT}${rule.property} ${OPERATOR_WORDS[rule.operator]}`;
  if ("values" in rule) {
    if (rule.operator === "STR_EQUALS" && rule.values.length === 1) return [`${INDENT}${rule.property} == ${json(rule.values[0])}`];
    return [`${head} [`, ...rule.values.map((v) => `${INDENT}${INDENT}${json(v)},`), `${INDENT}]`];
  }
  if ("value" in rule) return [`${head} ${json(rule.value)}`];
  if (rule.operator === "PERCENTAGE") {
    const seed = rule.seed === undefined ? "" : ` WITH SEED ${rule.seed}`;
    const range = `(${percent(rule.range_start)} TO ${percent(rule.range_end)})`;
    return [`${INDENT}${percent(rule.range_end - rule.range_start)} OF ${rule.property} ${range}${seed}`];
  }
  return [head];
}

interface Branch {
  when: string[];
  serves: string;
}

function branchLines(condition: Condition, variations: Variation[]): Branch {
  // A condition without rules matches every context.
  const when =
    condition.rules.length === 0
      ? [`${INDENT}EVERYONE`]
      : condition.rules.flatMap((rule, i) => (i === 0 ? renderRule(rule) : [`${INDENT}AND`, ...renderRule(rule)]));
  return { when, serves: renderVariation(findVariation(variations, condition.variation_id, "condition")) };
}

function rolloutLine(percentage: number): string {
  return `${INDENT}${percent(percentage)} OF userId (0% TO ${percent(percentage)})`;
}

// The API refuses to delete a variation a state still uses, so a miss means inconsistent data:
// render something legible rather than throw inside a webhook body.
function findVariation(variations: Variation[], id: string, role: string): Variation {
  const missing = { id, name: `Unknown ${role} variation`, description: "", color: "", active: false, value: null, order: -1 };
  return variations.find((v) => v.id === id) ?? missing;
}

function percent(n: number): string {
  return `${Number(n.toFixed(6))}%`;
}

function json(value: unknown): string {
  return JSON.stringify(value) ?? "null";
}
