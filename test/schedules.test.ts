// Scheduled changes (CONTRACT.md v1.2): validated when made, applied by the project's writer as one
// revision at their time, in creation order, exactly once; failed with a reason when they no longer
// apply; cancellable while waiting. Time is driven by calling the writer's runSchedules(now) with a
// `now` of the test's choosing: every schedule here is an hour away, so the real alarm never rings.
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import type { ProjectDO } from "../src/projects/project-do";
import { requireApproval } from "./confidence-helpers";
import { call, env, expectError, getFlag, json, listEvents, newFlag, newTenant, patchState, setup, type Tenant } from "./helpers";

const HOUR = 3600_000;

function schedule(t: Tenant, projectId: string, flagKey: string, envKey: string, body: Record<string, unknown>) {
  return call(`/projects/${projectId}/flags/${flagKey}/environments/${envKey}/schedules`, { token: t.key, body });
}

async function newSchedule(t: Tenant, projectId: string, flagKey: string, patch: Record<string, unknown>, at = Date.now() + HOUR, envKey = "production") {
  return json(schedule(t, projectId, flagKey, envKey, { at: new Date(at).toISOString(), patch, comment: "launch" }), 201);
}

/** The writer applies what is due at `now`, as its alarm would. */
function runAt(projectId: string, now: number) {
  return runInDurableObject(env.PROJECTS.getByName(projectId), (instance: ProjectDO) => instance.runSchedules(now));
}

async function readSchedule(t: Tenant, projectId: string, id: string) {
  return json(call(`/projects/${projectId}/schedules/${id}`, { token: t.key }), 200);
}

async function revisionOf(t: Tenant, projectId: string): Promise<number> {
  return (await json(call(`/projects/${projectId}`, { token: t.key }), 200)).revision;
}

describe("POST …/environments/:envKey/schedules", () => {
  it("answers 201 with the schedule; GET and the list show it", async () => {
    const { tenant, project } = await setup();
    const flag = await newFlag(tenant, project.id);
    const at = new Date(Date.now() + HOUR).toISOString();
    const created = await json(schedule(tenant, project.id, flag.key, "production", { at, patch: { enabled: true }, comment: "go live" }), 201);
    expect(created).toMatchObject({
      flag: flag.key,
      environment: "production",
      at,
      patch: { enabled: true },
      comment: "go live",
      status: "scheduled",
      created_by: { id: tenant.userId, email: tenant.email },
    });
    expect(await readSchedule(tenant, project.id, created.id)).toEqual(created);
    const list = await json(call(`/projects/${project.id}/schedules?status=scheduled&flag=${flag.key}&environment=production`, { token: tenant.key }), 200);
    expect(list).toEqual({ data: [created], next_cursor: null });
    const none = await json(call(`/projects/${project.id}/schedules?status=applied`, { token: tenant.key }), 200);
    expect(none.data).toEqual([]);
  });

  it("validates now: a time not ahead (400), an unknown variation (422), an unknown flag (404), a bad patch (400)", async () => {
    const { tenant, project } = await setup();
    const flag = await newFlag(tenant, project.id);
    await expectError(schedule(tenant, project.id, flag.key, "production", { at: new Date(Date.now() - 1000).toISOString(), patch: { enabled: true } }), 400);
    await expectError(schedule(tenant, project.id, flag.key, "production", { at: new Date(Date.now() + 400 * 24 * HOUR).toISOString(), patch: {} }), 400);
    await expectError(schedule(tenant, project.id, flag.key, "production", { at: "tomorrow", patch: {} }), 400);
    await expectError(
      schedule(tenant, project.id, flag.key, "production", { at: new Date(Date.now() + HOUR).toISOString(), patch: { rollout_percentage: 101 } }),
      400,
    );
    const at = new Date(Date.now() + HOUR).toISOString();
    await expectError(schedule(tenant, project.id, flag.key, "production", { at, patch: { default_variation_id: crypto.randomUUID() } }), 422);
    await expectError(schedule(tenant, project.id, "nope", "production", { at, patch: { enabled: true } }), 404);
    await expectError(schedule(tenant, project.id, flag.key, "staging", { at, patch: { enabled: true } }), 404);
    expect((await json(call(`/projects/${project.id}/schedules`, { token: tenant.key }), 200)).data).toEqual([]);
  });

  it("answers 409 approval_required on an environment that requires approval", async () => {
    const { tenant, project } = await setup();
    const flag = await newFlag(tenant, project.id);
    await requireApproval(tenant, project.id);
    await expectError(
      schedule(tenant, project.id, flag.key, "production", { at: new Date(Date.now() + HOUR).toISOString(), patch: { enabled: true } }),
      409,
      "approval_required",
    );
  });

  it("hides another organization's schedules (404)", async () => {
    const { tenant, project } = await setup();
    const flag = await newFlag(tenant, project.id);
    const created = await newSchedule(tenant, project.id, flag.key, { enabled: true });
    const other = await newTenant("Other");
    await expectError(call(`/projects/${project.id}/schedules/${created.id}`, { token: other.key }), 404);
    await expectError(call(`/projects/${project.id}/schedules`, { token: other.key }), 404);
    await expectError(call(`/projects/${project.id}/schedules/${created.id}`, { token: other.key, method: "DELETE" }), 404);
    await expectError(schedule(other, project.id, flag.key, "production", { at: new Date(Date.now() + HOUR).toISOString(), patch: { enabled: true } }), 404);
    expect((await readSchedule(tenant, project.id, created.id)).status).toBe("scheduled");
  });
});

