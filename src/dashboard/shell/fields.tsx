// Labelled form fields whose errors are tied to them for screen readers (aria-describedby), and a
// helper that files the API's validation details under the field they name.
import type { FC } from "hono/jsx";
import type { FieldIssue } from "./api";

export type FieldErrors = Record<string, string>;

/** The element id of a field named like `c0.r1.value` (`c0-r1-value`): forms and their error summaries agree on it. */
export function fieldIdOf(name: string): string {
  return name.replace(/\./g, "-");
}

/** Each field with a problem, by its element id. */
export function fieldIdsOf(errors: FieldErrors): Record<string, string> {
  return Object.fromEntries(Object.keys(errors).map((field) => [field, fieldIdOf(field)]));
}

/** The API names fields like `url`, `headers.X-Token` or `rules.0.value`: file each under its root, every problem at once. */
export function errorsByField(issues: FieldIssue[]): FieldErrors {
  const errors: FieldErrors = {};
  for (const issue of issues) {
    const root = issue.field.split(".")[0];
    const human = humanLimit(issue.message);
    const message = issue.message.charAt(0).toUpperCase() + issue.message.slice(1);
    const text = human
      ? `${fieldLabel(issue.field)}: ${human}.`
      : issue.field.includes(".")
        ? `${issue.field.slice(root.length + 1)}: ${inWords(issue.message)}`
        : `${inWords(message)}.`;
    errors[root] = errors[root] ? `${errors[root]} ${text}` : text;
  }
  return errors;
}

const LABELS: Record<string, string> = { url: "URL", key: "Key", api_key: "API key" };

/** A field's name as a label: `name` is Name, `headers.X-Token` is Headers › X-Token. */
export function fieldLabel(field: string): string {
  return field
    .split(".")
    .map((part) => LABELS[part] ?? (/^\d+$/.test(part) ? `#${Number(part) + 1}` : `${part.charAt(0).toUpperCase()}${part.slice(1)}`.replace(/_/g, " ")))
    .join(" › ");
}

/** Zod's size limits ("Too big: expected string to have <=200 characters") said as a person would ("at most 200 characters"). */
export function humanLimit(message: string): string | null {
  const m = /^Too (big|small): expected (string|array|number|set|map|file|object)(?: to (?:have|be)) ([<>]=?)(-?[\d.]+)(?: (\w+))?/.exec(message);
  if (!m) return /^Invalid input: expected \w+, received undefined$/.test(message) ? "required" : null;
  const [, , type, op, limit, unit] = m;
  const bound = op.startsWith("<") ? (op === "<" ? "less than" : "at most") : op === ">" ? "more than" : "at least";
  if (type === "string" && op === ">=" && limit === "1") return "required";
  const what = unit ?? (type === "array" || type === "set" ? "items" : "");
  return `${bound} ${limit}${what ? ` ${what === "characters" && limit === "1" ? "character" : what}` : ""}`;
}

/** The API's key pattern said in words: a person reads a rule, not a regular expression. */
function inWords(message: string): string {
  return message.replace(
    /must match \^\[a-z0-9\]\[a-z0-9_-\]\{0,63\}\$/i,
    (m) => `${m[0] === "M" ? "U" : "u"}se lower-case letters, digits, - and _ (at most 64), starting with a letter or a digit`,
  );
}

interface TextFieldProps {
  id: string;
  name: string;
  label: string;
  hint?: string;
  value?: string;
  error?: string;
  type?: "text" | "url" | "password" | "number";
  required?: boolean;
  autocomplete?: string;
  placeholder?: string;
  pattern?: string;
  min?: number;
  max?: number;
  /** A name the key field next to it is derived from as the person types (see the script). */
  keySource?: boolean;
  keyTarget?: boolean;
}

export const TextField: FC<TextFieldProps> = (p) => (
  <div class="field">
    <label for={p.id}>
      {p.label}
      {p.hint ? <span class="hint">{p.hint}</span> : null}
    </label>
    <input
      id={p.id}
      name={p.name}
      type={p.type ?? "text"}
      value={p.value ?? ""}
      required={p.required}
      autocomplete={p.autocomplete}
      placeholder={p.placeholder}
      pattern={p.pattern}
      min={p.min}
      max={p.max}
      data-key-source={p.keySource ? "" : undefined}
      data-key-target={p.keyTarget ? "" : undefined}
      spellcheck={false}
      aria-invalid={p.error ? "true" : undefined}
      aria-describedby={p.error ? `${p.id}-error` : undefined}
    />
    <FieldError id={p.id} error={p.error} />
  </div>
);

export const FieldError: FC<{ id: string; error?: string }> = ({ id, error }) =>
  error ? (
    <p class="error" id={`${id}-error`}>
      {error}
    </p>
  ) : null;

/** A project or flag key: the API's key pattern, checked in the browser before the API checks it. */
export const KeyField: FC<Pick<TextFieldProps, "id" | "hint" | "value" | "error" | "placeholder">> = (p) => (
  <TextField {...p} name="key" label="Key" required pattern="[a-z0-9][a-z0-9_\-]{0,63}" keyTarget />
);
