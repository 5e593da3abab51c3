// The what-if preview of a state change: what each context is served before and after, computed by
// the serving path's own code (serve/compile.ts, serve/evaluate.ts, OFREP's reading of a context),
// so a preview and OFREP cannot disagree. Pure.
import { compileFlag, type Outcome, type ServedFlag } from "../serve/compile";
import { evaluateFlag, ofrepContext, type Context } from "../serve/evaluate";

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
  let changed = 0;
  const results = contexts.map((raw) => {
    const context = ofrepContext(raw);
    const pair = { before: outcome(evaluateFlag(compiledBefore, context)), after: outcome(evaluateFlag(compiledAfter, context)) };
    if (differs(pair.before, pair.after)) changed++;
    return pair;
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
