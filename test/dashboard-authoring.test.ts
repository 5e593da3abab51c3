// Authoring flags through the dashboard's forms, at the route level: what each form stores through the
// API, the editor's intents that store nothing, production's confirmation, conflicts that name who
// changed what, refusals said in words beside their field, and the change log's phrases.
import { describe, expect, it } from "vitest";
import { BARE_OPERATORS, LIST_OPERATORS, VALUE_OPERATORS } from "../src/flags/model";
import { derivedId } from "../src/flags/tggl";
import { describeChanges } from "../src/dashboard/flags/change-words";
import { errorsByField } from "../src/dashboard/shell/fields";
import { OPERATORS, operandOf } from "../src/dashboard/flags/operators";
import { dash, signIn } from "./dashboard-client";
import { call, getFlag, json, newFlag, patchState, setup } from "./helpers";

async function fixture(flagBody: Record<string, unknown> = {}) {
  const { tenant, project } = await setup();
  const flag = await newFlag(tenant, project.id, flagBody);
  const session = await signIn(tenant);
  return { tenant, project, flag, ...session, base: `/dashboard/projects/${project.id}/flags/${flag.key}` };
}

/** The targeting form as the page renders it for a state, then changed by `edit`. */
function stateForm(
  csrf: string,
  state: { version: number; rollout_percentage: number; rollout_variation_id: string; default_variation_id: string },
  fields: [string, string][],
): [string, string][] {
  return [
    ["_csrf", csrf],
    ["version", String(state.version)],
    ["rollout_percentage", String(state.rollout_percentage)],
    ["rollout_variation_id", state.rollout_variation_id],
    ["default_variation_id", state.default_variation_id],
    ...fields,
  ];
}

