// OpenFeature's provider conformance kit (Appendix F of the OpenFeature specification, its
// `provider-tck` assets), restated as Flagpost's own test data: the canonical flag set translated to
// Flagpost's model, and every case of the kit's evaluation, errors and reason scenarios as a row of
// facts. Nothing here is the kit's text; a row names the kit scenario it restates so the two can be
// compared when the kit moves.
//
// Kit read: the newest revision of `specification/assets/provider-tck` (unreleased, 0.0.0, with
// `@string-typing` split from `@fully-typed-values` and reasons gated behind `@standard-reasons`).

export type FlagpostType = "boolean" | "string" | "number" | "json";
/** The accessor a kit step asks through. JavaScript has one number accessor for Integer and Float. */
export type KitType = "Boolean" | "String" | "Integer" | "Float" | "Object";

export const TARGETED_KEY = "5c3d8535-f81a-4478-a6d3-afaa4d51199e";
export const OTHER_KEY = "f20bd32d-703b-48b6-bc8e-79d53c85134a";
/** Must not exist: its absence is what FLAG_NOT_FOUND is asked of. */
export const ABSENT_FLAG = "missing-flag";

export interface CanonicalFlag {
  key: string;
  type: FlagpostType;
  variations: [name: string, value: unknown][];
  /** The kit's default variant: what the flag serves with no targeting (and, disabled, Flagpost's default variation). */
  serves: string;
  enabled: boolean;
  /** The one targeting rule of the set: this targeting key gets `variant`, everyone else `serves`. */
  targeting?: { targetingKey: string; variant: string };
}

const TEMPLATE = { showImages: true, title: "Check out these pics!", imagesPerPage: 100 };

/**
 * The canonical set in Flagpost's terms: an enabled flag with no conditions at 100% serves its rollout
 * variation (reason STATIC); the targeted flag has one condition on `userId`, which a context's
 * `targetingKey` stands for (TARGETING_MATCH, else DEFAULT); a disabled flag serves its default
 * variation. Falsy values and 2^53 - 1 are values like any other. `integral-float-flag` is 10.0 in the
 * kit; JSON and JavaScript have one number type, so it is the number 10 here (only @numeric-coercion,
 * not askable in JavaScript, reads it). `changing-flag` is only read by @configuration-change.
 */
export const CANONICAL_FLAGS: CanonicalFlag[] = [
  {
    key: "boolean-flag",
    type: "boolean",
    variations: [
      ["on", true],
      ["off", false],
    ],
    serves: "on",
    enabled: true,
  },
  {
    key: "string-flag",
    type: "string",
    variations: [
      ["greeting", "hi"],
      ["parting", "bye"],
    ],
    serves: "greeting",
    enabled: true,
  },
  {
    key: "integer-flag",
    type: "number",
    variations: [
      ["one", 1],
      ["ten", 10],
    ],
    serves: "ten",
    enabled: true,
  },
  {
    key: "float-flag",
    type: "number",
    variations: [
      ["tenth", 0.1],
      ["half", 0.5],
    ],
    serves: "half",
    enabled: true,
  },
  {
    key: "large-integer-flag",
    type: "number",
    variations: [
      ["one", 1],
      ["max-int32", 2147483647],
    ],
    serves: "max-int32",
    enabled: true,
  },
  {
    key: "huge-integer-flag",
    type: "number",
    variations: [
      ["one", 1],
      ["max-safe", 9007199254740991],
    ],
    serves: "max-safe",
    enabled: true,
  },
  {
    key: "integral-float-flag",
    type: "number",
    variations: [
      ["tenth", 0.1],
      ["ten", 10],
    ],
    serves: "ten",
    enabled: true,
  },
  {
    key: "boolean-zero-flag",
    type: "boolean",
    variations: [
      ["zero", false],
      ["non-zero", true],
    ],
    serves: "zero",
    enabled: true,
  },
  {
    key: "integer-zero-flag",
    type: "number",
    variations: [
      ["zero", 0],
      ["non-zero", 1],
    ],
    serves: "zero",
    enabled: true,
  },
  {
    key: "string-zero-flag",
    type: "string",
    variations: [
      ["zero", ""],
      ["non-zero", "str"],
    ],
    serves: "zero",
    enabled: true,
  },
  {
    key: "object-flag",
    type: "json",
    variations: [
      ["empty", {}],
      ["template", TEMPLATE],
    ],
    serves: "template",
    enabled: true,
  },
  {
    key: "wrong-flag",
    type: "string",
    variations: [
      ["one", "uno"],
      ["two", "dos"],
    ],
    serves: "one",
    enabled: true,
  },
  {
    key: "disabled-boolean-flag",
    type: "boolean",
    variations: [
      ["on", true],
      ["off", false],
    ],
    serves: "on",
    enabled: false,
  },
  {
    key: "disabled-string-flag",
    type: "string",
    variations: [
      ["greeting", "hi"],
      ["parting", "bye"],
    ],
    serves: "greeting",
    enabled: false,
  },
  {
    key: "disabled-integer-flag",
    type: "number",
    variations: [
      ["one", 1],
      ["ten", 10],
    ],
    serves: "ten",
    enabled: false,
  },
  {
    key: "disabled-float-flag",
    type: "number",
    variations: [
      ["tenth", 0.1],
      ["half", 0.5],
    ],
    serves: "half",
    enabled: false,
  },
  {
    key: "targeting-key-flag",
    type: "string",
    variations: [
      ["miss", "miss"],
      ["hit", "hit"],
    ],
    serves: "miss",
    enabled: true,
    targeting: { targetingKey: TARGETED_KEY, variant: "hit" },
  },
  {
    key: "changing-flag",
    type: "string",
    variations: [
      ["foo", "foo"],
      ["bar", "bar"],
    ],
    serves: "foo",
    enabled: true,
  },
];

