import { describe, expect, it } from "vitest";
import { renderCodeLike, renderCondition, renderRule, renderVariation } from "../src/flags/code-like";
import { BARE_OPERATORS, LIST_OPERATORS, PERCENTAGE_OPERATOR, VALUE_OPERATORS, type Rule, type Variation } from "../src/flags/model";
import { LIVE, OFF, buildCondition, buildFlag, buildState, userIdIsOneOf, withState } from "./fixtures";

const CONTRACT_EXAMPLE = `IF
  userId IS ONE OF [
    "foo",
    "bar",
  ]
THEN
  Live (value: true)
ELSE IF
  20% OF userId (0% TO 20%)
THEN
  Live (value: true)
ELSE
  Off (inactive)`;

describe("renderCodeLike", () => {
  it("renders the contract's example verbatim", () => {
    const flag = withState(buildFlag(), "production", { enabled: true, conditions: [buildCondition()], rollout_percentage: 20 });
    expect(renderCodeLike(flag, "production")).toBe(CONTRACT_EXAMPLE);
  });

  const plan: Rule = { id: "rule-2", property: "plan", operator: "SELECT_EQUALS", values: ["pro"] };
  it.each([
    {
      name: "disabled: the default variation alone",
      state: { enabled: false, conditions: [buildCondition()], rollout_percentage: 20 },
      expected: "Off (inactive)",
    },
    { name: "enabled, no condition, 100%: the rollout variation alone", state: { enabled: true }, expected: "Live (value: true)" },
    {
      name: "enabled, no condition, 100% of Off",
      state: { enabled: true, rollout_variation_id: OFF.id, default_variation_id: LIVE.id },
      expected: "Off (inactive)",
    },
    {
      name: "enabled, conditions, 100%: the final ELSE serves the rollout variation",
      state: { enabled: true, conditions: [buildCondition({ variation_id: OFF.id })] },
      expected: 'IF\n  userId IS ONE OF [\n    "foo",\n    "bar",\n  ]\nTHEN\n  Off (inactive)\nELSE\n  Live (value: true)',
    },
    {
      name: "enabled, no condition, below 100%: the rollout block then the default",
      state: { enabled: true, rollout_percentage: 35 },
      expected: "IF\n  35% OF userId (0% TO 35%)\nTHEN\n  Live (value: true)\nELSE\n  Off (inactive)",
    },
    {
      name: "enabled, 0%: still a rollout block",
      state: { enabled: true, rollout_percentage: 0 },
      expected: "IF\n  0% OF userId (0% TO 0%)\nTHEN\n  Live (value: true)\nELSE\n  Off (inactive)",
    },
    {
      name: "several conditions: one IF / ELSE IF block each, rules joined by AND",
      state: {
        enabled: true,
        conditions: [
          buildCondition({ rules: [userIdIsOneOf("rule-1", ["foo"]), plan] }),
          buildCondition({
            id: "cond-2",
            variation_id: OFF.id,
            rules: [{ id: "rule-3", property: "email", operator: "STR_ENDS_WITH", values: ["@acme.com"] }],
          }),
        ],
      },
      expected: [
        "IF",
        '  userId == "foo"',
        "  AND",
        "  plan IS ONE OF [",
        '    "pro",',
        "  ]",
        "THEN",
        "  Live (value: true)",
        "ELSE IF",
        "  email ENDS WITH ONE OF [",
        '    "@acme.com",',
        "  ]",
        "THEN",
        "  Off (inactive)",
        "ELSE",
        "  Live (value: true)",
      ].join("\n"),
    },
    {
      name: "a condition without rules matches everyone",
      state: { enabled: true, conditions: [buildCondition({ rules: [] })] },
      expected: "IF\n  EVERYONE\nTHEN\n  Live (value: true)\nELSE\n  Live (value: true)",
    },
  ])("$name", ({ state, expected }) => {
    const flag = withState(buildFlag(), "production", state);
    expect(renderCodeLike(flag, "production")).toBe(expected);
  });

  it("renders only the environment asked for", () => {
    const flag = withState(buildFlag(), "production", { enabled: true });
    expect(renderCodeLike(flag, "development")).toBe("Off (inactive)");
    expect(renderCodeLike(flag, "production")).toBe("Live (value: true)");
  });

  it("is empty for an environment the flag has no state in", () => {
    expect(renderCodeLike(buildFlag(), "staging")).toBe("");
  });

  it("names a variation it cannot find instead of failing", () => {
    const flag = withState(buildFlag(), "production", { default_variation_id: "gone" });
    expect(renderCodeLike(flag, "production")).toBe("Unknown default variation (inactive)");
  });
});

