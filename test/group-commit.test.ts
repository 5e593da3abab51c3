// Group commit inside ProjectDO: changes staged while a batch is in flight share the next batch,
// each keeps its own version, revision, events and deliveries, each caller is answered only once
// its change is durable, and a failed batch fails exactly its changes (none stored, none announced)
// while what was staged on top of it is staged again from what D1 holds.
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import type { ProjectDO, WriteContext } from "../src/projects/project-do";
import { call, env, json, listEvents, newFlag, setup, webhookInput, type Tenant } from "./helpers";

type Batch = (statements: D1PreparedStatement[]) => Promise<D1Result[]>;

/** Watches the object's D1 batches: each one's size, and lets a test fail or delay one. */
function watchBatches(instance: ProjectDO, around?: (n: number, run: () => Promise<D1Result[]>) => Promise<D1Result[]>) {
  const target = instance as unknown as { primary: Batch };
  const real = target.primary.bind(instance);
  const sizes: number[] = [];
  vi.spyOn(target, "primary").mockImplementation(async (statements) => {
    sizes.push(statements.length);
    return around ? around(sizes.length, () => real(statements)) : real(statements);
  });
  return sizes;
}

/**
 * Counts the changes the object has staged (planned and applied to its copy, waiting for a batch);
 * `reach(k)` resolves once k have been, so a test can hold a batch until the changes it expects to
 * arrive meanwhile really have, instead of guessing how long that takes.
 */
function countStaged(instance: ProjectDO) {
  const target = instance as unknown as { stage: (r: unknown) => Promise<unknown> };
  const real = target.stage.bind(instance);
  let staged = 0;
  const waiting: { k: number; resolve: () => void }[] = [];
  vi.spyOn(target, "stage").mockImplementation(async (r) => {
    const result = await real(r);
    staged++;
    for (const w of waiting.filter((w) => staged >= w.k)) w.resolve();
    return result;
  });
  return {
    reach: (k: number) => (staged >= k ? Promise.resolve() : new Promise<void>((resolve) => waiting.push({ k, resolve }))),
  };
}

async function stateRow(projectId: string, flagKey: string, envKey: string) {
  return env.DB.prepare(
    `SELECT s.version, s.rollout_percentage AS rollout, s.enabled FROM flag_states s JOIN flags f ON f.id = s.flag_id
     JOIN environments e ON e.id = s.environment_id WHERE f.project_id = ? AND f.key = ? AND e.key = ?`,
  )
    .bind(projectId, flagKey, envKey)
    .first<{ version: number; rollout: number; enabled: number }>();
}

async function revisionOf(projectId: string): Promise<number> {
  return (await env.DB.prepare("SELECT revision FROM projects WHERE id = ?").bind(projectId).first<{ revision: number }>())!.revision;
}

async function deliveriesOf(projectId: string): Promise<number> {
  return (await env.DB.prepare("SELECT COUNT(*) AS n FROM deliveries WHERE project_id = ?").bind(projectId).first<{ n: number }>())!.n;
}

function contextOf(tenant: Tenant, projectId: string): WriteContext {
  return { orgId: tenant.orgId, projectId, actor: { id: tenant.userId, email: tenant.email } };
}