export interface Expected {
  value: unknown;
  /** Undefined where nothing was resolved (an error names no variant). */
  variant?: string;
  reason: string;
  /** Undefined on a normal evaluation, where the error message must be empty too. */
  errorCode?: string;
}

export interface KitCase {
  feature: "evaluation" | "errors" | "reason";
  scenario: string;
  /** Every tag that gates the row, including its feature's. */
  tags: string[];
  flag: string;
  type: KitType;
  defaultValue: unknown;
  targetingKey?: string;
  expected: Expected;
}

type Row = [flag: string, type: KitType, defaultValue: unknown, expected: Expected, targetingKey?: string];

function scenario(feature: KitCase["feature"], name: string, tags: string[], rows: Row[]): KitCase[] {
  return rows.map(([flag, type, defaultValue, expected, targetingKey]) => ({
    feature,
    scenario: name,
    tags,
    flag,
    type,
    defaultValue,
    targetingKey,
    expected,
  }));
}

// A row states all four facts. Where a kit scenario asserts fewer (most assert the value and the error
// code), the others are the ones the kit establishes for the same flag elsewhere: the variant from its
// @variants rows and the canonical set, the reason from reason.feature's table of standard meanings.
const served = (value: unknown, variant: string, reason = "STATIC"): Expected => ({ value, variant, reason });
const failed = (defaultValue: unknown, errorCode: string): Expected => ({ value: defaultValue, reason: "ERROR", errorCode });
const mismatch = (flag: string, type: KitType, defaultValue: unknown): Row => [flag, type, defaultValue, failed(defaultValue, "TYPE_MISMATCH")];

