import { describe, expect, it } from "vitest";
import { diffFlag } from "../src/flags/diff";
import type { ChangeEvent, Flag } from "../src/flags/model";
import { derivedId } from "../src/flags/tggl";
import { DEVELOPMENT, ENVIRONMENTS, LIVE, OFF, PRODUCTION, buildCondition, buildFlag, userIdIsOneOf, withState } from "./fixtures";
import type { Environment } from "../src/kernel/project-scope";

// Derived ids are pinned: receivers match tags, properties and the rollout across events and releases.
const USER_ID = { id: "46f09a3d-0721-8575-beee-8abed15d3a03", name: "userId", key: "userId" };
const TAG = {
  beta: { id: "d9ca482f-f693-8341-acbb-5048cbae5353", name: "beta", color: null },
  checkout: { id: "c113feb2-0051-8eb9-a1a4-ed7a2e93ebf4", name: "checkout", color: null },
  ops: { id: "fc09379e-45d0-8414-966d-dd226daa665e", name: "ops", color: null },
};
const ROLLOUT_ID = "4c0df4fb-1efa-860e-8b60-bcc3da478987";
const ROLLOUT_RULE_ID = "4addf15d-2da7-8e49-a0c0-6a2b54ad07b0";

const TGGL_LIVE = { id: "var-live", name: "Live", description: "", color: "#22c55e", active: true, value: true, order: 0 };
const TGGL_OFF = { id: "var-off", name: "Off", description: "", color: "#ef4444", active: false, value: false, order: 1 };
const BLUE = { id: "var-blue", name: "Blue", description: "A third way", color: "#3b82f6", active: true, value: true, order: 2 };
const TGGL_BETA = {
  id: "cond-1",
  name: "Beta users",
  order: 0,
  variation: TGGL_LIVE,
  rules: { "rule-1": { order: 0, operator: "STR_EQUALS", params: { values: ["foo", "bar"] }, contextProperty: USER_ID } },
  codeLike: 'IF\n  userId IS ONE OF [\n    "foo",\n    "bar",\n  ]\nTHEN\n  Live (value: true)',
};
const tgglRollout = (percentage: number, variation = TGGL_LIVE, order = 0) => ({
  id: ROLLOUT_ID,
  name: "Rollout",
  order,
  variation,
  rules: { [ROLLOUT_RULE_ID]: { order: 0, operator: "PERCENTAGE", params: { rangeStart: 0, rangeEnd: percentage }, contextProperty: USER_ID } },
  codeLike: `IF\n  ${percentage}% OF userId (0% TO ${percentage}%)\nTHEN\n  ${variation.active ? `${variation.name} (value: true)` : `${variation.name} (inactive)`}`,
});

const ALWAYS_LIVE = "Live (value: true)";
const BETA_THEN_LIVE = `${TGGL_BETA.codeLike}\nELSE\n  Live (value: true)`;
const rollout = (percentage: number) => `IF\n  ${percentage}% OF userId (0% TO ${percentage}%)\nTHEN\n  Live (value: true)\nELSE\n  Off (inactive)`;

const base = buildFlag();
const live = withState(base, "production", { enabled: true });
const withBeta = withState(live, "production", { conditions: [buildCondition()] });
const at = (percentage: number, flag = live) => withState(flag, "production", { rollout_percentage: percentage });

const flagUpdated = (changes: object[], codeLike = "Off (inactive)", enabled = false): ChangeEvent => ({
  event: "flag.updated",
  environment: null,
  enabled,
  changes: changes as ChangeEvent["changes"],
  code_like_before: codeLike,
  code_like_after: codeLike,
});
const stateUpdated = (changes: object[], before: string, after: string, enabled = true, environment: Environment = PRODUCTION): ChangeEvent => ({
  event: "flag_state.updated",
  environment,
  enabled,
  changes: changes as ChangeEvent["changes"],
  code_like_before: before,
  code_like_after: after,
});

