// Delivery through the real local queue to a real receiver on 127.0.0.1: outcomes, the retry
// ladder driven by ProjectDO's alarm, duplicates, and a queue send that fails after the commit.
import { createExecutionContext, createMessageBatch, getQueueResult, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../src/index";
import type { ProjectDO } from "../src/projects/project-do";
import type { DeliveryMessage } from "../src/deliveries/lifecycle";
import { replaceQueueSender } from "../src/deliveries/queue";
import { attemptDeliveries, claimWindowMs, RECORD_MS } from "../src/deliveries/consumer";
import { ConnectionSlots } from "../src/deliveries/connections";
import type { Settings } from "../src/kernel/env";
import { newFlag, patchState, setup, type Tenant } from "./helpers";
import { deliveriesOf, deliveryDetail, eventually, makeDue, newWebhook, received, receiverUrl } from "./webhook-helpers";

afterEach(() => vi.restoreAllMocks());

async function toggledDelivery(behaviour: string) {
  const { tenant, project } = await setup();
  const url = receiverUrl(behaviour);
  const hook = await newWebhook(tenant, project.id, { url, events: ["flag.toggled"], secret: "s3cret" });
  const flag = await newFlag(tenant, project.id);
  expect((await patchState(tenant, project.id, flag.key, "production", { enabled: true })).status).toBe(200);
  const [delivery] = await eventually(async () => {
    const list = await deliveriesOf(tenant, project.id, hook.id);
    expect(list).toHaveLength(1);
    expect(list[0].attempt_count).toBe(1);
    return list;
  });
  return { tenant, project, hook, url, delivery, flag };
}

describe("one attempt", () => {
  it("a 2xx answer makes the delivery succeeded, with the attempt logged", async () => {
    const { tenant, project, hook, delivery, url } = await toggledDelivery("ok");
    expect(delivery).toMatchObject({ status: "succeeded", last_status_code: 200, next_attempt_at: null, event: "flag.toggled" });
    const detail = await deliveryDetail(tenant, project.id, hook.id, delivery.id);
    expect(detail.attempts).toHaveLength(1);
    expect(detail.attempts[0]).toMatchObject({ number: 1, error: null, response: { status_code: 200, body: "ok" }, request: { url } });
    expect(detail.attempts[0].request.headers["X-Rollgate-Delivery"]).toBe(delivery.id);
    expect(JSON.parse(detail.attempts[0].request.body).event).toBe("flag.toggled");
    expect(await received(url)).toHaveLength(1);
  });

  it.each([
    ["status/500", 500, /^$/],
    ["status/429", 429, /^$/],
    ["redirect", 301, /redirect to .* not followed/],
  ])("a %s answer fails the attempt and schedules the first retry", async (behaviour, status, error) => {
    const { tenant, project, hook, delivery, url } = await toggledDelivery(behaviour);
    expect(delivery).toMatchObject({ status: "pending", last_status_code: status });
    expect(Date.parse(delivery.next_attempt_at!) - Date.now()).toBeGreaterThan(50_000);
    const detail = await deliveryDetail(tenant, project.id, hook.id, delivery.id);
    expect(detail.attempts[0].error ?? "").toMatch(error);
    if (behaviour === "redirect") expect(await received(`${url.replace("/redirect/", "/ok/")}-redirected`)).toHaveLength(0);
  });

  it("a receiver slower than DELIVERY_TIMEOUT_MS fails the attempt as a time-out", async () => {
    const { tenant, project, hook, delivery } = await toggledDelivery("slow/4000");
    expect(delivery.status).toBe("pending");
    const detail = await deliveryDetail(tenant, project.id, hook.id, delivery.id);
    expect(detail.attempts[0]).toMatchObject({ response: null, error: "timed out after 1500 ms" });
  });

  it("a closed connection fails the attempt as a network error", async () => {
    const { tenant, project, hook, delivery } = await toggledDelivery("close");
    const detail = await deliveryDetail(tenant, project.id, hook.id, delivery.id);
    expect(detail.attempts[0].response).toBeNull();
    expect(detail.attempts[0].error).toMatch(/^request failed/);
  });
});

async function runRetry(tenant: Tenant, projectId: string, hookId: string, deliveryId: string, attempt: number) {
  await makeDue(deliveryId);
  expect(await runDurableObjectAlarm(env.PROJECTS.getByName(projectId))).toBe(true);
  return eventually(async () => {
    const [d] = await deliveriesOf(tenant, projectId, hookId);
    expect(d.attempt_count).toBe(attempt);
    return d;
  });
}

describe("the retry ladder", () => {
  it("retries on the alarm until the sixth attempt fails, then marks the delivery failed", async () => {
    const { tenant, project, hook, delivery, url } = await toggledDelivery("status/503");
    let current = delivery;
    for (let attempt = 2; attempt <= 6; attempt++) {
      current = await runRetry(tenant, project.id, hook.id, delivery.id, attempt);
    }
    expect(current).toMatchObject({ status: "failed", attempt_count: 6, next_attempt_at: null, last_status_code: 503 });
    const seen = await received(url);
    expect(seen).toHaveLength(6);
    expect(new Set(seen.map((r) => r.headers["x-rollgate-delivery"]))).toEqual(new Set([delivery.id]));
    expect(new Set(seen.map((r) => r.body)).size).toBe(1);
    const detail = await deliveryDetail(tenant, project.id, hook.id, delivery.id);
    expect(detail.attempts.map((a: { number: number }) => a.number)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("the schedule spaces the retries as RETRY_SCHEDULE_SECONDS says", async () => {
    const { tenant, project, hook, delivery } = await toggledDelivery("status/500");
    const delays = [];
    let current = delivery;
    for (let attempt = 2; attempt <= 5; attempt++) {
      const before = Date.now();
      delays.push(Math.round((Date.parse(current.next_attempt_at!) - before) / 1000));
      current = await runRetry(tenant, project.id, hook.id, delivery.id, attempt);
    }
    delays.push(Math.round((Date.parse(current.next_attempt_at!) - Date.now()) / 1000));
    expect(delays).toEqual([60, 300, 1800, 7200, 43200]);
  });

  it("succeeds on a retry after failures", async () => {
    const { tenant, project, hook, delivery, url } = await toggledDelivery("fail/2");
    await runRetry(tenant, project.id, hook.id, delivery.id, 2);
    const third = await runRetry(tenant, project.id, hook.id, delivery.id, 3);
    expect(third).toMatchObject({ status: "succeeded", last_status_code: 200, next_attempt_at: null });
    expect(await received(url)).toHaveLength(3);
  });

  it("an alarm with nothing due sends nothing", async () => {
    const { tenant, project, hook, url } = await toggledDelivery("status/500");
    // The ring runs whole inside runDurableObjectAlarm; every message it would send is caught here.
    const sent: DeliveryMessage[] = [];
    replaceQueueSender(async (_queue, messages) => void sent.push(...messages.map((m) => m.body)));
    try {
      await runInDurableObject(env.PROJECTS.getByName(project.id), (_i, state) => state.storage.setAlarm(Date.now()));
      expect(await runDurableObjectAlarm(env.PROJECTS.getByName(project.id))).toBe(true);
    } finally {
      replaceQueueSender(null);
    }
    expect(sent).toEqual([]);
    expect((await deliveriesOf(tenant, project.id, hook.id))[0]).toMatchObject({ status: "pending", attempt_count: 1 });
    expect(await received(url)).toHaveLength(1);
  });
});

describe("at least once, attempted once", () => {
  it("a repeated queue message for a finished attempt makes no second request or log row", async () => {
    const { tenant, project, hook, delivery, url } = await toggledDelivery("ok");
    const message = { delivery_id: delivery.id, attempt: 1 };
    const batch = createMessageBatch<DeliveryMessage>("flagpost-deliveries", [
      { id: "dup-1", timestamp: new Date(), attempts: 1, body: message },
      { id: "dup-2", timestamp: new Date(), attempts: 1, body: message },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.ackAll).toBe(true);
    expect(result.retryBatch.retry).toBe(false);
    expect(await received(url)).toHaveLength(1);
    expect((await deliveryDetail(tenant, project.id, hook.id, delivery.id)).attempts).toHaveLength(1);
  });

  it("two copies of a due attempt in one batch make one request", async () => {
    const { tenant, project, hook, delivery, url } = await toggledDelivery("status/500");
    await makeDue(delivery.id);
    const message = { delivery_id: delivery.id, attempt: 2 };
    const batch = createMessageBatch<DeliveryMessage>("flagpost-deliveries", [
      { id: "a", timestamp: new Date(), attempts: 1, body: message },
      { id: "b", timestamp: new Date(), attempts: 1, body: message },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    await getQueueResult(batch, ctx);
    expect(await received(url)).toHaveLength(2);
    const detail = await deliveryDetail(tenant, project.id, hook.id, delivery.id);
    expect(detail.attempts.map((a: { number: number }) => a.number)).toEqual([1, 2]);
  });
});

describe("a group of successes", () => {
  it("is recorded together: every attempt logged once, every delivery succeeded, the webhook healthy again", async () => {
    const { tenant, project } = await setup();
    const failing = receiverUrl("status/500");
    const hook = await newWebhook(tenant, project.id, { url: failing, events: ["flag.toggled"], secret: "s3cret" });
    const flag = await newFlag(tenant, project.id);
    for (const enabled of [true, false, true, false]) expect((await patchState(tenant, project.id, flag.key, "production", { enabled })).status).toBe(200);
    const pending = await eventually(async () => {
      const list = await deliveriesOf(tenant, project.id, hook.id);
      expect(list.map((d: { attempt_count: number }) => d.attempt_count)).toEqual([1, 1, 1, 1]);
      return list as { id: string }[];
    });
    // Four failures in a row: below the circuit's threshold, so it stays closed.
    const ok = receiverUrl("ok");
    await env.DB.prepare("UPDATE webhooks SET url = ? WHERE id = ?").bind(ok, hook.id).run();
    for (const d of pending) await makeDue(d.id);
    const batch = createMessageBatch<DeliveryMessage>(
      "flagpost-deliveries",
      pending.map((d, i) => ({ id: `s${i}`, timestamp: new Date(), attempts: 1, body: { delivery_id: d.id, attempt: 2 } })),
    );
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    expect((await getQueueResult(batch, ctx)).ackAll).toBe(true);
    expect(await received(ok)).toHaveLength(4);
    for (const d of pending) {
      const detail = await deliveryDetail(tenant, project.id, hook.id, d.id);
      expect(detail).toMatchObject({ status: "succeeded", attempt_count: 2, last_status_code: 200, next_attempt_at: null });
      expect(detail.attempts.map((a: { number: number; response: { status_code: number } }) => [a.number, a.response.status_code])).toEqual([
        [1, 500],
        [2, 200],
      ]);
    }
    const webhook = await env.DB.prepare("SELECT consecutive_failures, failing_since, last_success_at, circuit FROM webhooks WHERE id = ?")
      .bind(hook.id)
      .first();
    expect(webhook).toMatchObject({ consecutive_failures: 0, failing_since: null, circuit: "closed" });
    expect(webhook!.last_success_at).toBeGreaterThan(0);
    // A second copy of the batch finds nothing to claim: no request, no log row.
    const again = createMessageBatch<DeliveryMessage>(
      "flagpost-deliveries",
      batch.messages.map((m) => ({ ...m, id: `again-${m.id}` })),
    );
    const ctx2 = createExecutionContext();
    await worker.queue(again, env, ctx2);
    await getQueueResult(again, ctx2);
    expect(await received(ok)).toHaveLength(4);
    expect((await deliveryDetail(tenant, project.id, hook.id, pending[0].id)).attempts).toHaveLength(2);
  });
});

/** Deliveries of one toggle each to `behaviours`' receivers, made due again for their second attempt. */
async function dueAgain(behaviours: string[]) {
  const { tenant, project } = await setup();
  const hooks: { id: string }[] = [];
  for (const _ of behaviours) hooks.push(await newWebhook(tenant, project.id, { url: receiverUrl("status/500"), events: ["flag.toggled"], secret: "s3cret" }));
  const flag = await newFlag(tenant, project.id);
  expect((await patchState(tenant, project.id, flag.key, "production", { enabled: true })).status).toBe(200);
  const deliveries = await eventually(async () => {
    const all = await Promise.all(hooks.map(async (h) => (await deliveriesOf(tenant, project.id, h.id))[0]));
    expect(all.map((d) => d?.attempt_count)).toEqual(behaviours.map(() => 1));
    return all as { id: string }[];
  });
  for (const [i, h] of hooks.entries()) await env.DB.prepare("UPDATE webhooks SET url = ? WHERE id = ?").bind(receiverUrl(behaviours[i]), h.id).run();
  for (const d of deliveries) await makeDue(d.id);
  const batch = createMessageBatch<DeliveryMessage>(
    "flagpost-deliveries",
    deliveries.map((d, i) => ({ id: `r${i}`, timestamp: new Date(), attempts: 1, body: { delivery_id: d.id, attempt: 2 } })),
  );
  return { deliveries, batch };
}

describe("recording a batch's attempts", () => {
  it("writes the attempts of a batch that finish together in one D1 batch", async () => {
    const { deliveries, batch } = await dueAgain(["ok", "ok", "ok", "ok", "ok", "ok"]);
    const writes = vi.spyOn(env.DB, "batch");
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    await getQueueResult(batch, ctx);
    // One to claim the six attempts, one to record them.
    expect(writes).toHaveBeenCalledTimes(2);
    const states = await env.DB.prepare(`SELECT status, attempt_count FROM deliveries WHERE id IN (${deliveries.map(() => "?").join(",")})`)
      .bind(...deliveries.map((d) => d.id))
      .all();
    expect(states.results).toEqual(deliveries.map(() => ({ status: "succeeded", attempt_count: 2 })));
  });

  it("does not keep a quick attempt's record waiting for a slow one", async () => {
    const { deliveries, batch } = await dueAgain(["ok", "slow/1200"]);
    const ctx = createExecutionContext();
    const done = worker.queue(batch, env, ctx);
    // The quick attempt is recorded while the slow one is still waiting for its answer: an order, not a time.
    await eventually(async () => {
      const row = await env.DB.prepare("SELECT status FROM deliveries WHERE id = ?").bind(deliveries[0].id).first<{ status: string }>();
      expect(row!.status).toBe("succeeded");
    });
    const slow = await env.DB.prepare("SELECT attempt_count, claimed_until FROM deliveries WHERE id = ?")
      .bind(deliveries[1].id)
      .first<{ attempt_count: number; claimed_until: number | null }>();
    expect(slow!.attempt_count).toBe(1);
    expect(slow!.claimed_until).not.toBeNull();
    await done;
    await getQueueResult(batch, ctx);
    const after = await env.DB.prepare("SELECT status, attempt_count FROM deliveries WHERE id = ?").bind(deliveries[1].id).first();
    expect(after).toEqual({ status: "succeeded", attempt_count: 2 });
  });
});

describe("connections", () => {
  it("a batch keeps at most six attempts' connections open, and an attempt's time-out starts with its request", async () => {
    // Eight receivers that each take 1 s, under a 1.5 s time-out: two must wait for a connection, then still succeed.
    const { deliveries, batch } = await dueAgain(Array.from({ length: 8 }, () => "slow/1000"));
    const slots = new ConnectionSlots();
    const outcomes = await attemptDeliveries(
      env,
      batch.messages.map((m) => m.body),
      slots,
    );
    expect(slots.peak).toBe(6);
    expect(outcomes.map((o) => o?.success)).toEqual(deliveries.map(() => true));
    const states = await env.DB.prepare(`SELECT status FROM deliveries WHERE id IN (${deliveries.map(() => "?").join(",")})`)
      .bind(...deliveries.map((d) => d.id))
      .all();
    expect(states.results.every((r) => r.status === "succeeded")).toBe(true);
  });

  it("a claim lasts for every turn of the batch and the record, so no sweep re-sends an attempt still waiting its turn", () => {
    const settings = { deliveryTimeoutMs: 30_000 } as Settings;
    // 50 attempts, 6 at a time: nine turns of a whole attempt each, before the record.
    expect(claimWindowMs(50, settings)).toBeGreaterThanOrEqual(9 * 30_000 + RECORD_MS);
    expect(claimWindowMs(6, settings)).toBeGreaterThanOrEqual(30_000 + RECORD_MS);
    expect(claimWindowMs(7, settings)).toBeGreaterThanOrEqual(2 * 30_000 + RECORD_MS);
  });
});

describe("when an attempt cannot be recorded", () => {
  it("the whole batch is retried by the queue, and the claim keeps a second request away until it expires", async () => {
    const { delivery, url } = await toggledDelivery("status/500");
    await makeDue(delivery.id);
    const original = env.DB.batch.bind(env.DB);
    let calls = 0;
    vi.spyOn(env.DB, "batch").mockImplementation(async (statements) => {
      if (++calls === 2) throw new Error("D1 unavailable");
      return original(statements);
    });
    const message = { delivery_id: delivery.id, attempt: 2 };
    const first = createMessageBatch<DeliveryMessage>("flagpost-deliveries", [{ id: "r1", timestamp: new Date(), attempts: 1, body: message }]);
    const ctx = createExecutionContext();
    await worker.queue(first, env, ctx);
    expect((await getQueueResult(first, ctx)).retryBatch.retry).toBe(true);
    vi.restoreAllMocks();
    const again = createMessageBatch<DeliveryMessage>("flagpost-deliveries", [{ id: "r2", timestamp: new Date(), attempts: 2, body: message }]);
    const ctx2 = createExecutionContext();
    await worker.queue(again, env, ctx2);
    await getQueueResult(again, ctx2);
    expect(await received(url)).toHaveLength(2);
  });
});

describe("the outbox", () => {
  it("a queue send that fails after the commit is repaired by the project's alarm", async () => {
    const { tenant, project } = await setup();
    const url = receiverUrl("ok");
    const hook = await newWebhook(tenant, project.id, { url, events: ["flag.created"] });
    const stub = env.PROJECTS.getByName(project.id);
    const send = await runInDurableObject(stub, (instance: ProjectDO) =>
      vi.spyOn((instance as unknown as { env: Env }).env.DELIVERIES, "sendBatch").mockRejectedValueOnce(new Error("queue unavailable")),
    );
    await newFlag(tenant, project.id);
    const [pending] = await eventually(async () => {
      const list = await deliveriesOf(tenant, project.id, hook.id);
      expect(list).toHaveLength(1);
      return list;
    });
    expect(send).toHaveBeenCalledTimes(1);
    expect(pending).toMatchObject({ status: "pending", attempt_count: 0 });
    expect(await received(url)).toHaveLength(0);
    const alarm = await runInDurableObject(stub, (_i, state) => state.storage.getAlarm());
    expect(alarm).not.toBeNull();
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    await eventually(async () => expect((await deliveriesOf(tenant, project.id, hook.id))[0]).toMatchObject({ status: "succeeded", attempt_count: 1 }));
    expect(await received(url)).toHaveLength(1);
  });
});
