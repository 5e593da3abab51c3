// Effective reach: what each condition and the rollout of one state really serve, measured with the
// serving evaluator (compile.ts + evaluate.ts, the code behind OFREP and /tggl) over a fixed sample of
// users, beside what their percentages promise. Pure and deterministic: the same state always gives
// the same figures.
//
// Why it matters: a percentage condition and the rollout both bucket userId with the flag's seed unless
// the condition names another seed, so "0–50 % of userId" followed by a 30 % rollout gives the rollout
// nobody (its users, the lowest 30 % of buckets, were all served by the condition). The counts here
// show that; `warning` says so in words.
//
// The sample users carry a userId only (and that same id in every property a percentage rule buckets),
// so a condition with other rules (country, email…) is measured among users who pass those rules: its
// percentage is applied to the sample as if they did, after the conditions before it.
import { compileFlag, flagSeed, type CompiledFlag } from "./compile";
import { EvaluationBudget, evaluateFlag, type Context } from "./evaluate";
import type { Condition, FlagState, Rule, Variation } from "./model";

/** How many sample users every reach is measured over. */
export const SAMPLE_SIZE = 1000;

/** The sample's user ids: user-0001 … user-1000, the same everywhere. */
export const SAMPLE_USER_IDS: readonly string[] = Array.from({ length: SAMPLE_SIZE }, (_, i) => `user-${String(i + 1).padStart(4, "0")}`);

/** A branch is far below its promise when it serves fewer than this share of the users it promises. */
const SHORTFALL = 0.5;
/** …and that promise is at least this many sample users (fewer is noise). */
const MIN_EXPECTED = 10;

export interface BranchReach {
  kind: "condition" | "rollout" | "rest";
  /** The condition's index; -1 for the rollout and the rest. */
  index: number;
  /** The condition's name, "Rollout", or "Everyone else". */
  label: string;
  variationId: string;
  /** Sample users this branch serves. */
  served: number;
  /** Sample users that reach it (not served by a branch before it). */
  reaching: number;
  /** The share of the reaching users its percentage promises (0–1); null without a percentage. */
  promised: number | null;
  /** promised × reaching, rounded; null without a percentage. */
  expected: number | null;
  /** The properties of its other rules: its counts are among users who pass them. */
  otherRules: string[];
  /** Why it serves far fewer users than it says; null when it keeps its promise. */
  warning: string | null;
}

export interface StateReach {
  enabled: boolean;
  sample: number;
  branches: BranchReach[];
  warnings: string[];
}

/** What the flag's state serves, branch by branch, over the sample users. */
export interface ReachFlag {
  id: string;
  key: string;
  variations: Variation[];
}

/** Measured reaches, by flag id and state: a page that lists many flags measures each state once per isolate. */
const measured = new Map<string, StateReach>();
const MEASURED_MAX = 512;

const measuredKey = (flag: ReachFlag, state: FlagState) => `${flag.id}\u0000${JSON.stringify({ ...state, version: 0 })}`;

/** The reach already measured for this state in this isolate, without measuring it. */
export function knownReach(flag: ReachFlag, state: FlagState): StateReach | undefined {
  return measured.get(measuredKey(flag, state));
}

export function reachOf(flag: ReachFlag, state: FlagState): StateReach {
  const key = measuredKey(flag, state);
  const known = measured.get(key);
  if (known) return known;
  const reach = measure(flag, state);
  if (measured.size >= MEASURED_MAX) measured.delete(measured.keys().next().value as string);
  measured.set(key, reach);
  return reach;
}

function measure(flag: ReachFlag, state: FlagState): StateReach {
  if (!state.enabled) {
    const rest = branch("rest", -1, "Everyone (off)", state.default_variation_id, SAMPLE_SIZE, SAMPLE_SIZE);
    return { enabled: false, sample: SAMPLE_SIZE, branches: [rest], warnings: [] };
  }
  const seed = flagSeed(flag.id);
  const served = servedIndexes(flag, state);
  const total = state.conditions.length + (state.rollout_percentage < 100 ? 1 : 0);
  const counts = countBy(served, total);
  const branches: BranchReach[] = [];
  let reaching = SAMPLE_SIZE;
  state.conditions.forEach((condition, i) => {
    const others = otherProperties(condition);
    const percentages = condition.rules.filter(isPercentage);
    let b: BranchReach;
    if (others.length && percentages.length) {
      // Among users who pass its other rules: the same conditions before it, this one with only its percentages.
      const probe = { ...state, rollout_percentage: 100, conditions: [...state.conditions.slice(0, i), { ...condition, rules: percentages }] };
      const probeCounts = countBy(servedIndexes(flag, probe), i + 1);
      const probeReaching = SAMPLE_SIZE - probeCounts.slice(0, i).reduce((a, n) => a + n, 0);
      b = branch("condition", i, condition.name, condition.variation_id, probeCounts[i], probeReaching, share(percentages), others);
    } else {
      b = branch("condition", i, condition.name, condition.variation_id, counts[i], reaching, percentages.length ? share(percentages) : null, others);
    }
    b.warning = shortfall(b, culprits(state.conditions.slice(0, i), percentages, seed));
    branches.push(b);
    reaching -= counts[i];
  });
  if (state.rollout_percentage < 100) {
    const i = state.conditions.length;
    const rolloutRule: Rule = { id: "rollout", property: "userId", operator: "PERCENTAGE", range_start: 0, range_end: state.rollout_percentage };
    const b = branch("rollout", -1, "Rollout", state.rollout_variation_id, counts[i], reaching, state.rollout_percentage / 100);
    b.warning = shortfall(b, culprits(state.conditions, [rolloutRule], seed));
    branches.push(b);
    reaching -= counts[i];
    branches.push(branch("rest", -1, "Everyone else", state.default_variation_id, counts[total], reaching));
  } else {
    branches.push(branch("rest", -1, "Everyone else", state.rollout_variation_id, counts[total], reaching));
  }
  return { enabled: true, sample: SAMPLE_SIZE, branches, warnings: branches.flatMap((b) => (b.warning ? [b.warning] : [])) };
}

