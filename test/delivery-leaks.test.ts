// The delivery path's guarantees on the paths nobody tried before: a write that did not land is not
// announced, a delivery that cannot be prepared fails on the schedule, the retry clock survives a
// failing sweep and concurrent arming, and a redelivery keeps a pending delivery's schedule.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { attemptDeliveries } from "../src/deliveries/consumer";
import type { DeliveryMessage } from "../src/deliveries/lifecycle";
import { sendTestDelivery } from "../src/deliveries/manual";
import { replaceQueueSender } from "../src/deliveries/queue";
import type { ProjectDO } from "../src/projects/project-do";
import { call, expectError, json, listEvents, newFlag, patchState, setup } from "./helpers";
import { deliveriesOf, deliveryDetail, eventually, makeDue, newWebhook, received, receiverUrl, webhookPath } from "./webhook-helpers";

afterEach(() => vi.restoreAllMocks());

async function deliveryCount(webhookId: string): Promise<number> {
  return (await env.DB.prepare("SELECT COUNT(*) AS n FROM deliveries WHERE webhook_id = ?").bind(webhookId).first<{ n: number }>())!.n;
}

describe("a write that did not land is not announced", () => {
  it("a state changed behind the writer's back: 409, no event, no delivery; the next write reloads", async () => {
    const { tenant, project } = await setup();
    const hook = await newWebhook(tenant, project.id, { url: receiverUrl("ok"), events: ["flag.toggled"] });
    const flag = await newFlag(tenant, project.id);
    expect((await patchState(tenant, project.id, flag.key, "production", { enabled: true })).status).toBe(200);
    const events = (await listEvents(tenant, project.id)).length;
    // A restore or a manual fix: D1 no longer holds the version the writer has in memory.
    await env.DB.prepare("UPDATE flag_states SET version = version + 5 WHERE flag_id = ?").bind(flag.id).run();
    const stale = await patchState(tenant, project.id, flag.key, "production", { enabled: false });
    expect(stale.status).toBe(409);
    expect((await json(stale)).error.code).toBe("conflict");
    expect((await listEvents(tenant, project.id)).length).toBe(events);
    expect(await deliveryCount(hook.id)).toBe(1);
    const retried = await patchState(tenant, project.id, flag.key, "production", { enabled: false });
    expect(retried.status).toBe(200);
    expect((await json(retried)).version).toBe(8);
    expect((await listEvents(tenant, project.id)).length).toBe(events + 1);
  });

  it("a flag changed behind the writer's back: 409 and the flag row untouched", async () => {
    const { tenant, project } = await setup();
    const flag = await newFlag(tenant, project.id);
    await env.DB.prepare("UPDATE flags SET version = 9, name = 'Fixed by hand' WHERE id = ?").bind(flag.id).run();
    const res = await call(`/projects/${project.id}/flags/${flag.key}`, { token: tenant.key, method: "PATCH", body: { name: "Renamed" } });
    expect(res.status).toBe(409);
    const row = await env.DB.prepare("SELECT name, version FROM flags WHERE id = ?").bind(flag.id).first();
    expect(row).toEqual({ name: "Fixed by hand", version: 9 });
    expect((await listEvents(tenant, project.id)).filter((e) => e.event === "flag.updated")).toHaveLength(0);
  });

  it("a project that left the organization behind the writer's back takes no more changes", async () => {
    const { tenant, project } = await setup();
    const flag = await newFlag(tenant, project.id);
    const other = crypto.randomUUID();
    await env.DB.prepare("INSERT INTO orgs (id, name, created_at) VALUES (?, 'Elsewhere', ?)").bind(other, Date.now()).run();
    await env.DB.prepare("UPDATE projects SET org_id = ? WHERE id = ?").bind(other, project.id).run();
    const res = await patchState(tenant, project.id, flag.key, "production", { enabled: true });
    expect([404, 409]).toContain(res.status);
    // Its change log is no longer the tenant's either; what D1 holds is the proof nothing was stored.
    await expectError(call(`/projects/${project.id}/events`, { token: tenant.key }), 404, "not_found");
    const events = await env.DB.prepare("SELECT COUNT(*) AS n FROM events WHERE project_id = ? AND event = 'flag.toggled'")
      .bind(project.id)
      .first<{ n: number }>();
    expect(events!.n).toBe(0);
  });
});

async function toggledTo(behaviour: string, hookBody: Record<string, unknown> = {}) {
  const { tenant, project } = await setup();
  const url = receiverUrl(behaviour);
  const hook = await newWebhook(tenant, project.id, { url, events: ["flag.toggled"], secret: "s3cret", ...hookBody });
  const flag = await newFlag(tenant, project.id);
  return { tenant, project, hook, url, flag };
}

async function driveToEnd(tenant: Awaited<ReturnType<typeof setup>>["tenant"], projectId: string, hookId: string) {
  for (let attempt = 2; attempt <= 6; attempt++) {
    const [d] = await deliveriesOf(tenant, projectId, hookId);
    await makeDue(d.id);
    await runDurableObjectAlarm(env.PROJECTS.getByName(projectId));
    await eventually(async () => expect((await deliveriesOf(tenant, projectId, hookId))[0].attempt_count).toBe(attempt));
  }
  return (await deliveriesOf(tenant, projectId, hookId))[0];
}

