// The what-if preview (CONTRACT.md v1.1, "Receivers' toolkit"): what each context is served before and
// after a state PATCH, as OFREP serves it. Checked against OFREP itself: its answers now are the
// preview's `before`; after the PATCH is really applied, its answers are the preview's `after`.
import { describe, expect, it } from "vitest";
import { StatePreviewSchema } from "../src/projects/dry-run-schemas";
import { sameValue } from "../src/projects/preview";
import { call, env, expectError, json, newFlag, newTenant, patchFlag, patchState, setup, type Tenant } from "./helpers";
import { newSdkKey, ofrep } from "./serve-helpers";

async function fixture() {
  const { tenant, project } = await setup();
  const flag = await newFlag(tenant, project.id, {
    key: "checkout",
    type: "string",
    variations: [
      { name: "Classic", value: "classic" },
      { name: "Beta", value: "beta" },
      { name: "Off", value: "off", active: false },
    ],
  });
  const [classic, beta, off] = flag.variations.map((v: { id: string }) => v.id);
  const state = await json(
    patchState(tenant, project.id, "checkout", "production", {
      enabled: true,
      rollout_variation_id: classic,
      default_variation_id: off,
      conditions: [{ name: "Pro", variation_id: beta, rules: [{ property: "plan", operator: "STR_EQUALS", values: ["pro"] }] }],
    }),
    200,
  );
  const key = (await newSdkKey(tenant, project.id, "production")).key;
  return { tenant, project, flag, state, key, ids: { classic, beta, off } };
}

type Fixture = Awaited<ReturnType<typeof fixture>>;

/** Users on either plan, some named by targetingKey as OpenFeature SDKs name them, and one with nothing. */
const CONTEXTS: Record<string, unknown>[] = [
  ...Array.from({ length: 40 }, (_, i) => ({ userId: `user-${i}`, plan: i % 3 === 0 ? "pro" : "free", beta: i % 5 === 0 })),
  ...Array.from({ length: 10 }, (_, i) => ({ targetingKey: `sdk-${i}`, plan: "free" })),
  {},
];

function previewPath(f: Fixture, flagKey = "checkout", envKey = "production") {
  return `/projects/${f.project.id}/flags/${flagKey}/environments/${envKey}/preview`;
}

function preview(f: Fixture, body: unknown, token: string | null = f.tenant.key, flagKey?: string, envKey?: string) {
  return call(previewPath(f, flagKey, envKey), { token, body });
}

/** OFREP's answer for each context, in the preview's terms. */
async function ofrepAnswers(f: Fixture, contexts: Record<string, unknown>[], minRevision: number) {
  return Promise.all(
    contexts.map(async (context) => {
      const a = await json(ofrep(f.key, "checkout", { context }, {}, `?min_revision=${minRevision}`), 200);
      return { variant: a.variant, value: a.value, active: a.metadata.active, reason: a.reason };
    }),
  );
}

async function revisionOf(f: Fixture): Promise<number> {
  return (await json(call(`/projects/${f.project.id}`, { token: f.tenant.key }), 200)).revision;
}

async function storedState(f: Fixture) {
  return {
    // The rows only: a result's meta carries its timings, which differ from one read to the next.
    state: (await env.DB.prepare("SELECT * FROM flag_states WHERE flag_id = ? ORDER BY environment_id").bind(f.flag.id).all()).results,
    project: await env.DB.prepare("SELECT revision FROM projects WHERE id = ?").bind(f.project.id).first(),
    events: await env.DB.prepare("SELECT count(*) AS n FROM events WHERE project_id = ?").bind(f.project.id).first(),
  };
}

