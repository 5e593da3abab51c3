// The pure evaluator: each Flagpost rule compiles to exactly the tggl-core rule(s) of the contract's
// table, and what a compiled flag serves (variation and reason) is what tggl-core's own evalFlag
// serves, for every operator, rollouts, disabled states and inactive variations.
import { evalFlag, evalRules } from "tggl-core";
import { describe, expect, it } from "vitest";
import { compileConfig, compileFlag, compileRule, flagSeed, type ServedFlag } from "../src/flags/compile";
import { evaluateFlag, ofrepContext } from "../src/flags/evaluate";
import type { Rule } from "../src/flags/model";

const FLAG_ID = "5f0c8a9e-3c1d-4b7a-9f57-2a0e4c6d8b1f";
const SEED = 0x5f0c8a9e;
const id = "00000000-0000-4000-8000-000000000001";
const r = (operator: string, extra: Record<string, unknown> = {}): Rule => ({ id, property: "p", operator, ...extra }) as Rule;

describe("compileRule: the contract's table", () => {
  it.each([
    [r("STR_EQUALS", { values: ["a", "b"] }), [{ key: "p", operator: "STR_EQUAL", values: ["a", "b"], negate: false }]],
    [r("SELECT_EQUALS", { values: ["a"] }), [{ key: "p", operator: "STR_EQUAL", values: ["a"], negate: false }]],
    [r("STR_NOT_EQUALS", { values: ["a"] }), [{ key: "p", operator: "STR_EQUAL", values: ["a"], negate: true }]],
    [r("SELECT_NOT_EQUALS", { values: ["a"] }), [{ key: "p", operator: "STR_EQUAL", values: ["a"], negate: true }]],
    [r("STR_STARTS_WITH", { values: ["a"] }), [{ key: "p", operator: "STR_STARTS_WITH", values: ["a"], negate: false }]],
    [r("STR_NOT_STARTS_WITH", { values: ["a"] }), [{ key: "p", operator: "STR_STARTS_WITH", values: ["a"], negate: true }]],
    [r("STR_ENDS_WITH", { values: ["a"] }), [{ key: "p", operator: "STR_ENDS_WITH", values: ["a"], negate: false }]],
    [r("STR_NOT_ENDS_WITH", { values: ["a"] }), [{ key: "p", operator: "STR_ENDS_WITH", values: ["a"], negate: true }]],
    [r("STR_CONTAINS", { values: ["a"] }), [{ key: "p", operator: "STR_CONTAINS", values: ["a"], negate: false }]],
    [r("STR_NOT_CONTAINS", { values: ["a"] }), [{ key: "p", operator: "STR_CONTAINS", values: ["a"], negate: true }]],
    [r("ARR_OVERLAP", { values: ["a"] }), [{ key: "p", operator: "ARR_OVERLAP", values: ["a"], negate: false }]],
    [r("ARR_NOT_OVERLAP", { values: ["a"] }), [{ key: "p", operator: "ARR_OVERLAP", values: ["a"], negate: true }]],
    [r("NUM_EQUALS", { value: 3 }), [{ key: "p", operator: "EQ", value: 3, negate: false }]],
    [r("NUM_NOT_EQUALS", { value: 3 }), [{ key: "p", operator: "EQ", value: 3, negate: true }]],
    [r("NUM_GT", { value: 3 }), [{ key: "p", operator: "GT", value: 3, negate: false }]],
    [r("NUM_LT", { value: 3 }), [{ key: "p", operator: "LT", value: 3, negate: false }]],
    [r("NUM_GTE", { value: 3 }), [{ key: "p", operator: "LT", value: 3, negate: true }]],
    [r("NUM_LTE", { value: 3 }), [{ key: "p", operator: "GT", value: 3, negate: true }]],
    [
      r("DATE_AFTER", { value: "2026-01-25T12:30:00Z" }),
      [{ key: "p", operator: "DATE_AFTER", timestamp: Date.UTC(2026, 0, 25, 12, 30), iso: "2026-01-25T12:30:00" }],
    ],
    [
      r("DATE_BEFORE", { value: "2026-01-25T12:30:00" }),
      [{ key: "p", operator: "DATE_BEFORE", timestamp: Date.UTC(2026, 0, 25, 12, 30), iso: "2026-01-25T12:30:00" }],
    ],
    [r("DATE_AFTER", { value: Date.UTC(2026, 0, 25) }), [{ key: "p", operator: "DATE_AFTER", timestamp: Date.UTC(2026, 0, 25), iso: "2026-01-25T00:00:00" }]],
    [
      r("DATE_IS", { value: "2026-01-25T18:00:00Z" }),
      [
        { key: "p", operator: "DATE_AFTER", timestamp: Date.UTC(2026, 0, 25), iso: "2026-01-25T00:00:00" },
        { key: "p", operator: "DATE_BEFORE", timestamp: Date.UTC(2026, 0, 25, 23, 59, 59, 999), iso: "2026-01-25T23:59:59" },
      ],
    ],
    [r("SEMVER_IS", { value: "1.2.3" }), [{ key: "p", operator: "SEMVER_EQ", version: [1, 2, 3], negate: false }]],
    [r("SEMVER_GTE", { value: "1.2" }), [{ key: "p", operator: "SEMVER_GTE", version: [1, 2], negate: false }]],
    [r("SEMVER_LTE", { value: "2" }), [{ key: "p", operator: "SEMVER_LTE", version: [2], negate: false }]],
    [r("STR_BEFORE", { value: "m" }), [{ key: "p", operator: "STR_BEFORE", value: "m" }]],
    [r("STR_AFTER", { value: "m" }), [{ key: "p", operator: "STR_AFTER", value: "m" }]],
    [r("STR_REGEXP", { value: "^a+$" }), [{ key: "p", operator: "REGEXP", value: "^a+$", negate: false }]],
    [r("STR_NOT_REGEXP", { value: "^a+$" }), [{ key: "p", operator: "REGEXP", value: "^a+$", negate: true }]],
    [r("IS_TRUE"), [{ key: "p", operator: "TRUE", negate: false }]],
    [r("IS_FALSE"), [{ key: "p", operator: "TRUE", negate: true }]],
    [r("IS_EMPTY"), [{ key: "p", operator: "EMPTY", negate: false }]],
    [r("IS_NOT_EMPTY"), [{ key: "p", operator: "EMPTY", negate: true }]],
    [r("PERCENTAGE", { range_start: 10, range_end: 35 }), [{ key: "p", operator: "PERCENTAGE", rangeStart: 0.1, rangeEnd: 0.35, seed: SEED }]],
    [r("PERCENTAGE", { range_start: 0, range_end: 50, seed: 7 }), [{ key: "p", operator: "PERCENTAGE", rangeStart: 0, rangeEnd: 0.5, seed: 7 }]],
  ])("%o", (rule, expected) => {
    expect(compileRule(rule, SEED)).toEqual(expected);
  });

  it("the flag's seed is the first 8 hex digits of its id", () => {
    expect(flagSeed(FLAG_ID)).toBe(0x5f0c8a9e);
    expect(flagSeed("0000000a-0000-4000-8000-000000000000")).toBe(10);
  });
});

