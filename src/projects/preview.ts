// The what-if preview of a state change: what each context is served before and after, computed by
// the serving path's own code (flags/compile.ts, flags/evaluate.ts, OFREP's reading of a context),
// so a preview and OFREP cannot disagree. Pure.
import { compileFlag, type Outcome, type ServedFlag } from "../flags/compile";
import { AppError } from "../kernel/errors";
import { contextBytes, EvaluationBudget, EvaluationBudgetExceeded, evaluateFlag, MAX_CONTEXT_BYTES, ofrepContext, type Context } from "../flags/evaluate";

export interface PreviewOutcome {
  variant: string;
  value: unknown;
  active: boolean;
  reason: Outcome["reason"];
}

export interface StatePreviewResult {
  results: { before: PreviewOutcome; after: PreviewOutcome }[];
  changed: number;
}

export function previewContexts(before: ServedFlag, after: ServedFlag, contexts: Context[]): StatePreviewResult {
  const compiledBefore = compileFlag(before);
  const compiledAfter = compileFlag(after);
  contexts.forEach((context, i) => {
    const bytes = contextBytes(context);
    if (bytes > MAX_CONTEXT_BYTES) {
      const details = [{ field: `contexts.${i}`, message: `${bytes} bytes` }];
      throw new AppError("payload_too_large", `one context is at most ${MAX_CONTEXT_BYTES} bytes of JSON`, details);
    }
  });
  let changed = 0;
  const budget = new EvaluationBudget();
  const results = contexts.map((raw, i) => {
    const context = ofrepContext(raw);
    budget.nextContext();
    try {
      const pair = { before: outcome(evaluateFlag(compiledBefore, context, budget)), after: outcome(evaluateFlag(compiledAfter, context, budget)) };
      if (differs(pair.before, pair.after)) changed++;
      return pair;
    } catch (err) {
      if (err instanceof EvaluationBudgetExceeded)
        throw new AppError("validation_failed", "request validation failed", [{ field: `contexts.${i}`, message: err.message }]);
      throw err;
    }
  });
  return { results, changed };
}

function outcome({ variation, reason }: Outcome): PreviewOutcome {
  return { variant: variation.name, value: variation.value, active: variation.active, reason };
}

/** A context counts as changed when its variant or its value differs (a reason alone does not). */
function differs(a: PreviewOutcome, b: PreviewOutcome): boolean {
  return a.variant !== b.variant || !sameValue(a.value, b.value);
}

/** Equal JSON values, whatever their key order. Stored values passed the body depth limit, so the recursion is bounded. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object" || Array.isArray(a) !== Array.isArray(b)) return false;
  const [x, y] = [a as Record<string, unknown>, b as Record<string, unknown>];
  const keys = Object.keys(x);
  return keys.length === Object.keys(y).length && keys.every((k) => Object.hasOwn(y, k) && sameValue(x[k], y[k]));
}
