// The 33 rule operators as a person picks them: a label, the input each takes, and the contract's
// validation of that input said in words (shown beside the field, never as a pattern).
import { BARE_OPERATORS, LIST_OPERATORS, VALUE_OPERATORS, type Operator } from "../../flags/model";

/** What an operator takes: a list of values, one value, nothing, or a percentage range. */
export type Operand = "values" | "value" | "none" | "range";

export interface OperatorInfo {
  operator: Operator;
  label: string;
  group: string;
  operand: Operand;
  /** The contract's rule for the input, in words. */
  hint: string;
}

const LIST_HINT = "One value per line (at least one, up to 1,000; each up to 1,024 characters).";
const PATTERN_HELP = "A regular expression of at most 256 characters, such as beta-[0-9]+ (no lookarounds or backreferences).";

const info = (operator: Operator, group: string, label: string, operand: Operand, hint: string): OperatorInfo => ({ operator, group, label, operand, hint });

export const OPERATORS: OperatorInfo[] = [
  info("STR_EQUALS", "Text", "is one of", "values", LIST_HINT),
  info("STR_NOT_EQUALS", "Text", "is not one of", "values", LIST_HINT),
  info("STR_STARTS_WITH", "Text", "starts with one of", "values", LIST_HINT),
  info("STR_NOT_STARTS_WITH", "Text", "does not start with any of", "values", LIST_HINT),
  info("STR_ENDS_WITH", "Text", "ends with one of", "values", LIST_HINT),
  info("STR_NOT_ENDS_WITH", "Text", "does not end with any of", "values", LIST_HINT),
  info("STR_CONTAINS", "Text", "contains one of", "values", LIST_HINT),
  info("STR_NOT_CONTAINS", "Text", "contains none of", "values", LIST_HINT),
  info("STR_BEFORE", "Text", "comes before (alphabetically, inclusive)", "value", "One piece of text, up to 1,024 characters."),
  info("STR_AFTER", "Text", "comes after (alphabetically, inclusive)", "value", "One piece of text, up to 1,024 characters."),
  info("STR_REGEXP", "Text", "matches the regular expression", "value", PATTERN_HELP),
  info("STR_NOT_REGEXP", "Text", "does not match the regular expression", "value", PATTERN_HELP),
  info("SELECT_EQUALS", "Choice", "is one of (choice)", "values", LIST_HINT),
  info("SELECT_NOT_EQUALS", "Choice", "is not one of (choice)", "values", LIST_HINT),
  info("ARR_OVERLAP", "List", "has one of", "values", LIST_HINT),
  info("ARR_NOT_OVERLAP", "List", "has none of", "values", LIST_HINT),
  info("NUM_EQUALS", "Number", "equals", "value", "A number, such as 42 or 0.5."),
  info("NUM_NOT_EQUALS", "Number", "does not equal", "value", "A number, such as 42 or 0.5."),
  info("NUM_GT", "Number", "is greater than", "value", "A number, such as 42 or 0.5."),
  info("NUM_GTE", "Number", "is at least", "value", "A number, such as 42 or 0.5."),
  info("NUM_LT", "Number", "is less than", "value", "A number, such as 42 or 0.5."),
  info("NUM_LTE", "Number", "is at most", "value", "A number, such as 42 or 0.5."),
  info("DATE_AFTER", "Date", "is after", "value", "A date, such as 2026-03-01 or 2026-03-01T09:00:00Z (read as UTC), or Unix milliseconds."),
  info("DATE_BEFORE", "Date", "is before", "value", "A date, such as 2026-03-01 or 2026-03-01T09:00:00Z (read as UTC), or Unix milliseconds."),
  info("DATE_IS", "Date", "is on the day", "value", "A date, such as 2026-03-01 (the whole UTC day)."),
  info("SEMVER_IS", "Version", "is version", "value", "A version of up to three numbers, such as 1.2.3, with no pre-release or build part."),
  info("SEMVER_GTE", "Version", "is at least version", "value", "A version of up to three numbers, such as 1.2.3, with no pre-release or build part."),
  info("SEMVER_LTE", "Version", "is at most version", "value", "A version of up to three numbers, such as 1.2.3, with no pre-release or build part."),
  info("IS_TRUE", "Yes / no", "is true", "none", "Takes no value."),
  info("IS_FALSE", "Yes / no", "is false", "none", "Takes no value."),
  info("IS_EMPTY", "Presence", "is empty or missing", "none", "Takes no value."),
  info("IS_NOT_EMPTY", "Presence", "is present and not empty", "none", "Takes no value."),
  info("PERCENTAGE", "Percentage", "falls in the percentage range", "range", "From and to are 0–100, from below to; the seed (a whole number) is optional."),
];

export const OPERATOR_INFO: Record<string, OperatorInfo> = Object.fromEntries(OPERATORS.map((o) => [o.operator, o]));

export function operandOf(operator: string): Operand | null {
  if ((LIST_OPERATORS as readonly string[]).includes(operator)) return "values";
  if ((VALUE_OPERATORS as readonly string[]).includes(operator)) return "value";
  if ((BARE_OPERATORS as readonly string[]).includes(operator)) return "none";
  return operator === "PERCENTAGE" ? "range" : null;
}

/** The groups in the order the select shows them. */
export function operatorGroups(): { group: string; operators: OperatorInfo[] }[] {
  const groups: { group: string; operators: OperatorInfo[] }[] = [];
  for (const op of OPERATORS) {
    const last = groups.at(-1);
    if (last?.group === op.group) last.operators.push(op);
    else groups.push({ group: op.group, operators: [op] });
  }
  return groups;
}