describe("diffFlag: each of Tggl's 15 change kinds, with exactly Tggl's fields", () => {
  const cases: { typename: string; before: Flag | null; after: Flag | null; expected: ChangeEvent[] }[] = [
    {
      typename: "FlagCreated",
      before: null,
      after: base,
      expected: [
        {
          event: "flag.created",
          environment: null,
          enabled: false,
          changes: [{ __typename: "FlagCreated", created: true }],
          code_like_before: "",
          code_like_after: "Off (inactive)",
        },
      ],
    },
    {
      typename: "FlagArchived",
      before: base,
      after: { ...base, archived: true },
      expected: [flagUpdated([{ __typename: "FlagArchived", oldArchived: false, newArchived: true }])],
    },
    {
      typename: "FlagActivated",
      before: base,
      after: live,
      expected: [
        {
          event: "flag.toggled",
          environment: PRODUCTION,
          enabled: true,
          changes: [{ __typename: "FlagActivated", oldActive: false, newActive: true }],
          code_like_before: "Off (inactive)",
          code_like_after: ALWAYS_LIVE,
        },
      ],
    },
    {
      typename: "FlagSlugChanged",
      before: base,
      after: { ...base, key: "checkout-v2" },
      expected: [flagUpdated([{ __typename: "FlagSlugChanged", oldSlug: "new-checkout", newSlug: "checkout-v2" }])],
    },
    {
      typename: "FlagNameChanged",
      before: base,
      after: { ...base, name: "Checkout" },
      expected: [flagUpdated([{ __typename: "FlagNameChanged", oldName: "New Checkout Flow", newName: "Checkout" }])],
    },
    {
      typename: "FlagDescriptionChanged",
      before: base,
      after: { ...base, description: "One-page checkout" },
      expected: [flagUpdated([{ __typename: "FlagDescriptionChanged", oldDescription: "", newDescription: "One-page checkout" }])],
    },
    {
      typename: "FlagSharingChanged",
      before: { ...base, sharing: { share_with_everyone: true, roles: ["admin", "dev"] } },
      after: { ...base, sharing: { share_with_everyone: false, roles: ["dev", "qa"] } },
      expected: [
        flagUpdated([
          {
            __typename: "FlagSharingChanged",
            oldShareWithEveryone: true,
            newShareWithEveryone: false,
            oldRoles: ["admin", "dev"],
            newRoles: ["dev", "qa"],
            addedRoles: ["qa"],
            removedRoles: ["admin"],
          },
        ]),
      ],
    },
    {
      typename: "FlagTagsChanged",
      before: { ...base, tags: ["beta", "checkout"] },
      after: { ...base, tags: ["checkout", "ops"] },
      expected: [
        flagUpdated([
          { __typename: "FlagTagsChanged", oldTags: [TAG.beta, TAG.checkout], newTags: [TAG.checkout, TAG.ops], addedTags: [TAG.ops], removedTags: [TAG.beta] },
        ]),
      ],
    },
    {
      typename: "FlagVariationCreated",
      before: base,
      after: { ...base, variations: [LIVE, OFF, BLUE] },
      expected: [flagUpdated([{ __typename: "FlagVariationCreated", variation: BLUE }])],
    },
    {
      typename: "FlagVariationDeleted",
      before: { ...base, variations: [LIVE, OFF, BLUE] },
      after: base,
      expected: [flagUpdated([{ __typename: "FlagVariationDeleted", variation: BLUE }])],
    },
    {
      typename: "FlagVariationUpdated",
      before: live,
      after: { ...live, variations: [{ ...LIVE, name: "On", value: true }, OFF] },
      expected: [
        {
          ...flagUpdated([{ __typename: "FlagVariationUpdated", oldVariation: TGGL_LIVE, newVariation: { ...TGGL_LIVE, name: "On" } }], "", true),
          code_like_before: ALWAYS_LIVE,
          code_like_after: "On (value: true)",
        },
      ],
    },
    {
      typename: "FlagDefaultVariationChanged",
      before: base,
      after: withState(base, "production", { default_variation_id: LIVE.id }),
      expected: [
        stateUpdated([{ __typename: "FlagDefaultVariationChanged", oldVariation: TGGL_OFF, newVariation: TGGL_LIVE }], "Off (inactive)", ALWAYS_LIVE, false),
      ],
    },
    {
      typename: "FlagConditionCreated",
      before: live,
      after: withBeta,
      expected: [stateUpdated([{ __typename: "FlagConditionCreated", condition: TGGL_BETA }], ALWAYS_LIVE, BETA_THEN_LIVE)],
    },
    {
      typename: "FlagConditionDeleted",
      before: withBeta,
      after: live,
      expected: [stateUpdated([{ __typename: "FlagConditionDeleted", condition: TGGL_BETA }], BETA_THEN_LIVE, ALWAYS_LIVE)],
    },
    {
      typename: "FlagConditionUpdated",
      before: withBeta,
      after: withState(live, "production", { conditions: [buildCondition({ variation_id: OFF.id })] }),
      expected: [
        stateUpdated(
          [
            {
              __typename: "FlagConditionUpdated",
              oldCondition: TGGL_BETA,
              newCondition: { ...TGGL_BETA, variation: TGGL_OFF, codeLike: TGGL_BETA.codeLike.replace("Live (value: true)", "Off (inactive)") },
            },
          ],
          BETA_THEN_LIVE,
          BETA_THEN_LIVE.replace("THEN\n  Live (value: true)", "THEN\n  Off (inactive)"),
        ),
      ],
    },
  ];

  it.each(cases)("$typename", ({ before, after, expected }) => {
    expect(diffFlag(before, after, ENVIRONMENTS)).toStrictEqual(expected);
  });

  it("covers all 15", () => {
    expect(new Set(cases.flatMap((c) => c.expected.flatMap((e) => e.changes.map((change) => change.__typename))))).toHaveProperty("size", 15);
  });
});

