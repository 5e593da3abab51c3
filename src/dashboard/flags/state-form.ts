// One environment's targeting as a form: the state as a draft of plain strings, read from and written
// to field names like `c0.r1.values`, the editor's intents (add, remove and move conditions and
// rules) applied on the server so the editor works without JavaScript, and the draft turned into the
// PATCH the API takes, with the API's complaints filed under the field they concern.
import type { FieldIssue } from "../shell/api";
import { textField, type FormBody } from "../shell/context";
import type { FieldErrors } from "../shell/fields";
import type { FlagState } from "../shell/resources";
import { sentence } from "./field-words";
import { OPERATOR_INFO, operandOf } from "./operators";

export interface RuleDraft {
  id: string;
  property: string;
  operator: string;
  values: string;
  value: string;
  range_start: string;
  range_end: string;
  seed: string;
}

export interface ConditionDraft {
  id: string;
  name: string;
  variation_id: string;
  rules: RuleDraft[];
}

export interface StateDraft {
  version: string;
  enabled: boolean;
  rollout_percentage: string;
  rollout_variation_id: string;
  default_variation_id: string;
  conditions: ConditionDraft[];
}

export const blankRule = (): RuleDraft => ({ id: "", property: "", operator: "STR_EQUALS", values: "", value: "", range_start: "0", range_end: "", seed: "" });
export const blankCondition = (variationId: string): ConditionDraft => ({ id: "", name: "", variation_id: variationId, rules: [blankRule()] });

export function draftOfState(state: FlagState): StateDraft {
  return {
    version: String(state.version),
    enabled: state.enabled,
    rollout_percentage: String(state.rollout_percentage),
    rollout_variation_id: state.rollout_variation_id,
    default_variation_id: state.default_variation_id,
    conditions: state.conditions.map((c) => ({
      id: c.id,
      name: c.name,
      variation_id: c.variation_id,
      rules: c.rules.map((r) => ({
        ...blankRule(),
        id: r.id,
        property: r.property,
        operator: r.operator,
        values: "values" in r ? r.values.join("\n") : "",
        value: "value" in r ? String(r.value) : "",
        range_start: "range_start" in r ? String(r.range_start) : "0",
        range_end: "range_end" in r ? String(r.range_end) : "",
        seed: "seed" in r && r.seed !== undefined ? String(r.seed) : "",
      })),
    })),
  };
}

/** Indexed fields (`c3.…`, `c3.r2.…`) in the order of their index, gaps closed. */
function indexes(form: FormBody, pattern: RegExp): number[] {
  const found = new Set<number>();
  for (const name of Object.keys(form)) {
    const match = pattern.exec(name);
    if (match) found.add(Number(match[1]));
  }
  return [...found].sort((a, b) => a - b);
}

export function draftOfForm(form: FormBody): StateDraft {
  const text = (name: string) => textField(form, name);
  const conditions = indexes(form, /^c(\d+)\.variation_id$/).map((ci) => ({
    id: text(`c${ci}.id`),
    name: text(`c${ci}.name`),
    variation_id: text(`c${ci}.variation_id`),
    rules: indexes(form, new RegExp(`^c${ci}\\.r(\\d+)\\.operator$`)).map((ri) => {
      const field = (f: keyof RuleDraft) => text(`c${ci}.r${ri}.${f}`);
      return {
        id: field("id"),
        property: field("property"),
        operator: field("operator"),
        values: field("values"),
        value: field("value"),
        range_start: field("range_start"),
        range_end: field("range_end"),
        seed: field("seed"),
      };
    }),
  }));
  return {
    version: text("version"),
    enabled: text("enabled") === "true",
    rollout_percentage: text("rollout_percentage"),
    rollout_variation_id: text("rollout_variation_id"),
    default_variation_id: text("default_variation_id"),
    conditions,
  };
}

function move<T>(list: T[], from: number, by: number): void {
  const to = from + by;
  if (from < 0 || from >= list.length || to < 0 || to >= list.length) return;
  const [item] = list.splice(from, 1);
  list.splice(to, 0, item);
}

/**
 * Applies an editing intent (`add-condition`, `remove-rule:0:1`, `up-condition:2`, …) to the draft.
 * Answers false for an intent it does not know (saving is the caller's business).
 */
export function applyIntent(draft: StateDraft, intent: string, firstVariationId: string): boolean {
  const [verb, a, b] = intent.split(":");
  const ci = Number(a);
  const ri = Number(b);
  const condition = draft.conditions[ci];
  switch (verb) {
    case "add-condition":
      draft.conditions.push(blankCondition(firstVariationId));
      return true;
    case "remove-condition":
      draft.conditions.splice(ci, 1);
      return true;
    case "up-condition":
      move(draft.conditions, ci, -1);
      return true;
    case "down-condition":
      move(draft.conditions, ci, 1);
      return true;
    case "add-rule":
      condition?.rules.push(blankRule());
      return true;
    case "remove-rule":
      condition?.rules.splice(ri, 1);
      return true;
    default:
      return false;
  }
}