describe("what-if preview", () => {
  it("agrees with OFREP before the change and after the change is applied, and stores nothing", async () => {
    const f = await fixture();
    const patch = {
      rollout_percentage: 30,
      conditions: [
        { id: f.state.conditions[0].id, name: "Pro", variation_id: f.ids.classic, rules: [{ property: "plan", operator: "STR_EQUALS", values: ["pro"] }] },
        { name: "Beta testers", variation_id: f.ids.beta, rules: [{ property: "beta", operator: "IS_TRUE" }] },
      ],
    };
    const revision = await revisionOf(f);
    const before = await storedState(f);
    const answer = StatePreviewSchema.strict().parse(await json(preview(f, { patch, contexts: CONTEXTS }), 200));
    expect(await storedState(f)).toEqual(before);
    expect(answer.results).toHaveLength(CONTEXTS.length);

    const ofrepBefore = await ofrepAnswers(f, CONTEXTS, revision);
    expect(answer.results.map((r) => r.before)).toEqual(ofrepBefore);

    await json(patchState(f.tenant, f.project.id, "checkout", "production", patch), 200);
    const ofrepAfter = await ofrepAnswers(f, CONTEXTS, revision + 1);
    expect(answer.results.map((r) => r.after)).toEqual(ofrepAfter);

    // `changed` counts the contexts OFREP itself now serves another variant or value.
    const changed = ofrepBefore.filter((b, i) => b.variant !== ofrepAfter[i].variant || JSON.stringify(b.value) !== JSON.stringify(ofrepAfter[i].value)).length;
    expect(answer.changed).toBe(changed);
    // The fixture is only a test if it moves some contexts and leaves others, across every reason.
    expect(changed).toBeGreaterThan(0);
    expect(changed).toBeLessThan(CONTEXTS.length);
    expect(new Set(answer.results.map((r) => r.after.reason))).toEqual(new Set(["TARGETING_MATCH", "SPLIT"]));
    expect(answer.results.some((r) => r.after.active === false)).toBe(true);
  });

  it("counts a change of reason alone as no change, and a disabled state serves the default", async () => {
    const f = await fixture();
    const answer = await json(preview(f, { patch: { enabled: false }, contexts: [{ userId: "a", plan: "pro" }, { userId: "b" }] }), 200);
    expect(answer.results.map((r: any) => r.after)).toEqual([
      { variant: "Off", value: "off", active: false, reason: "DISABLED" },
      { variant: "Off", value: "off", active: false, reason: "DISABLED" },
    ]);
    expect(answer.changed).toBe(2);
    // Same variation, another reason: not a change.
    const g = await fixture();
    await json(patchState(g.tenant, g.project.id, "checkout", "production", { conditions: [] }), 200); // STATIC: everyone gets Classic
    const same = await json(
      preview(g, {
        patch: { conditions: [{ name: "Again", variation_id: g.ids.classic, rules: [{ property: "plan", operator: "IS_NOT_EMPTY" }] }] },
        contexts: [{ plan: "x" }, {}],
      }),
      200,
    );
    expect(same.results.map((r: any) => [r.before.reason, r.after.reason])).toEqual([
      ["STATIC", "TARGETING_MATCH"],
      ["STATIC", "DEFAULT"],
    ]);
    expect(same.changed).toBe(0);
  });

  it("takes up to 1,000 contexts and a body up to 1 MiB; more is 400, a larger body 413", async () => {
    const f = await fixture();
    const many = Array.from({ length: 1000 }, (_, i) => ({ userId: `u${i}`, pad: "x".repeat(600) })); // ≈ 620 KiB
    const big = await json(preview(f, { patch: { rollout_percentage: 50 }, contexts: many }), 200);
    expect(big.results).toHaveLength(1000);
    expect(big.changed).toBeGreaterThan(0);
    await expectError(preview(f, { patch: {}, contexts: [...many.slice(0, 1000), {}] }), 400, "validation_failed");
    await expectError(preview(f, { patch: {}, contexts: Array.from({ length: 900 }, () => ({ pad: "y".repeat(1200) })) }), 413, "payload_too_large");
    // Other API bodies keep their 128 KiB.
    await expectError(patchFlag(f.tenant, f.project.id, "checkout", { description: "z".repeat(140 * 1024) }), 413, "payload_too_large");
  });

  it("refuses what a state PATCH would refuse, and bad contexts", async () => {
    const f = await fixture();
    await expectError(preview(f, { patch: { enabled: true, version: 1 }, contexts: [] }), 409, "version_conflict");
    await expectError(preview(f, { patch: { default_variation_id: crypto.randomUUID() }, contexts: [] }), 422, "unprocessable");
    await expectError(preview(f, { patch: {}, contexts: [] }, f.tenant.key, "nope"), 404, "not_found");
    await expectError(preview(f, { patch: {}, contexts: [] }, f.tenant.key, "checkout", "staging"), 404, "not_found");
    await expectError(preview(f, { patch: {}, contexts: [[1, 2]] }), 400, "validation_failed");
    await expectError(preview(f, { patch: {}, contexts: ["user-1"] }), 400, "validation_failed");
    await expectError(preview(f, { contexts: [] }), 400, "validation_failed");
    await expectError(preview(f, { patch: {}, contexts: [] }, null), 401);
    const stranger: Tenant = await newTenant("Stranger");
    await expectError(preview(f, { patch: {}, contexts: [] }, stranger.key), 404, "not_found");
    await json(patchFlag(f.tenant, f.project.id, "checkout", { archived: true }), 200);
    await expectError(preview(f, { patch: {}, contexts: [{}] }), 422, "unprocessable");
  });

  it("answers an empty list of contexts", async () => {
    const f = await fixture();
    expect(await json(preview(f, { patch: { enabled: false }, contexts: [] }), 200)).toEqual({ results: [], changed: 0 });
  });
});

describe("sameValue", () => {
  it.each([
    [{ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 }, true],
    ["x", "x", true],
    [null, null, true],
    [1, "1", false],
    [[1, 2], [2, 1], false],
    [{ a: 1 }, { a: 1, b: undefined }, false],
    [[], {}, false],
    [{ a: null }, { a: {} }, false],
  ])("%j and %j: %s", (a, b, same) => {
    expect(sameValue(a, b)).toBe(same);
  });
});