const EVALUATION: KitCase[] = [
  ...scenario(
    "evaluation",
    "Resolve values",
    [],
    [
      ["boolean-flag", "Boolean", false, served(true, "on")],
      ["string-flag", "String", "bye", served("hi", "greeting")],
      ["integer-flag", "Integer", 1, served(10, "ten")],
      ["float-flag", "Float", 0.1, served(0.5, "half")],
    ],
  ),
  ...scenario(
    "evaluation",
    "A falsy value is a value, not an absence",
    [],
    [
      ["boolean-zero-flag", "Boolean", true, served(false, "zero")],
      ["integer-zero-flag", "Integer", 1, served(0, "zero")],
      ["string-zero-flag", "String", "fallback", served("", "zero")],
    ],
  ),
  ...scenario(
    "evaluation",
    "The resolved details name the variant",
    ["@variants"],
    [
      ["boolean-flag", "Boolean", false, served(true, "on")],
      ["string-flag", "String", "bye", served("hi", "greeting")],
      ["integer-flag", "Integer", 1, served(10, "ten")],
      ["float-flag", "Float", 0.1, served(0.5, "half")],
      ["boolean-zero-flag", "Boolean", true, served(false, "zero")],
      ["integer-zero-flag", "Integer", 1, served(0, "zero")],
      ["string-zero-flag", "String", "fallback", served("", "zero")],
      ["large-integer-flag", "Integer", 1, served(2147483647, "max-int32")],
    ],
  ),
  ...scenario("evaluation", "A large integer resolves without loss of precision", [], [["large-integer-flag", "Integer", 1, served(2147483647, "max-int32")]]),
  ...scenario(
    "evaluation",
    "An integer beyond 32 bits resolves without loss of precision",
    ["@large-integers"],
    [["huge-integer-flag", "Integer", 1, served(9007199254740991, "max-safe")]],
  ),
  ...scenario("evaluation", "An integer flag resolves as an integer", [], [["integer-flag", "Integer", 1, served(10, "ten")]]),
  ...scenario("evaluation", "A float flag resolves as a float", [], [["float-flag", "Float", 0.1, served(0.5, "half")]]),
  // The caller's default, no error, no variant: what the kit asks of a disabled flag (see BY_DESIGN).
  ...scenario(
    "evaluation",
    "A disabled flag resolves to the code default",
    ["@disabled-flags"],
    [
      ["disabled-boolean-flag", "Boolean", false, { value: false, reason: "DISABLED" }],
      ["disabled-string-flag", "String", "bye", { value: "bye", reason: "DISABLED" }],
      ["disabled-integer-flag", "Integer", 1, { value: 1, reason: "DISABLED" }],
      ["disabled-float-flag", "Float", 0.1, { value: 0.1, reason: "DISABLED" }],
    ],
  ),
  ...scenario("evaluation", "Resolve a structured value", ["@object"], [["object-flag", "Object", {}, served(TEMPLATE, "template")]]),
  ...scenario(
    "evaluation",
    "Supplying an evaluation context does not disturb an untargeted resolution",
    [],
    [["string-flag", "String", "bye", served("hi", "greeting"), OTHER_KEY]],
  ),
  ...scenario(
    "evaluation",
    "A matching evaluation context resolves the targeted variant",
    ["@targeting"],
    [["targeting-key-flag", "String", "fallback", served("hit", "hit", "TARGETING_MATCH"), TARGETED_KEY]],
  ),
  ...scenario(
    "evaluation",
    "A non-matching evaluation context resolves the default variant",
    ["@targeting"],
    [["targeting-key-flag", "String", "fallback", served("miss", "miss", "DEFAULT"), OTHER_KEY]],
  ),
  ...scenario(
    "evaluation",
    "No evaluation context resolves the default variant",
    ["@targeting"],
    [["targeting-key-flag", "String", "fallback", served("miss", "miss", "DEFAULT")]],
  ),
];

const ERRORS: KitCase[] = [
  ...scenario(
    "errors",
    "Requesting the wrong type returns the code default",
    [],
    [
      mismatch("string-flag", "Boolean", false),
      mismatch("string-flag", "Integer", 1),
      mismatch("string-flag", "Float", 0.1),
      mismatch("wrong-flag", "Boolean", false),
      mismatch("boolean-flag", "Integer", 1),
      mismatch("boolean-flag", "Float", 0.1),
      mismatch("integer-flag", "Boolean", false),
      mismatch("float-flag", "Boolean", false),
    ],
  ),
  ...scenario(
    "errors",
    "Requesting a structured flag as a scalar returns the code default",
    ["@object"],
    [mismatch("object-flag", "Boolean", false), mismatch("object-flag", "Integer", 1), mismatch("object-flag", "Float", 0.1)],
  ),
  ...scenario("errors", "A float flag is not silently narrowed to an integer", ["@numeric-coercion"], [mismatch("float-flag", "Integer", 1)]),
  ...scenario(
    "errors",
    "An integral float requested as an integer is coerced without loss",
    ["@numeric-coercion"],
    [["integral-float-flag", "Integer", 1, served(10, "ten")]],
  ),
  ...scenario("errors", "An integer requested as a float is widened without loss", ["@numeric-coercion"], [["integer-flag", "Float", 0.1, served(10, "ten")]]),
  ...scenario(
    "errors",
    "A non-string flag is not returned as its string representation",
    ["@string-typing"],
    [mismatch("boolean-flag", "String", "fallback"), mismatch("integer-flag", "String", "fallback")],
  ),
  ...scenario(
    "errors",
    "A float flag is not returned as its string representation",
    ["@string-typing", "@fully-typed-values"],
    [mismatch("float-flag", "String", "fallback")],
  ),
  ...scenario(
    "errors",
    "A structured flag is not returned as its JSON text",
    ["@object", "@string-typing", "@fully-typed-values"],
    [mismatch("object-flag", "String", "fallback")],
  ),
  ...scenario("errors", "An unknown flag key returns the code default", [], [[ABSENT_FLAG, "String", "fallback", failed("fallback", "FLAG_NOT_FOUND")]]),
];

