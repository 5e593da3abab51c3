// Which variation a compiled flag serves to a context, and why. Pure. The conditions are walked in
// order so the answer can name the condition's variation and reason; each rule is decided as
// tggl-core's evalRule decides it (exactly as Tggl's SDKs do), with three changes of speed that do
// not change one answer (test/evaluate-rules.test.ts compares them with tggl-core on random input):
//
// - REGEXP is matched by RE2 (flags/pattern.ts), in time linear in the input, never by V8's
//   backtracking engine: `^(a+)+$` on 31 characters stalled an isolate for seconds.
// - STR_EQUAL and ARR_OVERLAP look their values up in a Set instead of an array (both compare with
//   SameValueZero); a 1,000-value list against a large array context cost milliseconds a rule.
// - SEMVER_* is handed only the parts of the version it compares (tggl-core reads the first
//   `version.length` parts of value.split(".")), not a 32 KiB string split into 16,000 parts.
//
// And a budget: every rule charges the work it is about to do (about one unit per character or
// element it reads), and a context whose rules would cost more than its budget is refused with
// EvaluationBudgetExceeded instead of holding the isolate (CONTRACT.md v1.2: within 50 ms of
// server time, whatever the stored rules). `npm run bench` measures what a full budget costs.
import { evalRule, Operator, type Rule as TgglRule } from "tggl-core";
import { compilePattern, matchesPattern } from "./pattern";
import type { CompiledFlag, Outcome } from "./compile";

export type Context = Record<string, unknown>;

/** What one context may cost, in units (`npm run bench` shows a full budget of the costliest rules within 50 ms). */
export const CONTEXT_BUDGET_UNITS = 2_500_000;
/** What one request of several contexts (/tggl/flags, the what-if preview) may cost in all. */
export const REQUEST_BUDGET_UNITS = 10 * CONTEXT_BUDGET_UNITS;

export class EvaluationBudgetExceeded extends Error {
  constructor() {
    super("evaluating this context against the environment's rules would take too long; send a smaller context");
  }
}

/** The work a request may still do: per context, and in all. */
export class EvaluationBudget {
  private contextLeft: number;
  private requestLeft: number;
  constructor(
    private readonly perContext = CONTEXT_BUDGET_UNITS,
    perRequest = REQUEST_BUDGET_UNITS,
  ) {
    this.contextLeft = perContext;
    this.requestLeft = perRequest;
  }

  /** The next context starts with a full context budget (what is left of the request's permitting). */
  nextContext(): void {
    this.contextLeft = this.perContext;
  }

  charge(units: number): void {
    this.contextLeft -= units;
    this.requestLeft -= units;
    if (this.contextLeft < 0 || this.requestLeft < 0) throw new EvaluationBudgetExceeded();
  }
}

export function evaluateFlag(flag: CompiledFlag, context: Context, budget = new EvaluationBudget()): Outcome {
  const conditions = flag.tggl.conditions;
  for (let i = 0; i < conditions.length; i++) {
    if (evalRules(context, conditions[i].rules, budget)) return flag.matched[i];
  }
  return flag.otherwise;
}

/** tggl-core's evalRules: every rule holds for the context's property of its key. */
export function evalRules(context: Context, rules: TgglRule[], budget: EvaluationBudget): boolean {
  for (const rule of rules) {
    const value = context[rule.key];
    budget.charge(ruleCost(rule, value));
    if (!decideRule(rule, value)) return false;
  }
  return true;
}

/** tggl-core's evalRule(rule, value), the same answer for every rule and value. */
export function decideRule(rule: TgglRule, value: unknown): boolean {
  switch (rule.operator) {
    case Operator.RegExp:
      if (typeof value !== "string") return false;
      return matchesPattern(compilePattern(rule.value), value) !== rule.negate;
    case Operator.StrEqual:
      if (typeof value !== "string") return false;
      return valueSet(rule.values).has(value) !== rule.negate;
    case Operator.ArrOverlap: {
      if (!Array.isArray(value)) return false;
      const set = valueSet(rule.values);
      return value.some((v) => set.has(v)) !== rule.negate;
    }
    case Operator.SemverEq:
    case Operator.SemverGte:
    case Operator.SemverLte:
      // The first version.length parts of value.split("."), joined again: the parts tggl-core compares.
      return evalRule(rule, typeof value === "string" ? value.split(".", rule.version.length).join(".") : value);
    default:
      return evalRule(rule, value);
  }
}

const sets = new WeakMap<string[], Set<string>>();

function valueSet(values: string[]): Set<string> {
  let set = sets.get(values);
  if (!set) {
    set = new Set(values);
    sets.set(values, set);
  }
  return set;
}

/** About the characters or elements a rule reads: what it is charged before it runs. */
export function ruleCost(rule: TgglRule, value: unknown): number {
  const size = typeof value === "string" ? value.length : Array.isArray(value) ? value.length : 0;
  switch (rule.operator) {
    case Operator.RegExp: {
      // RE2 follows the states of the pattern's program through the input: about 160 ns a character,
      // and 1.3 ns more for each instruction of the program (measured with re2js on 32 KiB inputs).
      if (typeof value !== "string") return 1;
      const re = compilePattern(rule.value);
      return 1 + size * (16 + ((re?.programSize() ?? 0) >> 3));
    }
    case Operator.StrContains:
      return typeof value === "string" ? 1 + size * rule.values.length : 1;
    case Operator.StrStartsWith:
    case Operator.StrEndsWith:
    case Operator.StrEqual:
      return 1 + rule.values.length + (size >> 4);
    case Operator.ArrOverlap:
      return 1 + size;
    case Operator.SemverEq:
    case Operator.SemverGte:
    case Operator.SemverLte:
      return 1 + rule.version.length;
    case Operator.Percentage:
      return 1 + (typeof value === "string" ? size : 16);
    default:
      return 1;
  }
}

/** One context is at most this much JSON (CONTRACT.md v1.2); larger is 413. */
export const MAX_CONTEXT_BYTES = 32 * 1024;
const utf8 = new TextEncoder();

/** The size of a context as UTF-8 JSON, the way it came (whitespace aside). */
export function contextBytes(context: Context): number {
  const text = JSON.stringify(context);
  // A UTF-16 code unit is at most 3 bytes of UTF-8: short text needs no encoding to be judged.
  return text.length * 3 <= MAX_CONTEXT_BYTES ? text.length : utf8.encode(text).length;
}

/** OFREP's reading of a context: `targetingKey` stands for `userId` when `userId` is absent or null. */
export function ofrepContext(context: Context): Context {
  if ((context.userId === undefined || context.userId === null) && context.targetingKey !== undefined) return { ...context, userId: context.targetingKey };
  return context;
}