/** Whether a state has anything whose reach can differ from what it says (a percentage or a rollout). */
export function hasPercentages(state: FlagState): boolean {
  return state.enabled && (state.rollout_percentage < 100 || state.conditions.some((c) => c.rules.some(isPercentage)));
}

/** For each sample user, the index of the branch that serves it: a condition, the rollout, or `total` (the rest). */
function servedIndexes(flag: ReachFlag, state: FlagState): number[] {
  const compiled: CompiledFlag = compileFlag({ id: flag.id, key: flag.key, version: 0, variations: flag.variations, state });
  const properties = new Set(["userId", ...state.conditions.flatMap((c) => c.rules.filter(isPercentage).map((r) => r.property))]);
  const budget = new EvaluationBudget(undefined, Number.POSITIVE_INFINITY);
  return SAMPLE_USER_IDS.map((id) => {
    const context: Context = {};
    for (const p of properties) context[p] = id;
    budget.nextContext();
    const outcome = evaluateFlag(compiled, context, budget);
    const i = compiled.matched.indexOf(outcome);
    return i === -1 ? compiled.matched.length : i;
  });
}

function countBy(indexes: number[], total: number): number[] {
  const counts = new Array<number>(total + 1).fill(0);
  for (const i of indexes) counts[i]++;
  return counts;
}

function branch(
  kind: BranchReach["kind"],
  index: number,
  label: string,
  variationId: string,
  served: number,
  reaching: number,
  promised: number | null = null,
  otherRules: string[] = [],
): BranchReach {
  const expected = promised === null ? null : Math.round(promised * reaching);
  return { kind, index, label, variationId, served, reaching, promised, expected, otherRules, warning: null };
}

type PercentageRule = Extract<Rule, { operator: "PERCENTAGE" }>;

function isPercentage(rule: Rule): rule is PercentageRule {
  return rule.operator === "PERCENTAGE";
}

/** The share of users a condition's percentage rules promise together (independent buckets multiply). */
function share(rules: PercentageRule[]): number {
  return rules.reduce((p, r) => (p * Math.max(0, r.range_end - r.range_start)) / 100, 1);
}

function otherProperties(condition: Condition): string[] {
  return [...new Set(condition.rules.filter((r) => !isPercentage(r)).map((r) => r.property))];
}

/** The earlier conditions that bucket the same property with the same seed as one of `rules`. */
function culprits(before: Condition[], rules: PercentageRule[], seed: number): Condition[] {
  const buckets = new Set(rules.map((r) => `${r.property}\u0000${r.seed ?? seed}`));
  return before.filter((c) => c.rules.some((r) => isPercentage(r) && buckets.has(`${r.property}\u0000${r.seed ?? seed}`)));
}

function shortfall(b: BranchReach, sameBuckets: Condition[]): string | null {
  if (b.expected === null || b.promised === null || b.expected < MIN_EXPECTED || b.served >= b.expected * SHORTFALL) return null;
  const what = b.kind === "rollout" ? `The ${pct(b.promised)} rollout` : `Condition "${b.label}" (${pct(b.promised)})`;
  const why = sameBuckets.length
    ? `: ${sameBuckets.map((c) => `"${c.name}"`).join(", ")} before it bucket${sameBuckets.length === 1 ? "s" : ""} ${b.kind === "rollout" ? "userId" : "the same property"} with the same seed and already serve${sameBuckets.length === 1 ? "s" : ""} the users in its range`
    : "";
  return `${what} serves ${b.served} of ${SAMPLE_SIZE.toLocaleString("en-US")} sample users, not about ${b.expected}${why}.`;
}

function pct(share: number): string {
  return `${Number((share * 100).toFixed(2))}%`;
}
