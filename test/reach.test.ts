// Effective reach: what each condition and the rollout really serve over the fixed sample of users,
// measured with the serving evaluator, and the warning when one serves far fewer than it says.
import { describe, expect, it } from "vitest";
import { compileFlag } from "../src/flags/compile";
import { evaluateFlag } from "../src/flags/evaluate";
import type { Condition, FlagState, Rule, Variation } from "../src/flags/model";
import { reachOf, SAMPLE_SIZE, SAMPLE_USER_IDS } from "../src/flags/reach";

const FLAG = { id: "5f0c8a9e-3c1d-4b7a-9f57-2a0e4c6d8b1f", key: "new-checkout" };
const variations: Variation[] = [
  { id: "on", name: "Live", description: "", color: "", active: true, value: true, order: 0 },
  { id: "off", name: "Off", description: "", color: "", active: true, value: false, order: 1 },
];
const flag = { ...FLAG, variations };
const pctRule = (start: number, end: number, extra: Partial<Rule> = {}): Rule =>
  ({ id: "r", property: "userId", operator: "PERCENTAGE", range_start: start, range_end: end, ...extra }) as Rule;
const condition = (name: string, rules: Rule[], variation_id = "on"): Condition => ({ id: name, name, variation_id, rules });
const state = (over: Partial<FlagState>): FlagState => ({
  enabled: true,
  rollout_percentage: 100,
  rollout_variation_id: "on",
  conditions: [],
  default_variation_id: "off",
  version: 1,
  ...over,
});

describe("reachOf", () => {
  it("the issue's case: a 0–50 % condition then a 30 % rollout gives the rollout 0 of 1,000, and says so", () => {
    const s = state({ conditions: [condition("Half", [pctRule(0, 50)], "off")], rollout_percentage: 30 });
    const reach = reachOf(flag, s);
    const [half, rollout, rest] = reach.branches;
    expect(SAMPLE_SIZE).toBe(1000);
    expect(half).toMatchObject({ kind: "condition", reaching: 1000, promised: 0.5, warning: null });
    expect(half.served).toBeGreaterThan(450);
    expect(half.served).toBeLessThan(550);
    expect(rollout).toMatchObject({ kind: "rollout", served: 0, reaching: 1000 - half.served });
    expect(rollout.expected).toBe(Math.round(0.3 * (1000 - half.served)));
    expect(rollout.warning).toMatch(/^The 30% rollout serves 0 of 1,000 sample users, not about \d+: "Half" before it buckets userId with the same seed/);
    expect(rest.served).toBe(1000 - half.served);
    expect(reach.warnings).toEqual([rollout.warning]);
  });

  it("counts what the serving evaluator serves, user by user", () => {
    const s = state({ conditions: [condition("Half", [pctRule(0, 50)], "off"), condition("Tail", [pctRule(60, 100, { seed: 7 })])], rollout_percentage: 40 });
    const compiled = compileFlag({ ...flag, version: 1, state: s });
    const counts = new Map<unknown, number>();
    for (const userId of SAMPLE_USER_IDS) {
      const outcome = evaluateFlag(compiled, { userId });
      counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
    }
    const reach = reachOf(flag, s);
    expect(reach.branches.map((b) => b.served)).toEqual([...compiled.matched, compiled.otherwise].map((o) => counts.get(o) ?? 0));
    expect(reach.branches.reduce((a, b) => a + b.served, 0)).toBe(1000);
  });

  it("a rollout with its own users keeps its promise: no warning", () => {
    const s = state({ conditions: [condition("Other seed", [pctRule(0, 50, { seed: 42 })], "off")], rollout_percentage: 30 });
    const rollout = reachOf(flag, s).branches[1];
    expect(rollout.expected).toBeGreaterThan(100);
    expect(rollout.served).toBeGreaterThan(rollout.expected! * 0.7);
    expect(rollout.warning).toBeNull();
  });

  it("a condition behind another on the same buckets is flagged too", () => {
    const s = state({ conditions: [condition("First", [pctRule(0, 40)], "off"), condition("Second", [pctRule(10, 30)])] });
    const second = reachOf(flag, s).branches[1];
    expect(second.served).toBe(0);
    expect(second.warning).toMatch(/^Condition "Second" \(20%\) serves 0 of 1,000 sample users/);
  });

  it("a condition with other rules is measured among users who pass them", () => {
    const country: Rule = { id: "c", property: "country", operator: "STR_EQUALS", values: ["FR"] };
    const s = state({ conditions: [condition("French half", [country, pctRule(0, 50)])] });
    const b = reachOf(flag, s).branches[0];
    expect(b.otherRules).toEqual(["country"]);
    expect(b.served).toBeGreaterThan(400);
    expect(b.warning).toBeNull();
  });

  it("an Off state serves its default to everyone", () => {
    const reach = reachOf(flag, state({ enabled: false, rollout_percentage: 30 }));
    expect(reach.branches).toEqual([expect.objectContaining({ kind: "rest", served: 1000, variationId: "off" })]);
    expect(reach.warnings).toEqual([]);
  });
});