describe("the targeting editor", () => {
  it("offers every one of the contract's 33 operators, each with the input it takes", () => {
    const all = [...LIST_OPERATORS, ...VALUE_OPERATORS, ...BARE_OPERATORS, "PERCENTAGE"];
    expect(OPERATORS.map((o) => o.operator).sort()).toEqual([...all].sort());
    expect(all).toHaveLength(33);
    for (const o of OPERATORS) {
      expect(o.operand, o.operator).toBe(operandOf(o.operator));
      expect(o.hint, o.operator).not.toMatch(/[\^$\\]|\[a-z/);
    }
  });

  it("stores a rule of each kind of input exactly as typed, and an edit intent stores nothing", async () => {
    const f = await fixture();
    const [live, off] = f.flag.variations;
    const state = f.flag.environments.development;
    const rules: [string, string][] = [
      ["c0.name", "Mixed"],
      ["c0.variation_id", live.id],
      ["c0.r0.property", "plan"],
      ["c0.r0.operator", "STR_EQUALS"],
      ["c0.r0.values", "pro\r\n team \r\n\r\n"],
      ["c0.r1.property", "age"],
      ["c0.r1.operator", "NUM_GT"],
      ["c0.r1.value", "17.5"],
      ["c0.r2.property", "beta"],
      ["c0.r2.operator", "IS_TRUE"],
      ["c0.r2.value", "ignored"],
      ["c0.r3.property", "userId"],
      ["c0.r3.operator", "PERCENTAGE"],
      ["c0.r3.range_start", "10"],
      ["c0.r3.range_end", "20"],
      ["c0.r3.seed", "7"],
    ];
    const added = await dash(`${f.base}/targeting/development`, { cookie: f.cookie, form: [...stateForm(f.csrf, state, rules), ["intent", "add-rule:0"]] });
    expect(added.status).toBe(200);
    expect(await added.text()).toContain('id="c0-r4-property"');
    expect((await getFlag(f.tenant, f.project.id, f.flag.key)).environments.development.version).toBe(1);

    const saved = await dash(`${f.base}/targeting/development`, {
      cookie: f.cookie,
      form: [...stateForm(f.csrf, state, rules), ["enabled", "true"], ["intent", "save"]],
    });
    expect(saved.status).toBe(303);
    const stored = (await getFlag(f.tenant, f.project.id, f.flag.key)).environments.development;
    expect(stored.enabled).toBe(true);
    expect(stored.default_variation_id).toBe(off.id);
    expect(stored.conditions).toHaveLength(1);
    expect(stored.conditions[0].rules.map(({ id: _, ...rule }: { id: string }) => rule)).toEqual([
      { property: "plan", operator: "STR_EQUALS", values: ["pro", "team"] },
      { property: "age", operator: "NUM_GT", value: 17.5 },
      { property: "beta", operator: "IS_TRUE" },
      { property: "userId", operator: "PERCENTAGE", range_start: 10, range_end: 20, seed: 7 },
    ]);
  });

  it("asks before saving to production, and saves only once confirmed", async () => {
    const f = await fixture();
    const state = f.flag.environments.production;
    const form = stateForm(f.csrf, state, [["enabled", "true"]]);
    const asked = await dash(`${f.base}/targeting/production`, { cookie: f.cookie, form: [...form, ["intent", "save"]] });
    expect(asked.status).toBe(200);
    expect(await asked.text()).toContain("This changes production.");
    expect((await getFlag(f.tenant, f.project.id, f.flag.key)).environments.production.enabled).toBe(false);
    const saved = await dash(`${f.base}/targeting/production`, { cookie: f.cookie, form: [...form, ["intent", "save-production"]] });
    expect(saved.status).toBe(303);
    expect((await getFlag(f.tenant, f.project.id, f.flag.key)).environments.production.enabled).toBe(true);
  });

  it("a production toggle without the confirmation asks on a page of its own and changes nothing", async () => {
    const f = await fixture();
    const path = `/dashboard/projects/${f.project.id}/flags/${f.flag.key}/environments/production`;
    const asked = await dash(path, { cookie: f.cookie, form: { _csrf: f.csrf, enabled: "true", version: "1" } });
    expect(asked.status).toBe(200);
    const html = await asked.text();
    expect(html).toContain(`Turn on ${f.flag.name} in production?`);
    expect(html).toContain('name="confirm" value="production"');
    expect((await getFlag(f.tenant, f.project.id, f.flag.key)).environments.production.enabled).toBe(false);
    const development = await dash(path.replace(/production$/, "development"), { cookie: f.cookie, form: { _csrf: f.csrf, enabled: "true", version: "1" } });
    expect(development.status).toBe(303);
  });

  it("a stale toggle changes nothing, and the page it lands on names who changed what", async () => {
    const f = await fixture();
    await patchState(f.tenant, f.project.id, f.flag.key, "development", { rollout_percentage: 25 });
    const path = `/dashboard/projects/${f.project.id}/flags/${f.flag.key}/environments/development`;
    const res = await dash(path, { cookie: f.cookie, form: { _csrf: f.csrf, enabled: "true", version: "1" } });
    expect(res.status).toBe(303);
    const location = res.headers.get("location")!;
    expect(location).toMatch(/notice=flag-stale&change=[0-9a-f-]{36}#notice$/);
    const html = await (await dash(location.replace(/#.*/, ""), { cookie: f.cookie })).text();
    expect(html).toContain("Nothing was saved: someone changed this flag since the page loaded.");
    expect(html).toContain(`${f.tenant.email} changed ${f.flag.name} in development`);
    expect(html).toContain("rollout 100% → 25%");
    expect((await getFlag(f.tenant, f.project.id, f.flag.key)).environments.development.enabled).toBe(false);
  });

  it("a stale version keeps the draft and says who changed what", async () => {
    const f = await fixture();
    const state = f.flag.environments.development;
    await patchState(f.tenant, f.project.id, f.flag.key, "development", { rollout_percentage: 25 });
    const res = await dash(`${f.base}/targeting/development`, {
      cookie: f.cookie,
      form: [...stateForm(f.csrf, { ...state, rollout_percentage: 60 }, []), ["intent", "save"]],
    });
    expect(res.status).toBe(409);
    const html = await res.text();
    expect(html).toContain("Nothing was saved: someone changed this since you opened the page.");
    expect(html).toMatch(/changed it <time[^>]*>[^<]*<\/time>: rollout 100% → 25%/);
    expect(html).toContain(f.tenant.email);
    expect(html).toMatch(/id="rollout_percentage"[^>]*value="60"/);
    expect((await getFlag(f.tenant, f.project.id, f.flag.key)).environments.development.rollout_percentage).toBe(25);
  });

  it("files the API's refusal beside the field, in words", async () => {
    const f = await fixture();
    const state = f.flag.environments.development;
    const rules: [string, string][] = [
      ["c0.variation_id", f.flag.variations[0].id],
      ["c0.r0.property", "appVersion"],
      ["c0.r0.operator", "NUM_GTE"],
      ["c0.r0.value", "soon"],
    ];
    const res = await dash(`${f.base}/targeting/development`, { cookie: f.cookie, form: [...stateForm(f.csrf, state, rules), ["intent", "save"]] });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/<p class="error" id="c0-r0-value-error">“is at least” takes a number\.<\/p>/);
  });
});

describe("flags from the dashboard", () => {
  it("creates a JSON flag with its variations; invalid JSON is refused beside its field and creates nothing", async () => {
    const { tenant, project } = await setup();
    const { cookie, csrf } = await signIn(tenant);
    const form = (second: string): [string, string][] => [
      ["_csrf", csrf],
      ["name", "Layout"],
      ["key", "layout"],
      ["type", "json"],
      ["tags", "ui, ui , checkout"],
      ["v0.name", "A"],
      ["v0.value", '{"columns": 2}'],
      ["v0.active", "true"],
      ["v0.color", "#22c55e"],
      ["v1.name", "B"],
      ["v1.value", second],
      ["v1.color", "#3b82f6"],
      ["v2.name", ""],
      ["v2.value", ""],
      ["intent", "create"],
    ];
    const refused = await dash(`/dashboard/projects/${project.id}/flags`, { cookie, form: form("{columns: 3}") });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('id="v1-value-error">This is not valid JSON.');
    expect((await call(`/projects/${project.id}/flags/layout`, { token: tenant.key })).status).toBe(404);
    const created = await dash(`/dashboard/projects/${project.id}/flags`, { cookie, form: form('[1, "two"]') });
    expect(created.status).toBe(303);
    const flag = await getFlag(tenant, project.id, "layout");
    expect(flag.tags).toEqual(["ui", "checkout"]);
    expect(flag.variations.map(({ name, value, active, color }: Record<string, unknown>) => ({ name, value, active, color }))).toEqual([
      { name: "A", value: { columns: 2 }, active: true, color: "#22c55e" },
      { name: "B", value: [1, "two"], active: false, color: "#3b82f6" },
    ]);
  });

  it("the flag page saves its settings; a stale one names who renamed it, a taken key is said beside the field", async () => {
    const f = await fixture({ key: "promo", name: "Promo" });
    await newFlag(f.tenant, f.project.id, { key: "taken", name: "Taken" });
    const settings = (fields: Record<string, string>) =>
      dash(`${f.base}/settings`, {
        cookie: f.cookie,
        form: { _csrf: f.csrf, name: "Promo", key: "promo", description: "", tags: "", share_with_everyone: "true", roles: "", version: "1", ...fields },
      });
    const taken = await settings({ key: "taken" });
    expect(taken.status).toBe(409);
    expect(await taken.text()).toContain('id="flag-key-error">Another flag in this project already uses this key.');
    await call(`/projects/${f.project.id}/flags/promo`, { token: f.tenant.key, method: "PATCH", body: { name: "Spring promo" } });
    const stale = await settings({ name: "Summer promo" });
    expect(stale.status).toBe(409);
    const html = await stale.text();
    expect(html).toContain("Nothing was saved: someone changed this flag since you opened the page.");
    expect(html).toContain(`${f.tenant.email} changed it`);
    expect(html).toContain("name &quot;Promo&quot; → &quot;Spring promo&quot;");
    expect(html).toMatch(/id="flag-name"[^>]*value="Summer promo"/);
    const saved = await settings({ name: "Summer promo", key: "summer", tags: "a, b", share_with_everyone: "", roles: "admin, growth", version: "2" });
    expect(saved.status).toBe(303);
    expect(saved.headers.get("location")).toContain(`/flags/summer?notice=settings-saved&flag=summer`);
    const flag = await getFlag(f.tenant, f.project.id, "summer");
    expect([flag.name, flag.tags, flag.sharing]).toEqual(["Summer promo", ["a", "b"], { share_with_everyone: false, roles: ["admin", "growth"] }]);
  });

  it("the delete page names the flag, and only its form deletes", async () => {
    const f = await fixture({ key: "old-banner", name: "Old banner" });
    const page = await dash(`${f.base}/delete`, { cookie: f.cookie });
    expect(await page.text()).toContain("Delete the flag “Old banner” (key <code>old-banner</code>) from every environment?");
    expect((await call(`/projects/${f.project.id}/flags/old-banner`, { token: f.tenant.key })).status).toBe(200);
    const res = await dash(`${f.base}/delete`, { cookie: f.cookie, form: { _csrf: f.csrf } });
    expect(res.status).toBe(303);
    expect((await call(`/projects/${f.project.id}/flags/old-banner`, { token: f.tenant.key })).status).toBe(404);
  });

  it("the flag list shows every environment at once and finds flags by tag", async () => {
    const f = await fixture({ key: "tagged", name: "Tagged", tags: ["payments"] });
    await newFlag(f.tenant, f.project.id, { key: "plain", name: "Plain" });
    await patchState(f.tenant, f.project.id, "tagged", "production", { enabled: true });
    const html = await (await dash(`/dashboard/projects/${f.project.id}?q=PAY`, { cookie: f.cookie })).text();
    expect(html).toContain('id="flag-tagged"');
    expect(html).not.toContain('id="flag-plain"');
    expect(html).toMatch(/data-env="development" data-env-name="[^"]*"><span class="pill off">Off<\/span>/);
    expect(html).toMatch(/data-env="production" data-env-name="[^"]*"><span class="pill ok">On<\/span>/);
  });

  it("adds an environment, and a taken key is said beside the field", async () => {
    const f = await fixture();
    const res = await dash(`/dashboard/projects/${f.project.id}/environments`, { cookie: f.cookie, form: { _csrf: f.csrf, name: "Staging", key: "staging" } });
    expect(res.status).toBe(303);
    const project = await json(call(`/projects/${f.project.id}`, { token: f.tenant.key }), 200);
    expect(project.environments.map((e: { key: string }) => e.key)).toContain("staging");
    expect((await getFlag(f.tenant, f.project.id, f.flag.key)).environments.staging.enabled).toBe(false);
    const taken = await dash(`/dashboard/projects/${f.project.id}/environments`, { cookie: f.cookie, form: { _csrf: f.csrf, name: "Again", key: "staging" } });
    expect(taken.status).toBe(400);
    expect(await taken.text()).toContain('id="environment-key-error">Another environment of this project already uses this key.');
  });

  it("says the key pattern in words, never as a regular expression", () => {
    const errors = errorsByField([{ field: "key", message: "must match ^[a-z0-9][a-z0-9_-]{0,63}$" }]);
    expect(errors.key).toBe("Use lower-case letters, digits, - and _ (at most 64), starting with a letter or a digit.");
  });
});

describe("the change log's words", () => {
  const flag = { id: "0b7c1c9e-0000-4000-8000-000000000001", key: "f", name: "F", enabled: true };
  const environment = { id: "0b7c1c9e-0000-4000-8000-000000000002", key: "production", name: "production" };
  const rollout = (end: number) => ({
    id: derivedId("rollout-condition", `${flag.id}/production`),
    name: "Rollout",
    order: 0,
    variation: { name: "Live", value: true, active: true },
    rules: { r: { order: 0, operator: "PERCENTAGE", params: { rangeStart: 0, rangeEnd: end }, contextProperty: { key: "userId" } } },
  });
  it.each([
    ["a rollout change", { __typename: "FlagConditionUpdated", oldCondition: rollout(25), newCondition: rollout(50) }, "rollout 25% → 50%"],
    ["a rollout started", { __typename: "FlagConditionCreated", condition: rollout(10) }, "rollout 100% → 10% (serving Live)"],
    ["a rollout ended", { __typename: "FlagConditionDeleted", condition: rollout(90) }, "rollout 90% → 100%"],
    [
      "a condition named Rollout by a person",
      { __typename: "FlagConditionDeleted", condition: { ...rollout(90), id: "other" } },
      'condition "Rollout" removed',
    ],
    ["a toggle", { __typename: "FlagActivated", oldActive: false, newActive: true }, "turned on"],
    [
      "a variation's value",
      {
        __typename: "FlagVariationUpdated",
        oldVariation: { name: "A", value: 1, active: true, color: "#000000", description: "", order: 0 },
        newVariation: { name: "A", value: 2, active: true, color: "#000000", description: "", order: 0 },
      },
      'variation "A": value 1 → 2',
    ],
    [
      "the default",
      { __typename: "FlagDefaultVariationChanged", oldVariation: { name: "Off" }, newVariation: { name: "Live" } },
      "default variation Off → Live",
    ],
  ])("%s", (_, change, words) => {
    expect(describeChanges({ flag, environment, changes: [change as { __typename: string }] })).toEqual([words]);
  });

  it("the change log keeps only the chosen flag, environment and person", async () => {
    const f = await fixture({ key: "first", name: "First" });
    await newFlag(f.tenant, f.project.id, { key: "second", name: "Second" });
    await patchState(f.tenant, f.project.id, "first", "development", { enabled: true });
    await patchState(f.tenant, f.project.id, "first", "production", { enabled: true });
    const html = await (await dash(`/dashboard/projects/${f.project.id}/changes?flag=first&environment=development`, { cookie: f.cookie })).text();
    const entries = html.match(/<article class="card entry"/g) ?? [];
    expect(entries).toHaveLength(2); // created (all environments) and turned on in development
    expect(html).not.toContain("<code>second</code>");
    expect(html).not.toContain("in production");
    const nobody = await (await dash(`/dashboard/projects/${f.project.id}/changes?person=nobody@else.test`, { cookie: f.cookie })).text();
    expect(nobody).toContain("No change matches these filters");
    await json(call(`/projects/${f.project.id}/events`, { token: f.tenant.key }), 200);
  });
});