/** What each operator should decide for a few contexts (read with tggl-core's rules in mind). */
const OPERATOR_CASES: [Rule, unknown, boolean][] = [
  [r("STR_EQUALS", { values: ["a"] }), "a", true],
  [r("STR_EQUALS", { values: ["a"] }), "A", false],
  [r("STR_NOT_EQUALS", { values: ["a"] }), "b", true],
  [r("STR_NOT_EQUALS", { values: ["a"] }), 5, false], // wrong type fails, negated or not
  [r("STR_NOT_EQUALS", { values: ["a"] }), undefined, false],
  [r("STR_STARTS_WITH", { values: ["ab"] }), "abc", true],
  [r("STR_NOT_STARTS_WITH", { values: ["ab"] }), "abc", false],
  [r("STR_ENDS_WITH", { values: ["bc"] }), "abc", true],
  [r("STR_CONTAINS", { values: ["b"] }), "abc", true],
  [r("STR_NOT_CONTAINS", { values: ["z"] }), "abc", true],
  [r("SELECT_EQUALS", { values: ["pro"] }), "pro", true],
  [r("SELECT_NOT_EQUALS", { values: ["pro"] }), "free", true],
  [r("ARR_OVERLAP", { values: ["x"] }), ["y", "x"], true],
  [r("ARR_OVERLAP", { values: ["x"] }), "x", false],
  [r("ARR_NOT_OVERLAP", { values: ["x"] }), ["y"], true],
  [r("NUM_EQUALS", { value: 3 }), 3, true],
  [r("NUM_EQUALS", { value: 3 }), "3", false],
  [r("NUM_NOT_EQUALS", { value: 3 }), 4, true],
  [r("NUM_GT", { value: 3 }), 3, false],
  [r("NUM_GTE", { value: 3 }), 3, true],
  [r("NUM_LT", { value: 3 }), 2, true],
  [r("NUM_LTE", { value: 3 }), 3, true],
  [r("NUM_LTE", { value: 3 }), 4, false],
  [r("DATE_AFTER", { value: "2026-01-25T00:00:00Z" }), "2026-02-01", true],
  [r("DATE_AFTER", { value: "2026-01-25T00:00:00Z" }), Date.UTC(2026, 0, 24), false],
  [r("DATE_AFTER", { value: "2026-01-25T00:00:00Z" }), Date.UTC(2026, 0, 26) / 1000, true], // small numbers read as seconds
  [r("DATE_BEFORE", { value: "2026-01-25T00:00:00Z" }), "2026-01-24T23:00:00", true],
  [r("DATE_IS", { value: "2026-01-25" }), "2026-01-25T23:59:59", true],
  [r("DATE_IS", { value: "2026-01-25" }), "2026-01-25", true],
  [r("DATE_IS", { value: "2026-01-25" }), "2026-01-26T00:00:00", false],
  [r("DATE_IS", { value: "2026-01-25" }), Date.UTC(2026, 0, 25, 13), true],
  [r("DATE_IS", { value: "2026-01-25" }), Date.UTC(2026, 0, 24, 23, 59), false],
  [r("SEMVER_IS", { value: "1.2.3" }), "1.2.3", true],
  [r("SEMVER_IS", { value: "1.2" }), "1.2.9", true], // compared on the rule's parts
  [r("SEMVER_GTE", { value: "1.2.3" }), "1.10.0", true],
  [r("SEMVER_GTE", { value: "1.2.3" }), "1.2", false],
  [r("SEMVER_LTE", { value: "1.2.3" }), "1.2.2", true],
  [r("STR_BEFORE", { value: "m" }), "m", true], // inclusive
  [r("STR_AFTER", { value: "m" }), "n", true],
  [r("STR_REGEXP", { value: "^a+$" }), "aaa", true],
  [r("STR_NOT_REGEXP", { value: "^a+$" }), "b", true],
  [r("IS_TRUE"), true, true],
  [r("IS_TRUE"), "true", false],
  [r("IS_FALSE"), false, true],
  [r("IS_EMPTY"), "", true],
  [r("IS_EMPTY"), undefined, true],
  [r("IS_NOT_EMPTY"), 0, true],
  [r("IS_NOT_EMPTY"), null, false],
];

