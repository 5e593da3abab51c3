// A flag's variations as a form (`v0.name`, `v0.value`, …): the draft, the editing intents (add,
// remove, move), and the list the API takes, each value read as the flag's type.
import type { FlagType } from "../../flags/model";
import type { FieldIssue } from "../shell/api";
import { textField, type FormBody } from "../shell/context";
import type { FieldErrors } from "../shell/fields";
import type { Variation } from "../shell/resources";
import { sentence } from "./field-words";

export interface VariationDraft {
  id: string;
  name: string;
  value: string;
  active: boolean;
  color: string;
  description: string;
}

export const PALETTE = ["#22c55e", "#94a3b8", "#3b82f6", "#f59e0b", "#a855f7", "#ef4444", "#14b8a6", "#ec4899"];

export const blankVariation = (n: number): VariationDraft => ({
  id: "",
  name: "",
  value: "",
  active: true,
  color: PALETTE[n % PALETTE.length],
  description: "",
});

/** A value as the person typed it: text as itself, anything else as JSON. */
export function valueText(value: unknown, type: FlagType): string {
  return type === "string" && typeof value === "string" ? value : JSON.stringify(value, null, type === "json" ? 2 : undefined);
}

export function draftsOfVariations(variations: Variation[], type: FlagType): VariationDraft[] {
  return [...variations]
    .sort((a, b) => a.order - b.order)
    .map((v) => ({ id: v.id, name: v.name, value: valueText(v.value, type), active: v.active, color: v.color, description: v.description }));
}

export function variationDraftsOfForm(form: FormBody): VariationDraft[] {
  const found = new Set<number>();
  for (const name of Object.keys(form)) {
    const match = /^v(\d+)\.name$/.exec(name);
    if (match) found.add(Number(match[1]));
  }
  return [...found]
    .sort((a, b) => a - b)
    .map((i) => {
      const text = (f: string) => textField(form, `v${i}.${f}`);
      const active = text("active") === "true";
      return { id: text("id"), name: text("name"), value: text("value"), active, color: text("color"), description: text("description") };
    });
}

/** Applies `add-variation`, `remove-variation:i`, `up-variation:i`, `down-variation:i`; false for any other intent. */
export function applyVariationIntent(drafts: VariationDraft[], intent: string): boolean {
  const [verb, a] = intent.split(":");
  const i = Number(a);
  const swap = (j: number) => {
    if (i < 0 || j < 0 || i >= drafts.length || j >= drafts.length) return;
    [drafts[i], drafts[j]] = [drafts[j], drafts[i]];
  };
  if (verb === "add-variation") drafts.push(blankVariation(drafts.length));
  else if (verb === "remove-variation") drafts.splice(i, 1);
  else if (verb === "up-variation") swap(i - 1);
  else if (verb === "down-variation") swap(i + 1);
  else return false;
  return true;
}

export const VALUE_HINTS: Record<FlagType, string> = {
  boolean: "true or false.",
  string: "Any text, as it is typed.",
  number: "A number, such as 42 or 0.5.",
  json: 'Any JSON value, such as {"plan": "pro", "limit": 10}.',
};

function parseValue(text: string, type: FlagType): { value: unknown } | { error: string } {
  const trimmed = text.trim();
  if (type === "string") return { value: text };
  if (type === "boolean") return trimmed === "true" || trimmed === "false" ? { value: trimmed === "true" } : { error: "Type true or false." };
  if (type === "number") {
    const n = Number(trimmed);
    return trimmed !== "" && Number.isFinite(n) ? { value: n } : { error: "Type a number, such as 42 or 0.5." };
  }
  try {
    return { value: JSON.parse(trimmed) };
  } catch {
    return { error: 'This is not valid JSON. Text needs double quotes ("pro"); an object looks like {"plan": "pro"}.' };
  }
}

/**
 * The variations the API takes, in the order shown, or the errors in words. Rows left entirely empty
 * are ignored; `none` is an empty list (the API gives a boolean flag Live and Off).
 */
export function variationsOfDrafts(drafts: VariationDraft[], type: FlagType): { variations: Record<string, unknown>[] } | { errors: FieldErrors } {
  const errors: FieldErrors = {};
  const variations: Record<string, unknown>[] = [];
  drafts.forEach((d, i) => {
    if (!d.id && !d.name.trim() && !d.value.trim()) return;
    if (!d.name.trim()) errors[`v${i}.name`] = "Give the variation a name.";
    const parsed = parseValue(d.value, type);
    if ("error" in parsed) errors[`v${i}.value`] = parsed.error;
    const color = /^#[0-9a-fA-F]{6}$/.test(d.color) ? d.color : undefined;
    const value = "value" in parsed ? parsed.value : null;
    variations.push({ ...(d.id ? { id: d.id } : {}), name: d.name.trim(), description: d.description, active: d.active, ...(color ? { color } : {}), value });
  });
  return Object.keys(errors).length ? { errors } : { variations };
}

/** `variations.2.value` → `v2.value`, against the rows as sent (empty rows were skipped). */
export function variationErrorsOf(issues: FieldIssue[], drafts: VariationDraft[]): FieldErrors {
  const sent = drafts.map((d, i) => (!d.id && !d.name.trim() && !d.value.trim() ? -1 : i)).filter((i) => i >= 0);
  const errors: FieldErrors = {};
  for (const issue of issues) {
    const match = /^variations\.(\d+)(?:\.(\w+))?/.exec(issue.field);
    // The flag's own fields are fieldSentences' (with their names); only the variations' are filed here.
    if (!match && issue.field !== "variations" && !issue.field.startsWith("variations")) continue;
    const at = match ? `v${sent[Number(match[1])] ?? match[1]}.${match[2] ?? "name"}` : issue.field;
    errors[at] = errors[at] ? `${errors[at]} ${sentence(issue.message)}` : sentence(issue.message);
  }
  return errors;
}
