// A flag's state in one environment over HTTP: reads, updates, versions, If-Match, conditions and
// the variations they may name.
import { describe, expect, it } from "vitest";
import { FlagSchema, FlagStateSchema } from "../src/flags/schemas";
import { badFields, call, expectError, getFlag, json, listEvents, newFlag, patchState, setup, unknownId } from "./helpers";

async function flagIn() {
  const { tenant, project } = await setup();
  const flag = FlagSchema.parse(await newFlag(tenant, project.id, { key: "f" }));
  const [live, off] = flag.variations;
  const statePath = (env = "production") => `/projects/${project.id}/flags/f/environments/${env}`;
  const state = async (env = "production") => FlagStateSchema.parse(await json(call(statePath(env), { token: tenant.key }), 200));
  const patch = (body: unknown, headers?: Record<string, string>, env = "production") => patchState(tenant, project.id, "f", env, body, headers);
  return { tenant, project, flag, live, off, statePath, state, patch };
}

const rule = (operator: string, extra: Record<string, unknown> = {}) => ({ property: "userId", operator, ...extra });

describe("GET …/environments/{envKey}", () => {
  it("reads the new state, and 404s an unknown environment or flag", async () => {
    const { tenant, project, live, off, statePath, state } = await flagIn();
    expect(await state()).toEqual({
      enabled: false,
      rollout_percentage: 100,
      rollout_variation_id: live.id,
      conditions: [],
      default_variation_id: off.id,
      version: 1,
    });
    await expectError(call(statePath("staging"), { token: tenant.key }), 404, "not_found");
    await expectError(call(`/projects/${project.id}/flags/nope/environments/production`, { token: tenant.key }), 404, "not_found");
    await expectError(call(statePath("Not A Key"), { token: tenant.key }), 400, "validation_failed");
  });
});