describe("group commit", () => {
  it("commits changes staged during a batch together, in arrival order, each with its own version, revision and event, answered once durable", async () => {
    const { tenant, project } = await setup();
    await newFlag(tenant, project.id, { key: "hot" });
    await json(call(`/projects/${project.id}/webhooks`, { token: tenant.key, body: webhookInput({ events: ["flag_state.updated"] }) }), 201);
    const ctx = contextOf(tenant, project.id);
    const N = 30;
    const answeredBeforeDurable: number[] = [];
    const sizes = await runInDurableObject(env.PROJECTS.getByName(project.id), async (instance: ProjectDO) => {
      const update = (i: number) =>
        instance.updateFlagState(ctx, "hot", "production", { rollout_percentage: i }).then(async (r) => {
          if (!r.ok) throw new Error(r.message);
          // Read at the moment of the answer: the answered version must already be in D1.
          const stored = await stateRow(project.id, "hot", "production");
          if (stored!.version < r.state.version) answeredBeforeDurable.push(r.state.version);
        });
      // The others arrive while the first change's batch is in flight: it is held until all are staged.
      const staged = countStaged(instance);
      let rest: Promise<void>[] = [];
      const sizes = watchBatches(instance, async (n, run) => {
        if (n === 1) {
          rest = Array.from({ length: N - 1 }, (_, i) => update(i + 1));
          await staged.reach(N);
        }
        return run();
      });
      await update(0);
      await Promise.all(rest);
      return sizes;
    });
    expect(answeredBeforeDurable).toEqual([]);
    // Two batches: the first change alone, then every change staged while it was in flight, together.
    expect(sizes).toHaveLength(2);
    const stored = await stateRow(project.id, "hot", "production");
    expect(stored).toMatchObject({ version: N + 1, rollout: N - 1 });
    expect(await revisionOf(project.id)).toBe(N + 1);
    const updates = (await listEvents(tenant, project.id)).filter((e) => e.event === "flag_state.updated").reverse();
    // Arrival order: the i-th call set rollout i, and the log has them in that order, one revision each.
    expect(updates.map((e) => e.revision)).toEqual(Array.from({ length: N }, (_, i) => i + 2));
    for (let i = 1; i < N; i++) expect(updates[i].code_like_before).toBe(updates[i - 1].code_like_after);
    expect(await deliveriesOf(project.id)).toBe(N);
  });

  it("sends the changes that arrive together as one batch, not the first alone and the rest after it", async () => {
    const { tenant, project } = await setup();
    await newFlag(tenant, project.id, { key: "hot" });
    const ctx = contextOf(tenant, project.id);
    const sizes = await runInDurableObject(env.PROJECTS.getByName(project.id), async (instance: ProjectDO) => {
      expect((await instance.updateFlagState(ctx, "hot", "production", { rollout_percentage: 1 })).ok).toBe(true); // the state is loaded
      const sizes = watchBatches(instance);
      const answers = await Promise.all([2, 3, 4, 5, 6].map((p) => instance.updateFlagState(ctx, "hot", "production", { rollout_percentage: p })));
      expect(answers.map((a) => a.ok && a.state.rollout_percentage)).toEqual([2, 3, 4, 5, 6]);
      return sizes;
    });
    // One batch: the project guard and the revision, five changes of two statements, an event and a
    // delivery insert each (no webhook: no delivery rows, but the statement is there), the routes read.
    expect(sizes).toHaveLength(1);
    expect(await revisionOf(project.id)).toBe(7);
  });

  it("checks If-Match against the state with the earlier queued changes applied", async () => {
    const { tenant, project } = await setup();
    await newFlag(tenant, project.id, { key: "hot" });
    const ctx = contextOf(tenant, project.id);
    const results = await runInDurableObject(env.PROJECTS.getByName(project.id), async (instance: ProjectDO) => {
      // The first batch waits until every call below is staged.
      const staged = countStaged(instance);
      watchBatches(instance, async (n, run) => {
        if (n === 1) await staged.reach(4);
        return run();
      });
      const calls = [
        instance.updateFlagState(ctx, "hot", "production", { rollout_percentage: 10 }), // version 1 → 2
        instance.updateFlagState(ctx, "hot", "production", { rollout_percentage: 20 }, 2), // on the queued 2 → 3
        instance.updateFlagState(ctx, "hot", "production", { rollout_percentage: 30 }, 1), // stale: 1 is gone
        instance.updateFlagState(ctx, "hot", "production", { rollout_percentage: 40 }, 3), // on the queued 3 → 4
      ];
      return Promise.all(calls);
    });
    expect(results.map((r) => (r.ok ? r.state.version : r.code))).toEqual([2, 3, "version_conflict", 4]);
    expect(await stateRow(project.id, "hot", "production")).toMatchObject({ version: 4, rollout: 40 });
  });

  it("fails exactly the changes of a failed batch, announces none, and stages what came after again from what D1 holds", async () => {
    const { tenant, project } = await setup();
    await newFlag(tenant, project.id, { key: "hot" });
    await json(call(`/projects/${project.id}/webhooks`, { token: tenant.key, body: webhookInput({ events: ["flag_state.updated"] }) }), 201);
    const ctx = contextOf(tenant, project.id);
    const before = await listEvents(tenant, project.id);
    const outcome = await runInDurableObject(env.PROJECTS.getByName(project.id), async (instance: ProjectDO) => {
      let later: Promise<unknown>[] = [];
      let failing: Promise<unknown>[] = [];
      const staged = countStaged(instance);
      const sizes = watchBatches(instance, async (n, run) => {
        // While the first change's batch is in flight, three more arrive: the second batch.
        if (n === 1)
          failing = [50, 51, 52].map((p) =>
            instance.updateFlagState(ctx, "hot", "production", { rollout_percentage: p }).then(
              (r) => ({ answered: r }),
              (err: unknown) => ({ error: String(err) }),
            ),
          );
        if (n !== 2) return run();
        // While the second batch is in flight, more arrive: they are staged on its changes…
        later = [
          instance.updateFlagState(ctx, "hot", "production", { rollout_percentage: 70 }, 5), // needs the failed changes: refused on restaging
          instance.updateFlagState(ctx, "hot", "production", { rollout_percentage: 71 }), // applies to what is stored
          instance.updateFlagState(ctx, "hot", "production", { rollout_percentage: 72 }, 3),
        ];
        await staged.reach(7);
        // …and then the batch fails.
        throw new Error("injected: the D1 batch failed");
      });
      const first = await instance.updateFlagState(ctx, "hot", "production", { rollout_percentage: 1 }); // batch 1 → version 2
      const settled = [first, ...(await Promise.all(failing))];
      const after = await Promise.all(later);
      return { settled, after, sizes };
    });
    const [first, ...failing] = outcome.settled as [any, ...any[]];
    expect(first).toMatchObject({ ok: true, state: { version: 2, rollout_percentage: 1 } });
    // All three changes of the failed batch were in it, and every caller was told.
    expect(outcome.sizes[1]).toBeGreaterThan(6);
    expect(failing).toEqual(Array(3).fill({ error: expect.stringContaining("injected") }));
    // What came after was staged again on the stored version 2, not on the failed 3, 4, 5.
    expect((outcome.after as any[]).map((r) => (r.ok ? r.state.version : r.code))).toEqual(["version_conflict", 3, 4]);
    expect(await stateRow(project.id, "hot", "production")).toMatchObject({ version: 4, rollout: 72 });
    // None of the failed changes was stored or announced: three changes stored, three events, three deliveries.
    const events = (await listEvents(tenant, project.id)).slice(0, -before.length);
    expect(events.map((e) => e.revision)).toEqual([4, 3, 2]);
    expect(await revisionOf(project.id)).toBe(4);
    expect(await deliveriesOf(project.id)).toBe(3);
  });

  it("answers 409 to every change of a batch that a write which did not land aborted, and stores none of them", async () => {
    const { tenant, project } = await setup();
    await newFlag(tenant, project.id, { key: "hot" });
    await newFlag(tenant, project.id, { key: "cold" });
    await json(call(`/projects/${project.id}/webhooks`, { token: tenant.key, body: webhookInput({ events: ["flag_state.updated"] }) }), 201);
    const ctx = contextOf(tenant, project.id);
    const stub = env.PROJECTS.getByName(project.id);
    // The writer holds both flags in memory; then "cold" changes in D1 behind its back.
    await runInDurableObject(stub, (instance: ProjectDO) => instance.updateFlagState(ctx, "cold", "production", { rollout_percentage: 1 }));
    await env.DB.prepare("UPDATE flag_states SET version = version + 100 WHERE flag_id = (SELECT id FROM flags WHERE project_id = ? AND key = 'cold')")
      .bind(project.id)
      .run();
    const deliveriesBefore = await deliveriesOf(project.id);
    const results = await runInDurableObject(stub, async (instance: ProjectDO) => {
      const staged = countStaged(instance);
      let calls: Promise<Awaited<ReturnType<ProjectDO["updateFlagState"]>>>[] = [];
      watchBatches(instance, async (n, run) => {
        if (n === 1) {
          // While batch 1 is held, the next three arrive: batch 2.
          calls = [
            instance.updateFlagState(ctx, "hot", "production", { rollout_percentage: 20 }),
            instance.updateFlagState(ctx, "cold", "production", { rollout_percentage: 30 }), // its write of "cold" does not land
            instance.updateFlagState(ctx, "hot", "production", { rollout_percentage: 40 }),
          ];
          await staged.reach(4);
        }
        return run();
      });
      // Batch 1, alone; it is answered after the three calls were made and staged.
      const first = await instance.updateFlagState(ctx, "hot", "production", { rollout_percentage: 10 });
      return [first, ...(await Promise.all(calls))];
    });
    expect(results.map((r) => (r.ok ? "ok" : r.code))).toEqual(["ok", "conflict", "conflict", "conflict"]);
    expect(await stateRow(project.id, "hot", "production")).toMatchObject({ version: 2, rollout: 10 });
    expect(await deliveriesOf(project.id)).toBe(deliveriesBefore + 1);
    // The writer reads D1 again: the next change of "cold" lands on its real version.
    const again = await runInDurableObject(stub, (instance: ProjectDO) => instance.updateFlagState(ctx, "cold", "production", { rollout_percentage: 50 }));
    expect(again).toMatchObject({ ok: true, state: { version: 103, rollout_percentage: 50 } });
  });

  it("runs a new environment alone, after the changes before it and before the ones after", async () => {
    const { tenant, project } = await setup();
    await newFlag(tenant, project.id, { key: "hot" });
    const ctx = contextOf(tenant, project.id);
    const results = await runInDurableObject(env.PROJECTS.getByName(project.id), async (instance: ProjectDO) =>
      Promise.all([
        instance.updateFlagState(ctx, "hot", "production", { rollout_percentage: 5 }),
        instance.createEnvironment(ctx, "staging", "Staging"),
        instance.updateFlagState(ctx, "hot", "staging", { enabled: true }),
      ]),
    );
    expect(results.map((r) => r.ok)).toEqual([true, true, true]);
    expect(await stateRow(project.id, "hot", "staging")).toMatchObject({ version: 2, enabled: 1 });
  });
});