describe("renderVariation", () => {
  const variation = (active: boolean, value: unknown): Variation => ({ ...LIVE, name: "Blue", active, value });
  it.each([
    { active: true, value: true, expected: "Blue (value: true)" },
    { active: true, value: false, expected: "Blue (value: false)" },
    { active: true, value: "blue", expected: 'Blue (value: "blue")' },
    { active: true, value: 42.5, expected: "Blue (value: 42.5)" },
    { active: true, value: { seats: 3, tiers: ["a"] }, expected: 'Blue (value: {"seats":3,"tiers":["a"]})' },
    { active: true, value: null, expected: "Blue (value: null)" },
    { active: false, value: "blue", expected: "Blue (inactive)" },
  ])("active $active, value $value → $expected", ({ active, value, expected }) => {
    expect(renderVariation(variation(active, value))).toBe(expected);
  });
});

describe("renderRule", () => {
  const list = (operator: string, property: string, values: string[]) => ({ id: "r", property, operator, values }) as Rule;
  const one = (operator: string, property: string, value: string | number) => ({ id: "r", property, operator, value }) as Rule;
  const bare = (operator: string, property: string) => ({ id: "r", property, operator }) as Rule;
  const listed = (head: string, values: string[]) => [`  ${head} [`, ...values.map((v) => `    ${JSON.stringify(v)},`), "  ]"];

  const cases: { rule: Rule; expected: string[] }[] = [
    { rule: list("STR_EQUALS", "userId", ["foo", "bar"]), expected: listed("userId IS ONE OF", ["foo", "bar"]) },
    { rule: list("STR_NOT_EQUALS", "userId", ["foo"]), expected: listed("userId IS NOT ONE OF", ["foo"]) },
    { rule: list("STR_STARTS_WITH", "email", ["admin@"]), expected: listed("email STARTS WITH ONE OF", ["admin@"]) },
    { rule: list("STR_NOT_STARTS_WITH", "email", ["test"]), expected: listed("email DOES NOT START WITH ONE OF", ["test"]) },
    { rule: list("STR_ENDS_WITH", "email", ["@acme.com", "@acme.io"]), expected: listed("email ENDS WITH ONE OF", ["@acme.com", "@acme.io"]) },
    { rule: list("STR_NOT_ENDS_WITH", "email", ["@gmail.com"]), expected: listed("email DOES NOT END WITH ONE OF", ["@gmail.com"]) },
    { rule: list("STR_CONTAINS", "name", ["bot"]), expected: listed("name CONTAINS ONE OF", ["bot"]) },
    { rule: list("STR_NOT_CONTAINS", "name", ["bot"]), expected: listed("name DOES NOT CONTAIN ONE OF", ["bot"]) },
    { rule: list("SELECT_EQUALS", "plan", ["pro", "team"]), expected: listed("plan IS ONE OF", ["pro", "team"]) },
    { rule: list("SELECT_NOT_EQUALS", "plan", ["free"]), expected: listed("plan IS NOT ONE OF", ["free"]) },
    { rule: list("ARR_OVERLAP", "groups", ["beta"]), expected: listed("groups HAS ONE OF", ["beta"]) },
    { rule: list("ARR_NOT_OVERLAP", "groups", ["banned"]), expected: listed("groups HAS NONE OF", ["banned"]) },
    { rule: one("NUM_EQUALS", "seats", 3), expected: ["  seats == 3"] },
    { rule: one("NUM_NOT_EQUALS", "seats", 3), expected: ["  seats != 3"] },
    { rule: one("NUM_GT", "age", 18), expected: ["  age > 18"] },
    { rule: one("NUM_GTE", "age", 18), expected: ["  age >= 18"] },
    { rule: one("NUM_LT", "age", 65.5), expected: ["  age < 65.5"] },
    { rule: one("NUM_LTE", "age", 65), expected: ["  age <= 65"] },
    { rule: one("DATE_AFTER", "createdAt", "2026-01-01T00:00:00Z"), expected: ['  createdAt IS AFTER "2026-01-01T00:00:00Z"'] },
    { rule: one("DATE_BEFORE", "createdAt", "2026-01-01"), expected: ['  createdAt IS BEFORE "2026-01-01"'] },
    { rule: one("DATE_IS", "birthday", "2026-02-14"), expected: ['  birthday IS ON "2026-02-14"'] },
    { rule: one("SEMVER_IS", "appVersion", "3.10.2"), expected: ['  appVersion IS VERSION "3.10.2"'] },
    { rule: one("SEMVER_GTE", "appVersion", "3.10"), expected: ['  appVersion IS AT LEAST VERSION "3.10"'] },
    { rule: one("SEMVER_LTE", "appVersion", "4"), expected: ['  appVersion IS AT MOST VERSION "4"'] },
    { rule: one("STR_BEFORE", "lastName", "m"), expected: ['  lastName COMES BEFORE "m"'] },
    { rule: one("STR_AFTER", "lastName", "m"), expected: ['  lastName COMES AFTER "m"'] },
    { rule: one("STR_REGEXP", "email", "^[a-z]+@acme\\.com$"), expected: ['  email MATCHES "^[a-z]+@acme\\\\.com$"'] },
    { rule: one("STR_NOT_REGEXP", "email", "@test\\."), expected: ['  email DOES NOT MATCH "@test\\\\."'] },
    { rule: bare("IS_TRUE", "verified"), expected: ["  verified IS TRUE"] },
    { rule: bare("IS_FALSE", "verified"), expected: ["  verified IS FALSE"] },
    { rule: bare("IS_EMPTY", "country"), expected: ["  country IS EMPTY"] },
    { rule: bare("IS_NOT_EMPTY", "country"), expected: ["  country IS NOT EMPTY"] },
    { rule: { id: "r", property: "userId", operator: "PERCENTAGE", range_start: 10, range_end: 35 }, expected: ["  25% OF userId (10% TO 35%)"] },
  ];

  it.each(cases)("$rule.operator", ({ rule, expected }) => {
    expect(renderRule(rule)).toEqual(expected);
  });

  it("has a case for every one of the 33 operators", () => {
    const all = [...LIST_OPERATORS, ...VALUE_OPERATORS, ...BARE_OPERATORS, PERCENTAGE_OPERATOR];
    expect(all).toHaveLength(33);
    expect(new Set(cases.map((c) => c.rule.operator))).toEqual(new Set(all));
  });

  it.each([
    { name: "a one-value STR_EQUALS reads ==", rule: userIdIsOneOf("r", ["x"]), expected: ['  userId == "x"'] },
    { name: "values are JSON-quoted", rule: userIdIsOneOf("r", ['say "hi"', "a\\b"]), expected: listed("userId IS ONE OF", ['say "hi"', "a\\b"]) },
    {
      name: "a seeded percentage shows its seed",
      rule: { id: "r", property: "orgId", operator: "PERCENTAGE", range_start: 0, range_end: 12.5, seed: 7 } as Rule,
      expected: ["  12.5% OF orgId (0% TO 12.5%) WITH SEED 7"],
    },
    {
      name: "fractional widths do not leak float noise",
      rule: { id: "r", property: "userId", operator: "PERCENTAGE", range_start: 0.1, range_end: 0.4 } as Rule,
      expected: ["  0.3% OF userId (0.1% TO 0.4%)"],
    },
  ])("$name", ({ rule, expected }) => {
    expect(renderRule(rule)).toEqual(expected);
  });
});

describe("renderCondition", () => {
  it("renders one condition as its own IF / THEN block", () => {
    const condition = buildCondition({ rules: [userIdIsOneOf("rule-1", ["foo"]), { id: "rule-2", property: "verified", operator: "IS_TRUE" }] });
    expect(renderCondition(condition, [LIVE, OFF])).toBe('IF\n  userId == "foo"\n  AND\n  verified IS TRUE\nTHEN\n  Live (value: true)');
  });

  it("matches the block the whole state renders for it", () => {
    const flag = withState(buildFlag(), "production", { ...buildState(), enabled: true, conditions: [buildCondition()] });
    const whole = renderCodeLike(flag, "production");
    expect(whole.startsWith(renderCondition(buildCondition(), flag.variations))).toBe(true);
  });
});