describe("diffFlag: no change, no event", () => {
  const bumped = { ...live, version: 9, created_at: "2020-01-01T00:00:00Z", updated_at: "2030-01-01T00:00:00Z" };
  it.each([
    { name: "the same flag", before: live, after: live },
    { name: "an equal copy", before: withBeta, after: structuredClone(withBeta) },
    { name: "only versions and timestamps moved", before: live, after: withState(bumped, "production", { version: 4 }) },
    { name: "nothing before or after", before: null, after: null },
  ])("$name → []", ({ before, after }) => {
    expect(diffFlag(before, after, ENVIRONMENTS)).toStrictEqual([]);
  });
});

describe("diffFlag: the rollout as a condition named Rollout", () => {
  it.each([
    {
      name: "lowering it from 100 creates it",
      before: live,
      after: at(20),
      changes: [{ __typename: "FlagConditionCreated", condition: tgglRollout(20) }],
      from: ALWAYS_LIVE,
      to: rollout(20),
    },
    {
      name: "changing its percentage updates it",
      before: at(20),
      after: at(50),
      changes: [{ __typename: "FlagConditionUpdated", oldCondition: tgglRollout(20), newCondition: tgglRollout(50) }],
      from: rollout(20),
      to: rollout(50),
    },
    {
      name: "changing its variation updates it",
      before: at(20),
      after: withState(at(20), "production", { rollout_variation_id: OFF.id }),
      changes: [{ __typename: "FlagConditionUpdated", oldCondition: tgglRollout(20), newCondition: tgglRollout(20, TGGL_OFF) }],
      from: rollout(20),
      to: rollout(20).replace("THEN\n  Live (value: true)", "THEN\n  Off (inactive)"),
    },
    {
      name: "raising it to 100 deletes it",
      before: at(20),
      after: live,
      changes: [{ __typename: "FlagConditionDeleted", condition: tgglRollout(20) }],
      from: rollout(20),
      to: ALWAYS_LIVE,
    },
    {
      name: "it comes after the conditions",
      before: withBeta,
      after: at(20, withBeta),
      changes: [{ __typename: "FlagConditionCreated", condition: tgglRollout(20, TGGL_LIVE, 1) }],
      from: BETA_THEN_LIVE,
      to: `${TGGL_BETA.codeLike}\nELSE IF\n  20% OF userId (0% TO 20%)\nTHEN\n  Live (value: true)\nELSE\n  Off (inactive)`,
    },
  ])("$name", ({ before, after, changes, from, to }) => {
    expect(diffFlag(before, after, ENVIRONMENTS)).toStrictEqual([stateUpdated(changes, from, to)]);
  });

  it("keeps one id per flag and environment", () => {
    expect(derivedId("rollout-condition", "flag-1/production")).toBe(ROLLOUT_ID);
    const [event] = diffFlag(base, withState(base, "development", { rollout_percentage: 20 }), ENVIRONMENTS);
    const condition = event.changes[0].condition as { id: string; rules: Record<string, unknown> };
    expect(event.environment).toBe(DEVELOPMENT);
    expect(condition.id).toBe(derivedId("rollout-condition", "flag-1/development"));
    expect(condition.id).not.toBe(ROLLOUT_ID);
    expect(Object.keys(condition.rules)).toEqual([derivedId("rollout-rule", "flag-1/development")]);
  });

  it("at 100%, a new rollout variation is no condition, yet still an event", () => {
    const after = withState(live, "production", { rollout_variation_id: OFF.id });
    expect(diffFlag(live, after, ENVIRONMENTS)).toStrictEqual([stateUpdated([], ALWAYS_LIVE, "Off (inactive)")]);
  });
});

