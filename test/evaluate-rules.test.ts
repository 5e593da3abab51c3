// Flagpost decides each rule as tggl-core's evalRule decides it, with REGEXP matched by RE2 and a
// budget on the work one context may cost. Checked against tggl-core itself (every other operator,
// on random rules and values) and against V8's RegExp (every pattern the write check accepts, on
// random inputs with astral characters, lone surrogates and line terminators).
import fc from "fast-check";
import { evalRule, Operator, type Rule as TgglRule } from "tggl-core";
import { afterEach, describe, expect, it, vi } from "vitest";
import { compilePattern, matchesPattern, MAX_PATTERN_LENGTH, patternProblem } from "../src/flags/pattern";
import { translatePattern } from "../src/flags/pattern-syntax";
import { compileFlag, type ServedFlag } from "../src/flags/compile";
import { decideRule, EvaluationBudget, EvaluationBudgetExceeded, evaluateFlag, ruleCost } from "../src/flags/evaluate";

const word = fc.string({ unit: fc.constantFrom("a", "b", "1", ".", "-", "é", "😀", "\n", " "), maxLength: 8 });
const anyValue = fc.oneof(
  word,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.array(fc.oneof(word, fc.integer()), { maxLength: 6 }),
);
const version = fc.array(fc.nat(5), { minLength: 1, maxLength: 4 });
const versionText = fc
  .array(fc.oneof(fc.nat(5).map(String), fc.constantFrom("", "x", "1e1", " 2")), { minLength: 0, maxLength: 7 })
  .map((parts) => parts.join("."));

const rule: fc.Arbitrary<TgglRule> = fc.oneof(
  fc.record({
    key: fc.constant("p"),
    operator: fc.constantFrom(Operator.StrEqual, Operator.StrStartsWith, Operator.StrEndsWith, Operator.StrContains, Operator.ArrOverlap),
    values: fc.array(word, { minLength: 1, maxLength: 5 }),
    negate: fc.boolean(),
  }) as fc.Arbitrary<TgglRule>,
  fc.record({
    key: fc.constant("p"),
    operator: fc.constantFrom(Operator.SemverEq, Operator.SemverGte, Operator.SemverLte),
    version,
    negate: fc.boolean(),
  }) as fc.Arbitrary<TgglRule>,
  fc.record({
    key: fc.constant("p"),
    operator: fc.constantFrom(Operator.Eq, Operator.Lt, Operator.Gt),
    value: fc.integer({ min: -3, max: 3 }),
    negate: fc.boolean(),
  }) as fc.Arbitrary<TgglRule>,
  fc.record({ key: fc.constant("p"), operator: fc.constantFrom(Operator.StrBefore, Operator.StrAfter), value: word }) as fc.Arbitrary<TgglRule>,
  fc.record({ key: fc.constant("p"), operator: fc.constantFrom(Operator.True, Operator.Empty), negate: fc.boolean() }) as fc.Arbitrary<TgglRule>,
  fc.record({
    key: fc.constant("p"),
    operator: fc.constant(Operator.Percentage),
    rangeStart: fc.constant(0),
    rangeEnd: fc.double({ min: 0, max: 1, noNaN: true }),
    seed: fc.nat(),
  }) as fc.Arbitrary<TgglRule>,
);

describe("decideRule agrees with tggl-core's evalRule", () => {
  it("on every operator but REGEXP, for random rules and values", () => {
    fc.assert(
      fc.property(rule, fc.oneof(anyValue, versionText), (r, value) => {
        expect(decideRule(r, value)).toBe(evalRule(r, value));
      }),
      { numRuns: 3000 },
    );
  });

  it("on SEMVER rules against versions with many parts (only the compared parts are read)", () => {
    const long = Array(5000).fill("1").join(".");
    for (const operator of [Operator.SemverEq, Operator.SemverGte, Operator.SemverLte]) {
      for (const v of [[1], [1, 1, 1], [2], [0, 9]]) {
        const r = { key: "p", operator, version: v, negate: false } as TgglRule;
        expect(decideRule(r, long)).toBe(evalRule(r, long));
      }
    }
  });
});

// ---- Patterns --------------------------------------------------------------------------------

