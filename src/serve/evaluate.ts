// Which variation a compiled flag serves to a context, and why. Pure. tggl-core's evalRules decides
// whether a condition's rules match (exactly as Tggl's SDKs do); this module only walks the
// conditions in order so the answer can name the condition's variation and reason.
import { evalRules } from "tggl-core";
import type { CompiledFlag, Outcome } from "./compile";

export type Context = Record<string, unknown>;

export function evaluateFlag(flag: CompiledFlag, context: Context): Outcome {
  const conditions = flag.tggl.conditions;
  for (let i = 0; i < conditions.length; i++) {
    if (evalRules(context, conditions[i].rules)) return flag.matched[i];
  }
  return flag.otherwise;
}

/** OFREP's reading of a context: `targetingKey` stands for `userId` when `userId` is absent or null. */
export function ofrepContext(context: Context): Context {
  if ((context.userId === undefined || context.userId === null) && context.targetingKey !== undefined) return { ...context, userId: context.targetingKey };
  return context;
}
