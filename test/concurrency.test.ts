// ProjectDO is the single writer of a project: concurrent writes must neither lose an update nor
// let two creations of one key both succeed. Exercised over HTTP (many requests, one object) and
// inside the object itself (many calls started before any has finished).
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { FlagStateSchema } from "../src/flags/schemas";
import type { ProjectDO, WriteContext } from "../src/projects/project-do";
import { call, env, getFlag, listEvents, newFlag, patchState, setup } from "./helpers";

const WRITES = 40;

describe("concurrent writes to one project", () => {
  it(`keeps all ${WRITES} concurrent PATCHes of one state: ${WRITES} versions and ${WRITES} events`, async () => {
    const { tenant, project } = await setup();
    await newFlag(tenant, project.id, { key: "hot" });
    // Every value differs from every other and from the initial 100, so each write changes something
    // whatever order they run in.
    const responses = await Promise.all(
      Array.from({ length: WRITES }, (_, i) => patchState(tenant, project.id, "hot", "production", { rollout_percentage: i })),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(WRITES).fill(200));
    const versions = await Promise.all(responses.map(async (r) => FlagStateSchema.parse(await r.json()).version));
    expect([...versions].sort((x, y) => x - y)).toEqual(Array.from({ length: WRITES }, (_, i) => i + 2));

    const flag = await getFlag(tenant, project.id, "hot");
    expect(flag.environments.production.version).toBe(WRITES + 1);
    const updates = (await listEvents(tenant, project.id)).filter((e) => e.event === "flag_state.updated");
    expect(updates).toHaveLength(WRITES);
    // The log tells one consistent story: each event starts where the previous one ended.
    const chronological = [...updates].reverse();
    for (let i = 1; i < chronological.length; i++) expect(chronological[i].code_like_before).toBe(chronological[i - 1].code_like_after);
  });

  it("lets exactly one of many concurrent If-Match writes of one version through", async () => {
    const { tenant, project } = await setup();
    await newFlag(tenant, project.id, { key: "hot" });
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) => patchState(tenant, project.id, "hot", "production", { rollout_percentage: i }, { "if-match": "1" })),
    );
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([200, ...Array(9).fill(409)]);
    expect((await getFlag(tenant, project.id, "hot")).environments.production.version).toBe(2);
    expect(await listEvents(tenant, project.id)).toHaveLength(2);
  });

  it("answers exactly one 201 to concurrent creations of one key, and 409 to the rest", async () => {
    const { tenant, project } = await setup();
    const responses = await Promise.all(
      Array.from({ length: 12 }, (_, i) => call(`/projects/${project.id}/flags`, { token: tenant.key, body: { key: "same", name: `Try ${i}` } })),
    );
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([201, ...Array(11).fill(409)]);
    const page = await (await call(`/projects/${project.id}/flags`, { token: tenant.key })).json<{ data: { key: string }[] }>();
    expect(page.data.map((f) => f.key)).toEqual(["same"]);
    expect((await listEvents(tenant, project.id)).map((e) => e.event)).toEqual(["flag.created"]);
  });

  it("serializes calls started together inside the object", async () => {
    const { tenant, project } = await setup();
    await newFlag(tenant, project.id, { key: "hot" });
    const ctx: WriteContext = { orgId: tenant.orgId, projectId: project.id, actor: { id: tenant.userId, email: tenant.email } };
    const stub = env.PROJECTS.getByName(project.id);
    const results = await runInDurableObject(stub, async (instance: ProjectDO) =>
      Promise.all([
        ...Array.from({ length: WRITES }, (_, i) => instance.updateFlagState(ctx, "hot", "development", { enabled: i % 2 === 0 })),
        ...Array.from({ length: 5 }, () => instance.createFlag(ctx, { key: "twin", name: "Twin", description: "", type: "boolean", tags: [] })),
      ]),
    );
    expect(results.slice(0, WRITES).every((r) => r.ok)).toBe(true);
    expect(
      results
        .slice(WRITES)
        .map((r) => (r.ok ? "created" : r.code))
        .sort(),
    ).toEqual(["conflict", "conflict", "conflict", "conflict", "created"]);
    // enabled alternates true, false, …: every call toggles.
    expect((await getFlag(tenant, project.id, "hot")).environments.development.version).toBe(WRITES + 1);
    const toggles = (await listEvents(tenant, project.id)).filter((e) => e.event === "flag.toggled");
    expect(toggles).toHaveLength(WRITES);
  });
});