export interface StatePatch {
  version: number;
  enabled: boolean;
  rollout_percentage: number;
  rollout_variation_id: string;
  default_variation_id: string;
  conditions: { id?: string; name: string; variation_id: string; rules: Record<string, unknown>[] }[];
}

const NUMBER = /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/;

/** The PATCH for the draft, or the fields the dashboard can already tell are wrong, in words. */
export function patchOfDraft(draft: StateDraft): { patch: StatePatch } | { errors: FieldErrors } {
  const errors: FieldErrors = {};
  const rollout = draft.rollout_percentage.trim();
  if (!/^\d{1,3}$/.test(rollout) || Number(rollout) > 100) errors.rollout_percentage = "A whole number from 0 to 100.";
  const conditions = draft.conditions.map((c, ci) => {
    if (c.rules.length === 0) errors[`c${ci}.rules`] = "A condition needs at least one rule: add one, or remove the condition.";
    return {
      ...(c.id ? { id: c.id } : {}),
      name: c.name.trim(),
      variation_id: c.variation_id,
      rules: c.rules.map((r, ri) => ruleOf(r, `c${ci}.r${ri}`, errors)),
    };
  });
  if (Object.keys(errors).length) return { errors };
  return {
    patch: {
      version: Number(draft.version),
      enabled: draft.enabled,
      rollout_percentage: Number(rollout),
      rollout_variation_id: draft.rollout_variation_id,
      default_variation_id: draft.default_variation_id,
      conditions,
    },
  };
}

function ruleOf(r: RuleDraft, at: string, errors: FieldErrors): Record<string, unknown> {
  const rule: Record<string, unknown> = { ...(r.id ? { id: r.id } : {}), property: r.property.trim(), operator: r.operator };
  if (!rule.property) errors[`${at}.property`] = "Name the context property this rule reads, such as userId or plan.";
  switch (operandOf(r.operator)) {
    case "values": {
      const values = r.values
        .split(/\r?\n/)
        .map((v) => v.trim())
        .filter(Boolean);
      if (values.length === 0) errors[`${at}.values`] = "Give at least one value, one per line.";
      return { ...rule, values };
    }
    case "value": {
      const value = r.value.trim();
      if (value === "") errors[`${at}.value`] = "Give a value.";
      // Numbers travel as numbers; the API says in words when an operator wants another kind.
      return { ...rule, value: r.operator.startsWith("NUM_") && NUMBER.test(value) ? Number(value) : value };
    }
    case "range": {
      const [start, end] = [r.range_start.trim(), r.range_end.trim()];
      if (!NUMBER.test(start)) errors[`${at}.range_start`] = "A number from 0 to 100.";
      if (!NUMBER.test(end)) errors[`${at}.range_end`] = "A number from 0 to 100.";
      const seed = r.seed.trim();
      if (seed && !/^-?\d+$/.test(seed)) errors[`${at}.seed`] = "A whole number, or nothing to use the flag's own seed.";
      return { ...rule, range_start: Number(start), range_end: Number(end), ...(seed ? { seed: Number(seed) } : {}) };
    }
    case "none":
      return rule;
    default:
      errors[`${at}.operator`] = "Choose an operator.";
      return rule;
  }
}

/** `conditions.0.rules.1.value` is `c0.r1.value`; a rule's own problem goes to its operator, a condition's to its name. */
function formFieldOf(condition: string, rule: string | undefined, field: string | undefined): string {
  const at = `c${condition}${rule !== undefined ? `.r${rule}` : ""}`;
  return `${at}${field ? `.${field}` : rule !== undefined ? ".operator" : ".name"}`;
}

/** The API names fields like `conditions.0.rules.1.value`: file each under the form's own name. */
export function stateErrorsOf(issues: FieldIssue[]): FieldErrors {
  const errors: FieldErrors = {};
  for (const issue of issues) {
    const match = /^conditions\.(\d+)(?:\.rules\.(\d+))?(?:\.(\w+))?/.exec(issue.field);
    const at = match ? formFieldOf(match[1], match[2], match[3]) : issue.field;
    // The API names operators by their codes; the page shows them by the words of the operator list.
    const text = sentence(issue.message.replace(/\b[A-Z][A-Z_]+\b/g, (code) => (OPERATOR_INFO[code] ? `“${OPERATOR_INFO[code].label}”` : code)));
    errors[at] = errors[at] ? `${errors[at]} ${text}` : text;
  }
  return errors;
}