describe("operators, evaluated by tggl-core", () => {
  it.each(OPERATOR_CASES)("%o on %o → %s", (rule, value, expected) => {
    const context = value === undefined ? {} : { p: value };
    expect(evalRules(context, compileRule(rule, SEED))).toBe(expected);
  });
});

const variations = [
  { id: "10000000-0000-4000-8000-000000000001", name: "Live", description: "", color: "#000000", active: true, value: true, order: 0 },
  { id: "10000000-0000-4000-8000-000000000002", name: "Off", description: "", color: "#000000", active: false, value: false, order: 1 },
  { id: "10000000-0000-4000-8000-000000000003", name: "Beta", description: "", color: "#000000", active: true, value: "beta", order: 2 },
];
const [live, off, beta] = variations;

function served(state: Partial<ServedFlag["state"]>): ServedFlag {
  return {
    id: FLAG_ID,
    key: "checkout",
    version: 4,
    variations,
    state: { enabled: true, rollout_percentage: 100, rollout_variation_id: live.id, conditions: [], default_variation_id: off.id, version: 7, ...state },
  };
}
const vip = { id, name: "VIP", variation_id: beta.id, rules: [r("STR_EQUALS", { values: ["vip"] })].map((x) => ({ ...x, property: "plan" }) as Rule) };