describe("applying schedules", () => {
  it("applies at its time as one revision with the usual events, triggered_by the creator, schedule_id in the change log", async () => {
    const { tenant, project } = await setup();
    const flag = await newFlag(tenant, project.id);
    const at = Date.now() + HOUR;
    const s = await newSchedule(tenant, project.id, flag.key, { enabled: true, rollout_percentage: 30 }, at);
    expect(await runAt(project.id, at - 1)).toEqual({ applied: 0, failed: 0 });
    const before = await revisionOf(tenant, project.id);
    expect(await runAt(project.id, at)).toEqual({ applied: 1, failed: 0 });
    expect(await revisionOf(tenant, project.id)).toBe(before + 1);
    const state = (await getFlag(tenant, project.id, flag.key)).environments.production;
    expect(state).toMatchObject({ enabled: true, rollout_percentage: 30, version: 2 });
    const applied = await readSchedule(tenant, project.id, s.id);
    expect(applied).toMatchObject({ status: "applied", revision: before + 1, reason: null });
    const events = (await listEvents(tenant, project.id)).filter((e) => e.revision === before + 1);
    expect(events.map((e) => e.event).sort()).toEqual(["flag.toggled", "flag_state.updated"]);
    for (const e of events) expect(e).toMatchObject({ schedule_id: s.id, comment: "launch", triggered_by: { id: tenant.userId, email: tenant.email } });
    // Applied once: the next ring finds nothing.
    expect(await runAt(project.id, at + 1000)).toEqual({ applied: 0, failed: 0 });
  });

  it("is applied by the writer's own alarm at its time", async () => {
    const { tenant, project } = await setup();
    const flag = await newFlag(tenant, project.id);
    const s = await newSchedule(tenant, project.id, flag.key, { enabled: true }, Date.now() + 1200);
    await vi.waitFor(async () => expect((await readSchedule(tenant, project.id, s.id)).status).toBe("applied"), { timeout: 10_000, interval: 200 });
    expect((await getFlag(tenant, project.id, flag.key)).environments.production.enabled).toBe(true);
  });

  it("applies several due in the same second in creation order", async () => {
    const { tenant, project } = await setup();
    const flag = await newFlag(tenant, project.id);
    const at = Date.now() + HOUR;
    const ids = [];
    for (const pct of [10, 20, 30, 40])
      ids.push((await newSchedule(tenant, project.id, flag.key, { rollout_percentage: pct }, at + (pct === 10 ? 900 : 0))).id);
    // The first is due later in that second: time first, then creation.
    expect(await runAt(project.id, at + 999)).toEqual({ applied: 4, failed: 0 });
    const revisions = await Promise.all(ids.map(async (id) => (await readSchedule(tenant, project.id, id)).revision));
    expect(revisions.slice(1)).toEqual([revisions[1], revisions[1] + 1, revisions[1] + 2]);
    expect(revisions[0]).toBe(revisions[3] + 1);
    expect((await getFlag(tenant, project.id, flag.key)).environments.production).toMatchObject({ rollout_percentage: 10, version: 5 });
  });

  it("fails with a reason and changes nothing when the flag was deleted or a variation is gone", async () => {
    const { tenant, project } = await setup();
    const gone = await newFlag(tenant, project.id);
    const kept = await newFlag(tenant, project.id, {
      type: "string",
      variations: [
        { name: "A", value: "a" },
        { name: "B", value: "b" },
        { name: "C", value: "c" },
      ],
    });
    const at = Date.now() + HOUR;
    const s1 = await newSchedule(tenant, project.id, gone.key, { enabled: true }, at);
    const b = kept.variations.find((v: { name: string }) => v.name === "B");
    const s2 = await newSchedule(tenant, project.id, kept.key, { rollout_variation_id: b.id }, at);
    await json(call(`/projects/${project.id}/flags/${gone.key}`, { token: tenant.key, method: "DELETE" }), undefined);
    await json(
      call(`/projects/${project.id}/flags/${kept.key}`, {
        token: tenant.key,
        method: "PATCH",
        body: { variations: kept.variations.filter((v: { name: string }) => v.name !== "B") },
      }),
      200,
    );
    const before = await revisionOf(tenant, project.id);
    expect(await runAt(project.id, at)).toEqual({ applied: 0, failed: 2 });
    expect(await revisionOf(tenant, project.id)).toBe(before);
    const [f1, f2] = [await readSchedule(tenant, project.id, s1.id), await readSchedule(tenant, project.id, s2.id)];
    expect(f1).toMatchObject({ status: "failed", revision: null });
    expect(f1.reason).toMatch(/no longer exists/);
    expect(f2.status).toBe("failed");
    expect(f2.reason).toMatch(/variation/);
  });

  it("cancels a waiting schedule (204, never applied); an applied one is 409", async () => {
    const { tenant, project } = await setup();
    const flag = await newFlag(tenant, project.id);
    const at = Date.now() + HOUR;
    const s1 = await newSchedule(tenant, project.id, flag.key, { enabled: true }, at);
    const s2 = await newSchedule(tenant, project.id, flag.key, { rollout_percentage: 5 }, at);
    const del = await call(`/projects/${project.id}/schedules/${s1.id}`, { token: tenant.key, method: "DELETE" });
    expect(del.status).toBe(204);
    expect((await readSchedule(tenant, project.id, s1.id)).status).toBe("cancelled");
    expect(await runAt(project.id, at)).toEqual({ applied: 1, failed: 0 });
    expect((await getFlag(tenant, project.id, flag.key)).environments.production).toMatchObject({ enabled: false, rollout_percentage: 5 });
    await expectError(call(`/projects/${project.id}/schedules/${s2.id}`, { token: tenant.key, method: "DELETE" }), 409);
    await expectError(call(`/projects/${project.id}/schedules/${crypto.randomUUID()}`, { token: tenant.key, method: "DELETE" }), 404);
  });

  it("loses no write when a schedule and a person change the same state together; versions stay consistent", async () => {
    const { tenant, project } = await setup();
    const flag = await newFlag(tenant, project.id);
    const at = Date.now() + HOUR;
    const s = await newSchedule(tenant, project.id, flag.key, { rollout_percentage: 50 }, at);
    const [ran, person] = await Promise.all([runAt(project.id, at), patchState(tenant, project.id, flag.key, "production", { enabled: true })]);
    expect(ran).toEqual({ applied: 1, failed: 0 });
    expect(person.status).toBe(200);
    const state = (await getFlag(tenant, project.id, flag.key)).environments.production;
    expect(state).toMatchObject({ enabled: true, rollout_percentage: 50, version: 3 });
    const events = await listEvents(tenant, project.id);
    const revisions = events.filter((e) => e.event !== "flag.created").map((e) => e.revision);
    expect(new Set(revisions).size).toBe(2);
    expect((await readSchedule(tenant, project.id, s.id)).revision).toBeOneOf([...new Set(revisions)]);
  });

  it("applies each schedule exactly once when the writer rings twice at once", async () => {
    const { tenant, project } = await setup();
    const flag = await newFlag(tenant, project.id);
    const at = Date.now() + HOUR;
    await newSchedule(tenant, project.id, flag.key, { rollout_percentage: 10 }, at);
    await newSchedule(tenant, project.id, flag.key, { rollout_percentage: 20 }, at);
    const [a, b] = await Promise.all([runAt(project.id, at), runAt(project.id, at)]);
    expect(a.applied + b.applied).toBe(2);
    expect((await getFlag(tenant, project.id, flag.key)).environments.production).toMatchObject({ rollout_percentage: 20, version: 3 });
  });
});