describe("diffFlag: events of one write, in order", () => {
  it("enabling and changing the rollout: flag.toggled, then flag_state.updated", () => {
    expect(diffFlag(base, at(20), ENVIRONMENTS)).toStrictEqual([
      {
        event: "flag.toggled",
        environment: PRODUCTION,
        enabled: true,
        changes: [{ __typename: "FlagActivated", oldActive: false, newActive: true }],
        code_like_before: "Off (inactive)",
        code_like_after: rollout(20),
      },
      stateUpdated([{ __typename: "FlagConditionCreated", condition: tgglRollout(20) }], "Off (inactive)", rollout(20)),
    ]);
  });

  it("disabling: enabled is the state after the change", () => {
    const [event] = diffFlag(live, base, ENVIRONMENTS);
    expect(event).toMatchObject({ event: "flag.toggled", enabled: false, changes: [{ __typename: "FlagActivated", oldActive: true, newActive: false }] });
  });

  it("flag level first, then each environment in the project's order", () => {
    const after = withState({ ...live, name: "Checkout" }, "development", { enabled: true });
    const events = diffFlag(live, after, ENVIRONMENTS).map((e) => [e.event, e.environment?.key ?? null]);
    expect(events).toEqual([
      ["flag.updated", null],
      ["flag.toggled", "development"],
    ]);
    const both = withState(withState(base, "development", { enabled: true }), "production", { enabled: true, default_variation_id: LIVE.id });
    expect(diffFlag(base, both, [PRODUCTION, DEVELOPMENT]).map((e) => [e.event, e.environment?.key])).toEqual([
      ["flag.toggled", "production"],
      ["flag_state.updated", "production"],
      ["flag.toggled", "development"],
    ]);
  });

  it("flag-level changes come in a stable order", () => {
    const before = { ...base, tags: ["beta"], variations: [LIVE, OFF, BLUE] };
    const after = { ...base, archived: true, name: "Checkout", tags: ["ops"], variations: [{ ...LIVE, color: "#000000" }, OFF, { ...BLUE, id: "var-green" }] };
    const [event] = diffFlag(before, after, ENVIRONMENTS);
    expect(event.changes.map((c) => c.__typename)).toEqual([
      "FlagArchived",
      "FlagNameChanged",
      "FlagTagsChanged",
      "FlagVariationCreated",
      "FlagVariationDeleted",
      "FlagVariationUpdated",
    ]);
  });

  it("a state change: the default first, then conditions created, deleted, updated", () => {
    const second = buildCondition({ id: "cond-2", name: "Staff", rules: [userIdIsOneOf("rule-2", ["ann"])] });
    const before = withState(live, "production", { conditions: [buildCondition(), second] });
    const after = withState(live, "production", { default_variation_id: LIVE.id, rollout_percentage: 10, conditions: [{ ...second, name: "Team" }] });
    const [event] = diffFlag(before, after, ENVIRONMENTS);
    expect(
      event.changes.map((c) =>
        [c.__typename, (c.condition ?? c.newCondition ?? c.newVariation) as { id: string }].map((x) => (typeof x === "string" ? x : x.id)),
      ),
    ).toEqual([
      ["FlagDefaultVariationChanged", "var-live"],
      ["FlagConditionCreated", ROLLOUT_ID],
      ["FlagConditionDeleted", "cond-1"],
      ["FlagConditionUpdated", "cond-2"],
    ]);
  });
});