describe("what a compiled flag serves", () => {
  it.each([
    ["disabled: the default to everyone", served({ enabled: false, conditions: [vip] }), { plan: "vip" }, off.id, "DISABLED"],
    ["enabled, no condition, 100%: the rollout variation", served({}), {}, live.id, "STATIC"],
    ["a matching condition", served({ conditions: [vip] }), { plan: "vip" }, beta.id, "TARGETING_MATCH"],
    ["no condition matches, 100%", served({ conditions: [vip] }), { plan: "free" }, live.id, "DEFAULT"],
    ["rollout 0%: the default", served({ rollout_percentage: 0 }), { userId: "u1" }, off.id, "SPLIT"],
    ["rollout without a userId: the default", served({ rollout_percentage: 99 }), {}, off.id, "SPLIT"],
  ])("%s", (_, flag, context, variationId, reason) => {
    const compiled = compileFlag(flag);
    const outcome = evaluateFlag(compiled, context);
    expect(outcome.variation.id).toBe(variationId);
    expect(outcome.reason).toBe(reason);
    const tgglValue = evalFlag(context, compiled.tggl);
    expect(tgglValue).toEqual(outcome.variation.active ? outcome.variation.value : undefined);
  });

  it("a disabled state compiles to no conditions and the default variation", () => {
    expect(compileFlag(served({ enabled: false, conditions: [vip], rollout_percentage: 10 })).tggl).toEqual({
      slug: "checkout",
      conditions: [],
      defaultVariation: { active: false, value: false },
    });
  });

  it("the rollout is the last condition, on userId with the flag's seed; at 100% it is the default", () => {
    const partial = compileFlag(served({ conditions: [vip], rollout_percentage: 30 })).tggl;
    expect(partial.conditions).toHaveLength(2);
    expect(partial.conditions[1]).toEqual({
      rules: [{ key: "userId", operator: "PERCENTAGE", rangeStart: 0, rangeEnd: 0.3, seed: SEED }],
      variation: { active: true, value: true },
    });
    expect(partial.defaultVariation).toEqual({ active: false, value: false });
    const full = compileFlag(served({ conditions: [vip] })).tggl;
    expect(full.conditions).toHaveLength(1);
    expect(full.defaultVariation).toEqual({ active: true, value: true });
  });

  it("a rollout splits users near its percentage, the same way tggl-core does, with SPLIT either side", () => {
    const compiled = compileFlag(served({ rollout_percentage: 30 }));
    let inRollout = 0;
    for (let i = 0; i < 2000; i++) {
      const context = { userId: `user-${i}` };
      const outcome = evaluateFlag(compiled, context);
      expect(outcome.reason).toBe("SPLIT");
      if (outcome.variation.id === live.id) inRollout++;
      expect(evalFlag(context, compiled.tggl)).toEqual(outcome.variation.active ? outcome.variation.value : undefined);
    }
    expect(inRollout / 2000).toBeGreaterThan(0.26);
    expect(inRollout / 2000).toBeLessThan(0.34);
  });

  it("a PERCENTAGE rule's own seed changes the buckets; without one it uses the flag's, as the rollout does", () => {
    const withRule = (seed?: number) =>
      compileFlag(
        served({
          conditions: [
            { ...vip, rules: [{ id, property: "userId", operator: "PERCENTAGE", range_start: 0, range_end: 50, ...(seed === undefined ? {} : { seed }) }] },
          ],
        }),
      );
    const users = Array.from({ length: 200 }, (_, i) => ({ userId: `u${i}` }));
    const picks = (f: ReturnType<typeof withRule>) => users.map((u) => evaluateFlag(f, u).reason === "TARGETING_MATCH");
    const rollout = compileFlag(served({ rollout_percentage: 50 }));
    expect(picks(withRule())).toEqual(users.map((u) => evaluateFlag(rollout, u).variation.id === live.id));
    expect(picks(withRule(12345))).not.toEqual(picks(withRule()));
  });

  it("an inactive variation is served with its value (OFREP) and as no value by tggl-core", () => {
    const compiled = compileFlag(served({ enabled: false }));
    expect(evaluateFlag(compiled, {}).variation).toEqual({ id: off.id, name: "Off", active: false, value: false });
    expect(evalFlag({}, compiled.tggl)).toBeUndefined();
  });

  it("OFREP's targetingKey stands for userId only when userId is absent or null", () => {
    expect(ofrepContext({ targetingKey: "t" })).toEqual({ targetingKey: "t", userId: "t" });
    expect(ofrepContext({ targetingKey: "t", userId: null })).toEqual({ targetingKey: "t", userId: "t" });
    expect(ofrepContext({ targetingKey: "t", userId: "u" })).toEqual({ targetingKey: "t", userId: "u" });
  });

  it("a configuration indexes its flags by key", () => {
    const config = compileConfig("env", 3, [served({})]);
    expect(config.revision).toBe(3);
    expect(config.byKey.get("checkout")?.id).toBe(FLAG_ID);
  });
});