const REASON: KitCase[] = [
  ...scenario(
    "reason",
    "A flag with no targeting rules resolves statically",
    ["@standard-reasons"],
    [
      ["boolean-flag", "Boolean", false, served(true, "on")],
      ["string-flag", "String", "bye", served("hi", "greeting")],
      ["integer-flag", "Integer", 1, served(10, "ten")],
      ["float-flag", "Float", 0.1, served(0.5, "half")],
    ],
  ),
  ...scenario("reason", "An unknown flag reports an error", ["@standard-reasons"], [[ABSENT_FLAG, "String", "fallback", failed("fallback", "FLAG_NOT_FOUND")]]),
  ...scenario("reason", "A type mismatch reports an error", ["@standard-reasons"], [mismatch("boolean-flag", "String", "fallback")]),
  ...scenario(
    "reason",
    "A matching targeting rule reports a targeting match",
    ["@standard-reasons", "@targeting"],
    [["targeting-key-flag", "String", "fallback", served("hit", "hit", "TARGETING_MATCH"), TARGETED_KEY]],
  ),
  ...scenario(
    "reason",
    "A targeting rule that does not match reports the default",
    ["@standard-reasons", "@targeting"],
    [["targeting-key-flag", "String", "fallback", served("miss", "miss", "DEFAULT"), OTHER_KEY]],
  ),
  ...scenario(
    "reason",
    "A disabled flag reports that it is disabled",
    ["@standard-reasons", "@disabled-flags"],
    [["disabled-boolean-flag", "Boolean", false, { value: false, reason: "DISABLED" }]],
  ),
];

/** Every row of the kit's evaluation, errors and reason scenarios, gated or not. */
export const KIT_CASES: KitCase[] = [...EVALUATION, ...ERRORS, ...REASON];

/**
 * Where Flagpost answers differently by design, what it answers instead: a disabled flag serves its
 * default variation (here the kit's default variant) with reason DISABLED, not the caller's default.
 */
export const BY_DESIGN: Record<string, Expected> = {
  "disabled-boolean-flag": { value: true, variant: "on", reason: "DISABLED" },
  "disabled-string-flag": { value: "hi", variant: "greeting", reason: "DISABLED" },
  "disabled-integer-flag": { value: 10, variant: "ten", reason: "DISABLED" },
  "disabled-float-flag": { value: 0.5, variant: "half", reason: "DISABLED" },
};

/** The kit's lifecycle and events scenarios: no rows, they ask about the provider's own states. */
export const LIFECYCLE_SCENARIOS: { feature: "lifecycle" | "events"; scenario: string; tags: string[] }[] = [
  { feature: "lifecycle", scenario: "A provider that successfully initializes becomes ready", tags: ["@lifecycle"] },
  { feature: "lifecycle", scenario: "A provider that cannot reach its backend reports an error", tags: ["@lifecycle", "@unavailable"] },
  { feature: "lifecycle", scenario: "A provider that cannot reach its backend still returns code defaults", tags: ["@lifecycle", "@unavailable"] },
  { feature: "lifecycle", scenario: "Shutting down a provider twice has no further effect", tags: ["@lifecycle"] },
  { feature: "lifecycle", scenario: "A provider that was shut down can be initialized again", tags: ["@lifecycle", "@reinitialization"] },
  { feature: "lifecycle", scenario: "Shutting down a provider that cannot reach its backend completes promptly", tags: ["@lifecycle", "@unavailable"] },
  { feature: "events", scenario: "A configuration change is signalled and applied", tags: ["@events", "@configuration-change"] },
  { feature: "events", scenario: "Losing the backend makes the provider stale, regaining it makes it ready again", tags: ["@events", "@stale"] },
];
