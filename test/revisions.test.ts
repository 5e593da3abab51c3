// Revisions (CONTRACT.md v1.1, "Revisions"): one per committed change, on the project, on every
// event and its rollgate body, in every delivery's X-Flagpost-Revision header, and the change log's
// since_revision catch-up, oldest first.
import { describe, expect, it } from "vitest";
import { advanceRevision } from "../src/projects/store";
import { call, env, expectError, json, newFlag, patchFlag, patchState, setup, type Tenant } from "./helpers";
import { eventually, newWebhook, received, receiverUrl } from "./webhook-helpers";
import { RollgateBodySchema } from "../src/outbound/bodies";

async function revisionOf(t: Tenant, projectId: string): Promise<number> {
  return (await json(call(`/projects/${projectId}`, { token: t.key }), 200)).revision;
}

describe("project revision", () => {
  it("is 0 when created and moves by exactly one per committed change, however many events it emits", async () => {
    const { tenant, project } = await setup();
    expect(project.revision).toBe(0);
    expect(await revisionOf(tenant, project.id)).toBe(0);
    const flag = await newFlag(tenant, project.id);
    expect(await revisionOf(tenant, project.id)).toBe(1);
    // A double change (flag.toggled + flag_state.updated) is one revision.
    await json(patchState(tenant, project.id, flag.key, "production", { enabled: true, rollout_percentage: 30 }), 200);
    expect(await revisionOf(tenant, project.id)).toBe(2);
    // A write that changes nothing, and a refused one, bump nothing.
    await json(patchState(tenant, project.id, flag.key, "production", { enabled: true }), 200);
    await expectError(patchState(tenant, project.id, flag.key, "production", { enabled: false }, { "if-match": "1" }), 409);
    expect(await revisionOf(tenant, project.id)).toBe(2);
    await json(patchFlag(tenant, project.id, flag.key, { description: "x" }), 200);
    await call(`/projects/${project.id}/flags/${flag.key}`, { token: tenant.key, method: "DELETE" });
    expect(await revisionOf(tenant, project.id)).toBe(4);
    const listed = (await json(call("/projects?limit=200", { token: tenant.key }), 200)).data.find((p: { id: string }) => p.id === project.id);
    expect(listed.revision).toBe(4);
  });

  it("counts concurrent writes exactly", async () => {
    const { tenant, project } = await setup();
    const flag = await newFlag(tenant, project.id);
    const writes = await Promise.all(Array.from({ length: 20 }, (_, i) => patchState(tenant, project.id, flag.key, "development", { rollout_percentage: i })));
    const changed = writes.filter((r) => r.status === 200).length;
    expect(changed).toBe(20);
    // Rollout 0 on a fresh state (100) is a change; each later value differs from the one before it
    // or not, depending on the order they ran in: count the events' distinct revisions instead.
    const events = (await json(call(`/projects/${project.id}/events?limit=200`, { token: tenant.key }), 200)).data;
    const revisions = new Set(events.map((e: { revision: number }) => e.revision));
    expect(await revisionOf(tenant, project.id)).toBe(revisions.size);
    expect([...revisions].sort((a: any, b: any) => a - b)).toEqual(Array.from({ length: revisions.size }, (_, i) => i + 1));
  });
});

describe("the revision guard in a change's batch", () => {
  it("fails the whole batch when the project is not at the revision before, so nothing of the change lands", async () => {
    const { tenant, project } = await setup();
    await newFlag(tenant, project.id);
    const marker = env.DB.prepare("UPDATE projects SET name = 'changed' WHERE id = ?").bind(project.id);
    await expect(env.DB.batch([marker, advanceRevision(env.DB, project.id, 4, 5)])).rejects.toThrow(/NOT NULL/);
    const after = await json(call(`/projects/${project.id}`, { token: tenant.key }), 200);
    expect(after).toMatchObject({ name: "Web", revision: 1 });
    await env.DB.batch([marker, advanceRevision(env.DB, project.id, 1, 2)]);
    expect(await json(call(`/projects/${project.id}`, { token: tenant.key }), 200)).toMatchObject({ name: "changed", revision: 2 });
  });
});