const atom = fc.oneof(
  fc.constantFrom("a", "b", "é", "-", "@", "\\.", "\\-", "\\\\", "\\/", "\\n", "\\r", "\\t", "\\x41", "\\u00e9", "\\u2028", "\\0", "\\cJ", "\\}", "]", "}"),
  fc.constantFrom(".", "\\d", "\\D", "\\w", "\\W", "\\s", "\\S"),
  fc.constantFrom(
    "[ab]",
    "[^ab]",
    "[a-z]",
    "[^a-z]",
    "[\\d.]",
    "[\\s]",
    "[^\\s]",
    "[\\w-]",
    "[-a]",
    "[a-]",
    "[\\b]",
    "[\\]]",
    "[[]",
    "[^\\n]",
    "[\\u2028\\u2029]",
    "[é-ü]",
    "[\\x00-\\x1f]",
    "[\\s\\S]",
    "[a\\S]",
    "[\\S\\d]",
  ),
);
const quantifier = fc.constantFrom("", "", "", "*", "+", "?", "{2}", "{1,3}", "{0,}", "*?", "+?");
const piece = fc.tuple(atom, quantifier).map(([a, q]) => a + q);
const sequence = fc.array(piece, { minLength: 1, maxLength: 4 }).map((p) => p.join(""));
const group = sequence
  .chain((s) => fc.constantFrom(`(${s})`, `(?:${s})`, `(?<g>${s})`, `(${s}|b)`))
  .chain((g) => fc.tuple(fc.constant(g), quantifier).map(([x, q]) => x + q));
const pattern = fc
  .tuple(fc.constantFrom("", "^", "\\b"), fc.array(fc.oneof(piece, group), { minLength: 1, maxLength: 4 }), fc.constantFrom("", "$", "\\B", "|a"))
  .map(([head, body, tail]) => head + body.join("") + tail);
const input = fc.string({
  unit: fc.constantFrom(
    "a",
    "b",
    "A",
    "-",
    ".",
    "@",
    "é",
    "ü",
    "_",
    "1",
    " ",
    "\n",
    "\r",
    "\t",
    "\u2028",
    "\u00a0",
    "\ufeff",
    "\u180e",
    "\b",
    "😀",
    "\ud800",
    "\udc00",
    "]",
    "}",
  ),
  maxLength: 12,
});

describe("patterns: RE2 answers what V8 answers for every pattern the write check accepts", () => {
  it("on random patterns of the accepted syntax and random input", () => {
    fc.assert(
      fc.property(pattern, input, (p, s) => {
        if (patternProblem(p) !== null) return;
        expect(matchesPattern(compilePattern(p), s), `${JSON.stringify(p)} on ${JSON.stringify(s)}`).toBe(new RegExp(p).test(s));
      }),
      { numRuns: 4000 },
    );
  });

  it("accepts most of those patterns, so the property above tests something", () => {
    const sample = fc.sample(pattern, { numRuns: 500, seed: 7 });
    const accepted = sample.filter((p) => patternProblem(p) === null).length;
    expect(accepted).toBeGreaterThan(400);
  });

  it("reads \\s and . as V8 does on every BMP code unit", () => {
    for (const p of ["\\s", "\\S", ".", "[^\\s]", "\\w", "\\W", "\\d", "\\b"]) {
      const re = compilePattern(p);
      const v8 = new RegExp(p);
      for (let u = 0; u <= 0xffff; u++) {
        const s = String.fromCharCode(u);
        if (matchesPattern(re, s) !== v8.test(s)) throw new Error(`${p} differs on U+${u.toString(16)}`);
      }
    }
  });

  it.each([
    ["(?=a)", "lookahead"],
    ["(?!admin)", "lookahead"],
    ["(?<=a)b", "lookahead"],
    ["(a)\\1", "backreferences"],
    ["\\p{L}", "not supported"],
    ["\\A", "not supported"],
    ["\\z", "not supported"],
    ["😀", "Basic Multilingual Plane"],
    ["[😀]", "Basic Multilingual Plane"],
    ["\\ud83d", "Basic Multilingual Plane"],
    ["[]a]", "empty class"],
    ["[^]", "not supported"],
    ["[^\\S]", "negated class"],
    ["a{", 'literal "{"'],
    ["a{1001}", "at most {1000}"],
    ["[\\d-z]", "range"],
    ["[a-\\d]", "range"],
    ["(", "not a valid regular expression"],
    ["[a]{1,1000}[a]{1,1000}", "too complex"],
  ])("refuses %s (%s)", (p, reason) => {
    expect(patternProblem(p)).toContain(reason);
  });

  it(`refuses a pattern longer than ${MAX_PATTERN_LENGTH} characters`, () => {
    expect(patternProblem("a".repeat(MAX_PATTERN_LENGTH))).toBeNull();
    expect(patternProblem("a".repeat(MAX_PATTERN_LENGTH + 1))).toContain(`at most ${MAX_PATTERN_LENGTH} characters`);
  });

  it.each(["^(a+)+$", "^([a-zA-Z0-9_\\.\\-])+\\@(([a-zA-Z0-9\\-])+\\.)+([a-zA-Z0-9]{2,4})+$", "^(a|a)*$", "(\\w+\\s?)*$", ".*@acme\\.com", "[ab]+c"])(
    "accepts %s, which V8 backtracks on, and answers it as V8 would on short input",
    (p) => {
      expect(patternProblem(p)).toBeNull();
      for (const s of ["aaaa", "a@b.cd", "x", "aaa!", "ab c", "bob@acme.com"]) expect(matchesPattern(compilePattern(p), s)).toBe(new RegExp(p).test(s));
    },
  );

  it("keeps what a pattern says: the translation is RE2 syntax for the same language", () => {
    expect(translatePattern("^(a+)+$")).toEqual({ ok: true, re2: "^(?:a+)+$" });
    expect(translatePattern("a.b")).toEqual({ ok: true, re2: "a[^\\x{a}\\x{d}\\x{2028}\\x{2029}]b" });
  });
});