describe("a delivery that cannot be prepared", () => {
  it("a secret that no key opens is a logged failed attempt, and the schedule ends it failed", async () => {
    const { tenant, project, hook, url, flag } = await toggledTo("ok");
    await env.DB.prepare("UPDATE webhooks SET secret = 'v1:not-a-sealed-secret' WHERE id = ?").bind(hook.id).run();
    expect((await patchState(tenant, project.id, flag.key, "production", { enabled: true })).status).toBe(200);
    const [first] = await eventually(async () => {
      const list = await deliveriesOf(tenant, project.id, hook.id);
      expect(list[0]?.attempt_count).toBe(1);
      return list;
    });
    expect(first.status).toBe("pending");
    const detail = await deliveryDetail(tenant, project.id, hook.id, first.id);
    expect(detail.attempts[0]).toMatchObject({ number: 1, response: null });
    expect(detail.attempts[0].error).toMatch(/secret .* cannot be opened/);
    const last = await driveToEnd(tenant, project.id, hook.id);
    expect(last).toMatchObject({ status: "failed", attempt_count: 6 });
    expect(await received(url)).toHaveLength(0);
  });

  it("a body that is not JSON is a logged failed attempt, never sent", async () => {
    const { tenant, project, hook, url, flag } = await toggledTo("ok");
    const stub = env.PROJECTS.getByName(project.id);
    // The queue message is held back so the body can be spoiled before the attempt.
    await runInDurableObject(stub, (instance: ProjectDO) =>
      vi.spyOn((instance as unknown as { env: Env }).env.DELIVERIES, "sendBatch").mockRejectedValueOnce(new Error("held back")),
    );
    expect((await patchState(tenant, project.id, flag.key, "production", { enabled: true })).status).toBe(200);
    const [pending] = await eventually(async () => {
      const list = await deliveriesOf(tenant, project.id, hook.id);
      expect(list).toHaveLength(1);
      return list;
    });
    await env.DB.prepare("UPDATE events SET rollgate_body = '{not json' WHERE id = (SELECT event_id FROM deliveries WHERE id = ?)").bind(pending.id).run();
    await makeDue(pending.id);
    await runDurableObjectAlarm(stub);
    await eventually(async () => expect((await deliveriesOf(tenant, project.id, hook.id))[0].attempt_count).toBe(1));
    const detail = await deliveryDetail(tenant, project.id, hook.id, pending.id);
    expect(detail.attempts[0].error).toMatch(/not JSON/);
    expect(await received(url)).toHaveLength(0);
  });
});

describe("the retry clock", () => {
  it("re-arms itself with back-off when its sweep throws, and sends once D1 answers again", async () => {
    const { tenant, project, hook, url, flag } = await toggledTo("ok");
    const stub = env.PROJECTS.getByName(project.id);
    await runInDurableObject(stub, (instance: ProjectDO) =>
      vi.spyOn((instance as unknown as { env: Env }).env.DELIVERIES, "sendBatch").mockRejectedValueOnce(new Error("queue unavailable")),
    );
    expect((await patchState(tenant, project.id, flag.key, "production", { enabled: true })).status).toBe(200);
    await eventually(async () => expect(await deliveriesOf(tenant, project.id, hook.id)).toHaveLength(1));
    const db = await runInDurableObject(stub, (instance: ProjectDO) => (instance as unknown as { env: Env }).env.DB);
    const prepare = vi.spyOn(db, "prepare").mockImplementation(() => {
      throw new Error("D1 unavailable");
    });
    for (let failures = 1; failures <= 2; failures++) {
      const before = Date.now();
      expect(await runDurableObjectAlarm(stub)).toBe(true);
      const alarm = await runInDurableObject(stub, (_i, state) => state.storage.getAlarm());
      expect(alarm, `after failure ${failures}`).not.toBeNull();
      expect(alarm!).toBeGreaterThan(before + 500);
    }
    prepare.mockRestore();
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    await eventually(async () => expect((await deliveriesOf(tenant, project.id, hook.id))[0]).toMatchObject({ status: "succeeded", attempt_count: 1 }));
    expect(await received(url)).toHaveLength(1);
  });

  it("two callers arming at once never move an earlier alarm later", async () => {
    const now = Date.now();
    const armTwice = async (first: number, second: number) => {
      const { project } = await setup();
      const stub = env.PROJECTS.getByName(project.id);
      return runInDurableObject(stub, async (instance: ProjectDO, state) => {
        await Promise.all([instance.armRetry(first), instance.armRetry(second)]);
        return state.storage.getAlarm();
      });
    };
    expect(await armTwice(now + 60_000, now + 5 * 60_000)).toBe(now + 60_000);
    expect(await armTwice(now + 5 * 60_000, now + 60_000)).toBe(now + 60_000);
  });

  it("an alarm delivered twice at once makes one request per attempt and keeps the clock armed", async () => {
    const { tenant, project } = await setup();
    const url = receiverUrl("status/500");
    const hook = await newWebhook(tenant, project.id, { url, events: ["flag.created"] });
    const stub = env.PROJECTS.getByName(project.id);
    await runInDurableObject(stub, (instance: ProjectDO) =>
      vi.spyOn((instance as unknown as { env: Env }).env.DELIVERIES, "sendBatch").mockRejectedValue(new Error("queue unavailable")),
    );
    for (let i = 0; i < 3; i++) await newFlag(tenant, project.id);
    await eventually(async () => expect(await deliveriesOf(tenant, project.id, hook.id)).toHaveLength(3));
    vi.restoreAllMocks();
    await runInDurableObject(stub, (_i, state) => state.storage.setAlarm(Date.now()));
    // Every message both rings send is held back, then attempted here, awaited: the receiver's count is final.
    const sent: DeliveryMessage[] = [];
    replaceQueueSender(async (_queue, messages) => void sent.push(...messages.map((m) => m.body)));
    let rang: boolean[];
    try {
      rang = await Promise.all([runDurableObjectAlarm(stub), runDurableObjectAlarm(stub)]);
    } finally {
      replaceQueueSender(null);
    }
    expect(rang).toContain(true);
    expect(sent.length).toBeGreaterThanOrEqual(3);
    for (const message of sent) await attemptDeliveries(env, [message]); // each as its own consumer invocation
    expect((await deliveriesOf(tenant, project.id, hook.id)).map((d) => d.attempt_count)).toEqual([1, 1, 1]);
    expect(await received(url)).toHaveLength(3);
    const list = await deliveriesOf(tenant, project.id, hook.id);
    const earliest = Math.min(...list.map((d) => Date.parse(d.next_attempt_at!)));
    const alarm = await runInDurableObject(stub, (_i, state) => state.storage.getAlarm());
    expect(alarm).not.toBeNull();
    expect(alarm!).toBeLessThanOrEqual(earliest);
  });
});

