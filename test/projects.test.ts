// Projects and environments over HTTP: creation, keys, listing and pagination, and what a new
// environment does to the flags that already exist.
import { evictDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { FlagSchema, FlagStateSchema } from "../src/flags/schemas";
import { EnvironmentSchema, ProjectSchema } from "../src/projects/routes";
import { badFields, call, env, expectError, getFlag, json, newEnvironment, newFlag, newProject, newTenant, patchState, setup, unknownId } from "./helpers";

/** A page of projects, each parsed with the exported schema. */
function ProjectPage(body: { data: unknown[]; next_cursor: string | null }) {
  return { data: body.data.map((p) => ProjectSchema.parse(p)), next_cursor: body.next_cursor };
}

describe("POST /projects", () => {
  it("creates a project with development and production", async () => {
    const t = await newTenant();
    const project = ProjectSchema.parse(await json(call("/projects", { token: t.key, body: { key: "web", name: "Web" } }), 201));
    expect(project).toMatchObject({ key: "web", name: "Web" });
    expect(project.environments.map(({ key, name }) => ({ key, name }))).toEqual([
      { key: "development", name: "development" },
      { key: "production", name: "production" },
    ]);
    expect(ProjectSchema.parse(await json(call(`/projects/${project.id}`, { token: t.key }), 200))).toEqual(project);
  });

  it.each(["a", "0", "a_b-c", "9lives", "x".repeat(64)])("accepts the key %j", async (key) => {
    const t = await newTenant();
    await json(call("/projects", { token: t.key, body: { key, name: "P" } }), 201);
  });

  it.each(["", "-a", "_a", "A", "aB", "a b", "a.b", "é", "a/b", "x".repeat(65), " a"])("refuses the key %j with 400", async (key) => {
    const t = await newTenant();
    const err = await expectError(call("/projects", { token: t.key, body: { key, name: "P" } }), 400, "validation_failed");
    expect(badFields(err)).toEqual(["key"]);
  });

  it("names every bad field", async () => {
    const t = await newTenant();
    const err = await expectError(call("/projects", { token: t.key, body: { key: 7 } }), 400, "validation_failed");
    expect(badFields(err).sort()).toEqual(["key", "name"]);
  });

  it("refuses a duplicate key in one organization with 409, not across organizations", async () => {
    const [a, b] = [await newTenant(), await newTenant()];
    await json(call("/projects", { token: a.key, body: { key: "web", name: "Web" } }), 201);
    await expectError(call("/projects", { token: a.key, body: { key: "web", name: "Other" } }), 409, "conflict");
    await json(call("/projects", { token: b.key, body: { key: "web", name: "Web" } }), 201);
    const page = ProjectPage(await json(call("/projects", { token: a.key }), 200));
    expect(page.data.map((p) => p.key)).toEqual(["web"]);
  });

  it("answers 401 without a key and 403 to the admin token", async () => {
    await expectError(call("/projects", { body: { key: "web", name: "Web" } }), 401, "unauthorized");
    await expectError(call("/projects", { token: "flagpost-local-admin", body: { key: "web", name: "Web" } }), 403, "forbidden");
  });
});

describe("GET /projects", () => {
  it("pages newest first, with next_cursor null on the last page", async () => {
    const t = await newTenant();
    const keys = ["p1", "p2", "p3", "p4", "p5"];
    for (const key of keys) await newProject(t, key);
    const first = ProjectPage(await json(call("/projects?limit=2", { token: t.key }), 200));
    expect(first.data.map((p) => p.key)).toEqual(["p5", "p4"]);
    expect(first.next_cursor).toEqual(expect.any(String));
    const second = ProjectPage(await json(call(`/projects?limit=2&cursor=${first.next_cursor}`, { token: t.key }), 200));
    expect(second.data.map((p) => p.key)).toEqual(["p3", "p2"]);
    const last = ProjectPage(await json(call(`/projects?limit=2&cursor=${second.next_cursor}`, { token: t.key }), 200));
    expect(last.data.map((p) => p.key)).toEqual(["p1"]);
    expect(last.next_cursor).toBeNull();
    const all = ProjectPage(await json(call("/projects", { token: t.key }), 200));
    expect(all.data.map((p) => p.key)).toEqual([...keys].reverse());
    expect(all.next_cursor).toBeNull();
  });

  it("serves a page of exactly `limit` items with no next page as the last page", async () => {
    const t = await newTenant();
    for (const key of ["p1", "p2"]) await newProject(t, key);
    const page = ProjectPage(await json(call("/projects?limit=2", { token: t.key }), 200));
    expect(page.data).toHaveLength(2);
    expect(page.next_cursor).toBeNull();
  });

  it.each(["0", "201", "-1", "1.5", "abc", ""])("refuses limit=%j with 400", async (limit) => {
    const t = await newTenant();
    const err = await expectError(call(`/projects?limit=${limit}`, { token: t.key }), 400, "validation_failed");
    expect(badFields(err)).toEqual(["limit"]);
  });

  it.each(["1", "200"])("accepts limit=%s", async (limit) => {
    const t = await newTenant();
    await json(call(`/projects?limit=${limit}`, { token: t.key }), 200);
  });

  it.each(["not-a-cursor!", "abc", "", "MA", btoa("-5"), btoa("1.5"), btoa("12abc")])("refuses the cursor %j with 400", async (cursor) => {
    const t = await newTenant();
    const err = await expectError(call(`/projects?cursor=${encodeURIComponent(cursor)}`, { token: t.key }), 400, "validation_failed");
    expect(badFields(err)).toEqual(["cursor"]);
  });
});

describe("GET /projects/{projectId}", () => {
  it("answers 404 for an unknown project and 400 for a malformed id", async () => {
    const t = await newTenant();
    await expectError(call(`/projects/${unknownId()}`, { token: t.key }), 404, "not_found");
    const err = await expectError(call("/projects/nope", { token: t.key }), 400, "validation_failed");
    expect(badFields(err)).toEqual(["projectId"]);
  });
});

describe("POST /projects/{projectId}/environments", () => {
  it("adds an environment, listed after the default two", async () => {
    const { tenant, project } = await setup();
    const staging = EnvironmentSchema.parse(await newEnvironment(tenant, project.id, "staging", "Staging"));
    expect(staging).toMatchObject({ key: "staging", name: "Staging" });
    const again = ProjectSchema.parse(await json(call(`/projects/${project.id}`, { token: tenant.key }), 200));
    expect(again.environments.map((e) => e.key)).toEqual(["development", "production", "staging"]);
    expect(again.environments[2]).toEqual(staging);
  });

  it("refuses a duplicate key (409), a bad key (400) and an unknown project (404)", async () => {
    const { tenant, project } = await setup();
    const path = `/projects/${project.id}/environments`;
    await expectError(call(path, { token: tenant.key, body: { key: "production", name: "Prod again" } }), 409, "conflict");
    await newEnvironment(tenant, project.id, "qa");
    await expectError(call(path, { token: tenant.key, body: { key: "qa", name: "QA" } }), 409, "conflict");
    const err = await expectError(call(path, { token: tenant.key, body: { key: "Q A", name: "" } }), 400, "validation_failed");
    expect(badFields(err).sort()).toEqual(["key", "name"]);
    await expectError(call(`/projects/${unknownId()}/environments`, { token: tenant.key, body: { key: "qa", name: "QA" } }), 404, "not_found");
    const after = ProjectSchema.parse(await json(call(`/projects/${project.id}`, { token: tenant.key }), 200));
    expect(after.environments.map((e) => e.key)).toEqual(["development", "production", "qa"]);
  });

  it("gives every existing flag a new, disabled state, whether or not the writer holds it in memory", async () => {
    const { tenant, project } = await setup();
    const variations = [
      { name: "A", value: "a", active: false },
      { name: "B", value: "b" },
      { name: "C", value: "c" },
    ];
    const boolFlag = FlagSchema.parse(await newFlag(tenant, project.id, { key: "bool" }));
    const stringFlag = FlagSchema.parse(await newFlag(tenant, project.id, { key: "str", type: "string", variations }));
    // A fresh writer holds no flag; touching one flag puts only that one back in its memory.
    await evictDurableObject(env.PROJECTS.getByName(project.id));
    await json(patchState(tenant, project.id, "bool", "production", { enabled: true }), 200);

    await newEnvironment(tenant, project.id, "staging");
    const bool = FlagSchema.parse(await getFlag(tenant, project.id, "bool"));
    const str = FlagSchema.parse(await getFlag(tenant, project.id, "str"));
    expect(bool.environments.staging).toEqual({
      enabled: false,
      rollout_percentage: 100,
      rollout_variation_id: boolFlag.variations[0].id,
      conditions: [],
      default_variation_id: boolFlag.variations[1].id,
      version: 1,
    });
    // The rollout serves the first active variation; the default is the last one.
    expect(str.environments.staging).toEqual({
      enabled: false,
      rollout_percentage: 100,
      rollout_variation_id: stringFlag.variations[1].id,
      conditions: [],
      default_variation_id: stringFlag.variations[2].id,
      version: 1,
    });
    expect(bool.environments.production.enabled).toBe(true);

    // The writer sees the same states: a write there moves each from version 1 to 2.
    for (const key of ["bool", "str"]) {
      const state = FlagStateSchema.parse(await json(patchState(tenant, project.id, key, "staging", { enabled: true }, { "if-match": "1" }), 200));
      expect(state.version).toBe(2);
    }
  });

  it("gives flags created after it a state there too", async () => {
    const { tenant, project } = await setup();
    await newEnvironment(tenant, project.id, "staging");
    const flag = FlagSchema.parse(await newFlag(tenant, project.id));
    expect(Object.keys(flag.environments)).toEqual(["development", "production", "staging"]);
    expect(FlagSchema.parse(await getFlag(tenant, project.id, flag.key))).toEqual(flag);
  });
});