describe("REGEXP rules never reach V8's backtracking engine", () => {
  afterEach(() => vi.restoreAllMocks());

  it("evaluates a stored ^(a+)+$ without constructing a RegExp of it", () => {
    // Before: tggl-core ran `new RegExp(rule.value).test(value)`, 2^30 steps for 31 characters.
    const constructed: string[] = [];
    const Real = globalThis.RegExp;
    vi.spyOn(globalThis, "RegExp").mockImplementation(function (this: unknown, source: string | RegExp, flags?: string) {
      constructed.push(String(source instanceof Real ? source.source : source));
      return new Real(source, flags);
    } as unknown as RegExpConstructor);
    const compiled = compileFlag({
      id: "5f0c8a9e-3c1d-4b7a-9f57-2a0e4c6d8b1f",
      key: "f",
      version: 1,
      variations: [
        { id: "v1", name: "on", description: "", color: "#000000", active: true, value: true, order: 0 },
        { id: "v2", name: "off", description: "", color: "#000000", active: true, value: false, order: 1 },
      ],
      state: {
        enabled: true,
        rollout_percentage: 100,
        rollout_variation_id: "v2",
        default_variation_id: "v2",
        version: 1,
        conditions: [{ id: "c1", name: "", variation_id: "v1", rules: [{ id: "r1", property: "email", operator: "STR_REGEXP", value: "^(a+)+$" }] }],
      } as never,
    });
    expect(evaluateFlag(compiled, { email: "aaaa!" }).variation.name).toBe("off");
    expect(evaluateFlag(compiled, { email: "aaaa" }).variation.name).toBe("on");
    expect(constructed).not.toContain("^(a+)+$");
    vi.restoreAllMocks();
    expect(evaluateFlag(compiled, { email: `${"a".repeat(30)}!` }).variation.name).toBe("off");
  });
});

describe("the evaluation budget", () => {
  const notContains = (values: string[]) => ({ id: "r1", property: "s", operator: "STR_NOT_CONTAINS", values });
  const flag = (rules: unknown[]): ServedFlag => ({
    id: "5f0c8a9e-3c1d-4b7a-9f57-2a0e4c6d8b1f",
    key: "f",
    version: 1,
    variations: [{ id: "v1", name: "on", description: "", color: "#000000", active: true, value: true, order: 0 }],
    state: {
      enabled: true,
      rollout_percentage: 100,
      rollout_variation_id: "v1",
      default_variation_id: "v1",
      version: 1,
      conditions: [{ id: "c1", name: "", variation_id: "v1", rules: rules as never }],
    },
  });

  it("charges a rule by what it reads: the context's size, the rule's values, the pattern's program", () => {
    const contains = { key: "p", operator: Operator.StrContains, values: ["a", "b"], negate: false } as TgglRule;
    expect(ruleCost(contains, "x".repeat(1000))).toBeGreaterThan(ruleCost(contains, "x"));
    const regexp = (value: string) => ({ key: "p", operator: Operator.RegExp, value, negate: false }) as TgglRule;
    expect(ruleCost(regexp("[a]{1,500}"), "x".repeat(100))).toBeGreaterThan(ruleCost(regexp("a"), "x".repeat(100)));
    expect(ruleCost(regexp("a"), 5)).toBe(1);
  });

  it("refuses a context whose rules would cost more than its budget, and serves one within it", () => {
    const compiled = compileFlag(flag([notContains(Array.from({ length: 100 }, (_, i) => `v${i}`))]));
    expect(evaluateFlag(compiled, { s: "x".repeat(100) }, new EvaluationBudget(1_000_000)).reason).toBe("TARGETING_MATCH");
    expect(() => evaluateFlag(compiled, { s: "x".repeat(20_000) }, new EvaluationBudget(1_000_000))).toThrow(EvaluationBudgetExceeded);
  });

  it("gives each context of a request its own budget, within the request's", () => {
    const compiled = compileFlag(flag([notContains(["z"])]));
    const budget = new EvaluationBudget(1000, 2500);
    for (let i = 0; i < 2; i++) {
      budget.nextContext();
      evaluateFlag(compiled, { s: "x".repeat(900) }, budget);
    }
    budget.nextContext();
    expect(() => evaluateFlag(compiled, { s: "x".repeat(900) }, budget)).toThrow(EvaluationBudgetExceeded);
  });
});