describe("events and the change log", () => {
  it("every event carries its change's revision; both events of a double change share it", async () => {
    const { tenant, project } = await setup();
    const flag = await newFlag(tenant, project.id);
    await json(patchState(tenant, project.id, flag.key, "production", { enabled: true, rollout_percentage: 50 }), 200);
    const events = (await json(call(`/projects/${project.id}/events`, { token: tenant.key }), 200)).data;
    expect(events.map((e: any) => [e.event, e.revision])).toEqual([
      ["flag_state.updated", 2],
      ["flag.toggled", 2],
      ["flag.created", 1],
    ]);
  });

  it("since_revision lists later events oldest first, paginated", async () => {
    const { tenant, project } = await setup();
    const flag = await newFlag(tenant, project.id);
    for (let i = 1; i <= 5; i++) await json(patchState(tenant, project.id, flag.key, "development", { rollout_percentage: i * 10 }), 200);
    const page1 = await json(call(`/projects/${project.id}/events?since_revision=2&limit=2`, { token: tenant.key }), 200);
    expect(page1.data.map((e: any) => e.revision)).toEqual([3, 4]);
    expect(page1.next_cursor).not.toBeNull();
    const page2 = await json(call(`/projects/${project.id}/events?since_revision=2&limit=2&cursor=${page1.next_cursor}`, { token: tenant.key }), 200);
    expect(page2.data.map((e: any) => e.revision)).toEqual([5, 6]);
    expect(page2.next_cursor).toBeNull();
    const none = await json(call(`/projects/${project.id}/events?since_revision=6`, { token: tenant.key }), 200);
    expect(none.data).toEqual([]);
    const all = await json(call(`/projects/${project.id}/events?since_revision=0`, { token: tenant.key }), 200);
    expect(all.data.map((e: any) => e.revision)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it.each(["-1", "1.5", "x", ""])("refuses since_revision=%s", async (value) => {
    const { tenant, project } = await setup();
    await expectError(call(`/projects/${project.id}/events?since_revision=${value}`, { token: tenant.key }), 400, "validation_failed");
  });
});

describe("deliveries", () => {
  it("send X-Flagpost-Revision in every format, and the rollgate body carries the revision", async () => {
    const { tenant, project } = await setup();
    const rollgateUrl = receiverUrl("ok");
    const tgglUrl = receiverUrl("ok");
    await newWebhook(tenant, project.id, { url: rollgateUrl });
    await newWebhook(tenant, project.id, { url: tgglUrl, format: "tggl" });
    const flag = await newFlag(tenant, project.id);
    await json(patchState(tenant, project.id, flag.key, "production", { enabled: true, rollout_percentage: 10 }), 200);
    const rollgate = await eventually(async () => {
      const seen = await received(rollgateUrl);
      expect(seen).toHaveLength(3);
      return seen;
    });
    for (const r of rollgate) {
      const body = RollgateBodySchema.parse(JSON.parse(r.body));
      expect(body.revision).toBe(body.event === "flag.created" ? 1 : 2);
      expect(r.headers["x-flagpost-revision"]).toBe(String(body.revision));
    }
    const tggl = await eventually(async () => {
      const seen = await received(tgglUrl);
      expect(seen).toHaveLength(3);
      return seen;
    });
    expect(tggl.map((r) => r.headers["x-flagpost-revision"]).sort()).toEqual(["1", "2", "2"]);
  });

  it("refuses a custom header named X-Flagpost-Revision", async () => {
    const { tenant, project } = await setup();
    await expectError(
      call(`/projects/${project.id}/webhooks`, {
        token: tenant.key,
        body: { name: "R", url: receiverUrl("ok"), events: ["flag.toggled"], headers: { "x-flagpost-revision": "1" } },
      }),
      400,
    );
  });
});