describe("PATCH …/environments/{envKey}", () => {
  it("answers the whole state, adds exactly 1 per accepted write and leaves other environments alone", async () => {
    const { tenant, project, live, off, state, patch } = await flagIn();
    const updated = FlagStateSchema.parse(
      await json(patch({ enabled: true, rollout_percentage: 30, default_variation_id: live.id, rollout_variation_id: off.id }), 200),
    );
    expect(updated).toEqual({ enabled: true, rollout_percentage: 30, rollout_variation_id: off.id, conditions: [], default_variation_id: live.id, version: 2 });
    expect(await state()).toEqual(updated);
    expect((await json(patch({ rollout_percentage: 31 }), 200)).version).toBe(3);
    expect((await state("development")).version).toBe(1);
    const flag = FlagSchema.parse(await getFlag(tenant, project.id, "f"));
    expect(flag.version).toBe(1);
    expect(flag.environments.production).toEqual(await state());
  });

  it("answers 200 to a write that changes nothing, without a new version or event", async () => {
    const { tenant, project, live, state, patch } = await flagIn();
    const before = await state();
    for (const body of [{}, { enabled: false }, { rollout_percentage: 100, rollout_variation_id: live.id }, { conditions: [] }, { version: 1 }]) {
      expect(FlagStateSchema.parse(await json(patch(body), 200))).toEqual(before);
    }
    expect(await state()).toEqual(before);
    expect(await listEvents(tenant, project.id)).toHaveLength(1);
  });

  it("answers 200 without a new version or event when the conditions are the stored ones with their keys in another order", async () => {
    const { tenant, project, live, patch } = await flagIn();
    const rules = [rule("STR_EQUALS", { values: ["foo"] }), rule("PERCENTAGE", { range_start: 0, range_end: 20, seed: 7 })];
    const stored = FlagStateSchema.parse(await json(patch({ conditions: [{ name: "Beta", variation_id: live.id, rules }] }), 200));
    const reversed = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).reverse()) as T;
    const sameInAnotherOrder = stored.conditions.map((c) => reversed({ ...c, rules: c.rules.map(reversed) }));
    expect(JSON.stringify(sameInAnotherOrder)).not.toBe(JSON.stringify(stored.conditions));
    const again = FlagStateSchema.parse(await json(patch({ conditions: sameInAnotherOrder }), 200));
    expect(again).toEqual(stored);
    expect(await listEvents(tenant, project.id)).toHaveLength(2);
  });

  it("emits flag.toggled then flag_state.updated for one write that changes enabled and the rollout", async () => {
    const { tenant, project, patch } = await flagIn();
    expect((await json(patch({ enabled: true, rollout_percentage: 25 }), 200)).version).toBe(2);
    const [updated, toggled, created] = await listEvents(tenant, project.id);
    expect([created.event, toggled.event, updated.event]).toEqual(["flag.created", "flag.toggled", "flag_state.updated"]);
    expect(toggled.environment.key).toBe("production");
    expect(toggled.changes).toEqual([{ __typename: "FlagActivated", oldActive: false, newActive: true }]);
    expect(updated.changes.map((c: { __typename: string }) => c.__typename)).toEqual(["FlagConditionCreated"]);
    expect(updated.changes[0].condition.name).toBe("Rollout");
  });

  it("emits only flag.toggled for enabled alone, and only flag_state.updated for the rest", async () => {
    const { tenant, project, live, patch } = await flagIn();
    await json(patch({ enabled: true }), 200);
    await json(patch({ default_variation_id: live.id }), 200);
    expect((await listEvents(tenant, project.id)).map((e) => e.event)).toEqual(["flag_state.updated", "flag.toggled", "flag.created"]);
  });

  it("gives conditions and rules server ids and keeps them across updates", async () => {
    const { live, off, patch } = await flagIn();
    const rules = [
      rule("STR_EQUALS", { values: ["foo", "bar"] }),
      rule("NUM_GTE", { value: 3 }),
      rule("DATE_AFTER", { value: "2026-01-01T00:00:00Z" }),
      rule("SEMVER_GTE", { value: "1.2.3" }),
      rule("STR_REGEXP", { value: "^a+$" }),
      rule("IS_TRUE"),
      rule("PERCENTAGE", { range_start: 0, range_end: 20, seed: 7 }),
    ];
    const first = FlagStateSchema.parse(await json(patch({ conditions: [{ name: "Beta", variation_id: live.id, rules, id: unknownId() }] }), 200));
    const [condition] = first.conditions;
    expect(condition.rules).toHaveLength(rules.length);
    expect(new Set([condition.id, ...condition.rules.map((r) => r.id)]).size).toBe(rules.length + 1);
    expect(condition.rules.map(({ id: _, ...r }) => r)).toEqual(rules);

    const renamed = { ...condition, name: "Beta 2", variation_id: off.id };
    const second = FlagStateSchema.parse(await json(patch({ conditions: [renamed] }), 200));
    expect(second.version).toBe(3);
    expect(second.conditions[0].id).toBe(condition.id);
    expect(second.conditions[0].rules.map((r) => r.id)).toEqual(condition.rules.map((r) => r.id));
    expect(second.conditions[0]).toMatchObject({ name: "Beta 2", variation_id: off.id });
  });

  it.each([
    ["default_variation_id", (id: string) => ({ default_variation_id: id })],
    ["rollout_variation_id", (id: string) => ({ rollout_variation_id: id })],
    ["conditions.0.variation_id", (id: string) => ({ conditions: [{ variation_id: id, rules: [rule("IS_TRUE")] }] })],
  ])("refuses with 422 a %s naming an unknown variation, and changes nothing", async (field, body) => {
    const { tenant, project, state, patch } = await flagIn();
    const before = await state();
    const err = await expectError(patch({ enabled: true, ...body(unknownId()) }), 422, "unprocessable");
    expect(badFields(err)).toEqual([field]);
    expect(await state()).toEqual(before);
    expect(await listEvents(tenant, project.id)).toHaveLength(1);
  });

  it.each(["1", '"1"', 'W/"1"'])("refuses a stale If-Match %s with 409 and changes nothing", async (ifMatch) => {
    const { tenant, project, state, patch } = await flagIn();
    await json(patch({ enabled: true }), 200);
    const before = await state();
    await expectError(patch({ rollout_percentage: 5 }, { "if-match": ifMatch }), 409, "version_conflict");
    expect(await state()).toEqual(before);
    expect(await listEvents(tenant, project.id)).toHaveLength(2);
    expect((await json(patch({ rollout_percentage: 5 }, { "if-match": ifMatch.replace("1", "2") }), 200)).version).toBe(3);
  });

  it("refuses a stale body version with 409; the flag's version is not the state's", async () => {
    const { tenant, project, state, patch } = await flagIn();
    await json(patch({ enabled: true }), 200);
    await expectError(patch({ enabled: false, version: 1 }), 409, "version_conflict");
    expect((await state()).enabled).toBe(true);
    // Another environment's state has its own version, still 1.
    expect((await json(patch({ enabled: true, version: 1 }, undefined, "development"), 200)).version).toBe(2);
    expect(await listEvents(tenant, project.id)).toHaveLength(3);
  });

  it.each([
    ["rollout_percentage above 100", { rollout_percentage: 101 }, ["rollout_percentage"]],
    ["rollout_percentage below 0", { rollout_percentage: -1 }, ["rollout_percentage"]],
    ["a fractional rollout_percentage", { rollout_percentage: 1.5 }, ["rollout_percentage"]],
    ["enabled as a string", { enabled: "yes" }, ["enabled"]],
    ["a variation id that is not a UUID", { default_variation_id: "live" }, ["default_variation_id"]],
    ["a condition without rules", { conditions: [{ variation_id: unknownId(), rules: [] }] }, ["conditions.0.rules"]],
    ["a list operator without values", { conditions: [{ variation_id: unknownId(), rules: [rule("STR_EQUALS")] }] }, ["conditions.0.rules.0.values"]],
    ["an unknown operator", { conditions: [{ variation_id: unknownId(), rules: [rule("STR_LIKE", { values: ["x"] })] }] }, ["conditions.0.rules.0.operator"]],
    [
      "a number operator given a string",
      { conditions: [{ variation_id: unknownId(), rules: [rule("NUM_GT", { value: "3" })] }] },
      ["conditions.0.rules.0.value"],
    ],
    ["a bad date", { conditions: [{ variation_id: unknownId(), rules: [rule("DATE_IS", { value: "yesterday" })] }] }, ["conditions.0.rules.0.value"]],
    ["a date no Date can hold", { conditions: [{ variation_id: unknownId(), rules: [rule("DATE_AFTER", { value: 1e300 })] }] }, ["conditions.0.rules.0.value"]],
    ["a bad semver", { conditions: [{ variation_id: unknownId(), rules: [rule("SEMVER_IS", { value: "one" })] }] }, ["conditions.0.rules.0.value"]],
    ["a bad regexp", { conditions: [{ variation_id: unknownId(), rules: [rule("STR_REGEXP", { value: "(" })] }] }, ["conditions.0.rules.0.value"]],
    [
      "a percentage range that ends before it starts",
      { conditions: [{ variation_id: unknownId(), rules: [rule("PERCENTAGE", { range_start: 50, range_end: 50 })] }] },
      ["conditions.0.rules.0.range_start"],
    ],
    [
      "a percentage past 100",
      { conditions: [{ variation_id: unknownId(), rules: [rule("PERCENTAGE", { range_start: 0, range_end: 101 })] }] },
      ["conditions.0.rules.0.range_end"],
    ],
    ["a body version of 0", { version: 0 }, ["version"]],
  ])("refuses %s with 400 naming the field", async (_, body, fields) => {
    const { state, patch } = await flagIn();
    const before = await state();
    const err = await expectError(patch(body), 400, "validation_failed");
    expect(badFields(err)).toEqual(fields);
    expect(await state()).toEqual(before);
  });

  it("refuses a non-JSON body (400) and content type (415), and answers 404 for unknown flags and environments", async () => {
    const { tenant, project, statePath, patch } = await flagIn();
    await expectError(
      call(statePath(), { token: tenant.key, method: "PATCH", rawBody: "{", headers: { "content-type": "application/json" } }),
      400,
      "invalid_json",
    );
    await expectError(
      call(statePath(), { token: tenant.key, method: "PATCH", rawBody: '{"enabled":true}', headers: { "content-type": "text/plain" } }),
      415,
      "unsupported_media_type",
    );
    await expectError(patch({ enabled: true }, undefined, "staging"), 404, "not_found");
    await expectError(patchState(tenant, project.id, "nope", "production", { enabled: true }), 404, "not_found");
    await expectError(patchState(tenant, unknownId(), "f", "production", { enabled: true }), 404, "not_found");
    expect(await listEvents(tenant, project.id)).toHaveLength(1);
  });
});