describe("redelivery", () => {
  it("of a pending delivery sends its next attempt now and keeps the rest of its schedule", async () => {
    const { tenant, project, hook, url, flag } = await toggledTo("status/500");
    expect((await patchState(tenant, project.id, flag.key, "production", { enabled: true })).status).toBe(200);
    const [d] = await eventually(async () => {
      const list = await deliveriesOf(tenant, project.id, hook.id);
      expect(list[0]?.attempt_count).toBe(1);
      return list;
    });
    expect((await call(`${webhookPath(project.id, hook.id)}/deliveries/${d.id}/redeliver`, { token: tenant.key, method: "POST" })).status).toBe(202);
    const after = await eventually(async () => {
      const [again] = await deliveriesOf(tenant, project.id, hook.id);
      expect(again.attempt_count).toBe(2);
      return again;
    });
    expect(after.status).toBe("pending");
    expect(Math.round((Date.parse(after.next_attempt_at!) - Date.now()) / 1000)).toBe(300);
    expect(await received(url)).toHaveLength(2);
  });
});

describe("an organization webhook's test delivery", () => {
  it("has a retry clock: an attempt that could not be recorded is sent again", async () => {
    const { tenant } = await setup();
    const url = receiverUrl("ok");
    const hook = await newWebhook(tenant, null, { url, events: ["flag.toggled"] });
    const row = await env.DB.prepare("SELECT id, org_id, format FROM webhooks WHERE id = ?")
      .bind(hook.id)
      .first<{ id: string; org_id: string; format: string }>();
    const original = env.DB.batch.bind(env.DB);
    let batches = 0;
    vi.spyOn(env.DB, "batch").mockImplementation(async (statements) => {
      if (++batches === 2) throw new Error("D1 unavailable"); // the batch that records the attempt
      return original(statements);
    });
    const actor = { id: tenant.userId, email: tenant.email };
    await expect(sendTestDelivery(env, { webhook: { id: row!.id, orgId: row!.org_id, format: row!.format }, project: null, actor })).rejects.toThrow(
      /D1 unavailable/,
    );
    vi.restoreAllMocks();
    const clock = env.PROJECTS.getByName(`org:${tenant.orgId}`);
    expect(await runInDurableObject(clock, (_i, state) => state.storage.getAlarm())).not.toBeNull();
    const [pending] = await deliveriesOf(tenant, null, hook.id);
    expect(pending).toMatchObject({ event: "webhook.test", status: "pending", attempt_count: 0 });
    // Time passes: the claim of the unrecorded attempt expires, and the clock rings.
    await env.DB.prepare("UPDATE deliveries SET claimed_until = 0, enqueued_at = NULL WHERE id = ?").bind(pending.id).run();
    expect(await runDurableObjectAlarm(clock)).toBe(true);
    await eventually(async () => expect((await deliveriesOf(tenant, null, hook.id))[0]).toMatchObject({ status: "succeeded", attempt_count: 1 }));
    expect((await received(url)).length).toBeGreaterThanOrEqual(1);
  });
});
