// The API's complaints about a flag form, as the sentences the form shows beside each field: the key
// pattern said in words, the rollout range's fields by their labels.
import type { FieldIssue } from "../shell/api";
import { errorsByField, type FieldErrors, humanLimit } from "../shell/fields";

/** An API message as a sentence, with the key pattern said in words. */
export function sentence(message: string): string {
  const limit = humanLimit(message);
  if (limit) return `${limit.charAt(0).toUpperCase()}${limit.slice(1)}.`;
  const words = message.includes("must match ^[a-z0-9]")
    ? "use lower-case letters, digits, - and _ (at most 64), starting with a letter or a digit"
    : message.replace(/range_start/g, "from").replace(/range_end/g, "to");
  return `${words.charAt(0).toUpperCase()}${words.slice(1)}${/[.!?]$/.test(words) ? "" : "."}`;
}

/** The complaints about a flag's (or an environment's) own fields; its variations are filed by row (variation-form.ts). */
export function fieldSentences(issues: FieldIssue[]): FieldErrors {
  const own = Object.entries(errorsByField(issues)).filter(([field]) => field !== "variations");
  return Object.fromEntries(own.map(([field, message]) => [field, sentence(message.replace(/\.$/, ""))]));
}