describe("diffFlag: conditions matched by id", () => {
  const staff = buildCondition({ id: "cond-2", name: "Staff", rules: [userIdIsOneOf("rule-2", ["ann"])] });
  const typenames = (before: Flag, after: Flag) => diffFlag(before, after, ENVIRONMENTS).flatMap((e) => e.changes.map((c) => c.__typename));

  it.each([
    { name: "adding one ahead does not update the others", before: [staff], after: [buildCondition(), staff], expected: ["FlagConditionCreated"] },
    { name: "removing one ahead does not update the others", before: [buildCondition(), staff], after: [staff], expected: ["FlagConditionDeleted"] },
    {
      name: "a reorder updates the ones that moved",
      before: [buildCondition(), staff],
      after: [staff, buildCondition()],
      expected: ["FlagConditionUpdated", "FlagConditionUpdated"],
    },
    {
      name: "a new rule updates it",
      before: [staff],
      after: [{ ...staff, rules: [...staff.rules, { id: "rule-3", property: "verified", operator: "IS_TRUE" as const }] }],
      expected: ["FlagConditionUpdated"],
    },
    { name: "a renamed condition is updated", before: [staff], after: [{ ...staff, name: "Team" }], expected: ["FlagConditionUpdated"] },
  ])("$name", ({ before, after, expected }) => {
    expect(typenames(withState(live, "production", { conditions: before }), withState(live, "production", { conditions: after }))).toEqual(expected);
  });

  it("an updated condition carries its orders before and after", () => {
    const [event] = diffFlag(
      withState(live, "production", { conditions: [buildCondition(), staff] }),
      withState(live, "production", { conditions: [staff, buildCondition()] }),
      ENVIRONMENTS,
    );
    expect(event.changes.map((c) => [(c.oldCondition as { order: number }).order, (c.newCondition as { order: number }).order])).toEqual([
      [1, 0],
      [0, 1],
    ]);
  });
});

describe("diffFlag: creation and deletion", () => {
  it.each([
    { name: "renders production", environments: ENVIRONMENTS, flag: live, enabled: true, codeLike: ALWAYS_LIVE },
    {
      name: "not development",
      environments: ENVIRONMENTS,
      flag: withState(base, "development", { enabled: true }),
      enabled: false,
      codeLike: "Off (inactive)",
    },
    {
      name: "the first environment when none is production",
      environments: [DEVELOPMENT],
      flag: withState(base, "development", { enabled: true }),
      enabled: true,
      codeLike: ALWAYS_LIVE,
    },
    { name: "nothing without environments", environments: [], flag: live, enabled: false, codeLike: "" },
  ])("flag.created $name", ({ environments, flag, enabled, codeLike }) => {
    expect(diffFlag(null, flag, environments)).toStrictEqual([
      {
        event: "flag.created",
        environment: null,
        enabled,
        changes: [{ __typename: "FlagCreated", created: true }],
        code_like_before: "",
        code_like_after: codeLike,
      },
    ]);
  });

  it("flag.deleted: no changes, the state as it was", () => {
    expect(diffFlag(at(20), null, ENVIRONMENTS)).toStrictEqual([
      { event: "flag.deleted", environment: null, enabled: true, changes: [], code_like_before: rollout(20), code_like_after: "" },
    ]);
  });

  it("an environment the flag had no state in yet is no change of that flag", () => {
    const staging = { id: "env-staging", key: "staging", name: "staging" };
    const after = { ...base, environments: { ...base.environments, staging: base.environments.production } };
    expect(diffFlag(base, after, [...ENVIRONMENTS, staging])).toStrictEqual([]);
  });
});
