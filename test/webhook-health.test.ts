// Webhook health and delivery control (contract v1.1): 429 with Retry-After, 410 Gone, the circuit
// breaker, auto-disable with its webhook.disabled notice, health, stats and recover.
import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { attemptDeliveries } from "../src/deliveries/consumer";
import type { DeliveryMessage } from "../src/deliveries/lifecycle";
import { replaceQueueSender } from "../src/deliveries/queue";
import { WebhookSchema, WebhookStatsSchema } from "../src/webhooks/schemas";
import { call, expectError, json, newFlag, patchState, setup, type Tenant } from "./helpers";
import { deliveriesOf, deliveryDetail, eventually, newWebhook, received, receiverUrl, webhookPath } from "./webhook-helpers";

type Hook = { id: string };

async function getWebhook(t: Tenant, projectId: string | null, hookId: string) {
  return WebhookSchema.parse(await json(call(webhookPath(projectId, hookId), { token: t.key }), 200));
}

/** Time passes for every due or scheduled delivery of the webhook (held ones stay held), then the clock rings. */
async function timePasses(projectId: string, hookId: string) {
  await env.DB.prepare("UPDATE deliveries SET next_attempt_at = ?, enqueued_at = NULL WHERE webhook_id = ? AND status = 'pending' AND held = 0")
    .bind(Date.now() - 1, hookId)
    .run();
  await runDurableObjectAlarm(env.PROJECTS.getByName(projectId));
}

async function toggles(t: Tenant, projectId: string, flagKey: string, n: number, from = false) {
  for (let i = 0; i < n; i++) expect((await patchState(t, projectId, flagKey, "production", { enabled: i % 2 === 0 ? !from : from })).status).toBe(200);
}

async function firstAttempted(t: Tenant, projectId: string, hookId: string, count = 1) {
  return eventually(async () => {
    const list = await deliveriesOf(t, projectId, hookId);
    expect(list.length).toBe(count);
    for (const d of list) expect(d.attempt_count).toBeGreaterThanOrEqual(1);
    return list;
  });
}

describe("429 with Retry-After", () => {
  it.each([
    ["seconds above the schedule", "120", 120],
    ["seconds below the schedule", "5", 60],
    ["an HTTP date", () => new Date(Date.now() + 2 * 3600_000).toUTCString(), 7200],
    ["a day, capped at 12 h", "86400", 43_200],
  ])("%s", async (_title, value, expectedSeconds) => {
    const { tenant, project } = await setup();
    const header = typeof value === "function" ? value() : value;
    const hook = await newWebhook(tenant, project.id, { url: receiverUrl(`retry-after/${encodeURIComponent(header)}`), events: ["flag.created"] });
    await newFlag(tenant, project.id);
    const [d] = await firstAttempted(tenant, project.id, hook.id);
    expect(d).toMatchObject({ status: "pending", last_status_code: 429 });
    expect(Math.abs((Date.parse(d.next_attempt_at!) - Date.now()) / 1000 - expectedSeconds)).toBeLessThan(5);
  });
});

describe("410 Gone", () => {
  it("fails the delivery at once, disables the webhook, and tells organization webhooks subscribed to webhook.disabled", async () => {
    const { tenant, project } = await setup();
    const watcherUrl = receiverUrl("ok");
    const watcher = await newWebhook(tenant, null, { url: watcherUrl, events: ["webhook.disabled"] });
    const unsubscribed = await newWebhook(tenant, null, { url: receiverUrl("ok"), events: ["flag.deleted"] });
    const hook = await newWebhook(tenant, project.id, { name: "Gone", url: receiverUrl("status/410"), events: ["flag.created"] });
    await newFlag(tenant, project.id);
    const [d] = await firstAttempted(tenant, project.id, hook.id);
    expect(d).toMatchObject({ status: "failed", attempt_count: 1, last_status_code: 410, next_attempt_at: null });
    const webhook = await getWebhook(tenant, project.id, hook.id);
    expect(webhook.enabled).toBe(false);
    expect(webhook.health).toMatchObject({ state: "disabled", disabled_reason: "gone" });
    expect(webhook.health.disabled_at).not.toBeNull();
    const notices = await eventually(async () => {
      await runDurableObjectAlarm(env.PROJECTS.getByName(project.id));
      const got = await received(watcherUrl);
      expect(got).toHaveLength(1);
      return got;
    });
    const body = JSON.parse(notices[0].body);
    expect(notices[0].headers["x-rollgate-event"]).toBe("webhook.disabled");
    expect(body).toMatchObject({ event: "webhook.disabled", reason: "gone", webhook: { id: hook.id, name: "Gone", scope: "project", project_id: project.id } });
    expect(await deliveriesOf(tenant, null, unsubscribed.id)).toHaveLength(0);
    expect((await deliveriesOf(tenant, null, watcher.id))[0]).toMatchObject({ event: "webhook.disabled", status: "succeeded" });
    // Enabled again by its owner, its health starts afresh.
    const enabled = WebhookSchema.parse(
      await json(call(webhookPath(project.id, hook.id), { token: tenant.key, method: "PATCH", body: { enabled: true } }), 200),
    );
    expect(enabled.health).toMatchObject({ state: "healthy", disabled_reason: null, consecutive_failures: 0 });
  });
});

describe("webhook.disabled notices", () => {
  it("reach the organization's webhooks and the project's own, each in its format, naming only the URL's origin", async () => {
    const { tenant, project } = await setup();
    const other = await json(call("/projects", { token: tenant.key, body: { key: `other-${crypto.randomUUID().slice(0, 6)}`, name: "Other" } }), 201);
    const orgUrl = receiverUrl("ok");
    const slackUrl = receiverUrl("ok");
    const tgglUrl = receiverUrl("ok");
    const elsewhereUrl = receiverUrl("ok");
    await newWebhook(tenant, null, { url: orgUrl, events: ["webhook.disabled"] });
    await newWebhook(tenant, project.id, { url: slackUrl, events: ["webhook.disabled"], format: "slack" });
    await newWebhook(tenant, project.id, { url: tgglUrl, events: ["webhook.disabled"], format: "tggl" });
    const elsewhere = await newWebhook(tenant, other.id, { url: elsewhereUrl, events: ["webhook.disabled"] });
    const goneUrl = receiverUrl("status/410");
    const hook = await newWebhook(tenant, project.id, { name: "Gone <@here>", url: `${goneUrl}?token=s3cret`, events: ["flag.created"] });
    await newFlag(tenant, project.id);
    await firstAttempted(tenant, project.id, hook.id);
    const origin = new URL(goneUrl).origin;
    const [org, slack, tggl] = await eventually(async () => {
      await runDurableObjectAlarm(env.PROJECTS.getByName(project.id));
      const got = await Promise.all([received(orgUrl), received(slackUrl), received(tgglUrl)]);
      for (const g of got) expect(g).toHaveLength(1);
      return got.map((g) => g[0]);
    });
    expect(JSON.parse(org.body)).toMatchObject({ event: "webhook.disabled", reason: "gone", webhook: { id: hook.id, scope: "project", origin } });
    for (const r of [org, slack, tggl]) {
      expect(r.body).not.toContain("s3cret");
      expect(r.body).not.toContain(new URL(goneUrl).pathname);
    }
    const slackBody = JSON.parse(slack.body);
    expect(Object.keys(slackBody).sort()).toEqual(["blocks", "text"]);
    expect(slackBody.text).toContain("410 Gone");
    expect(slackBody.text).not.toMatch(/<@here>|@here/);
    expect(Object.keys(JSON.parse(tggl.body)).sort()).toEqual(["changes", "codeLikeAfter", "codeLikeBefore", "flagSlug", "projectSlug", "userEmail"]);
    // A project webhook hears only of its own project's webhooks.
    expect(await deliveriesOf(tenant, other.id, elsewhere.id)).toHaveLength(0);
  });

  it("a sentry webhook may not subscribe to webhook.disabled", async () => {
    const { tenant, project } = await setup();
    await expectError(
      call(`/projects/${project.id}/webhooks`, {
        token: tenant.key,
        body: { name: "S", url: receiverUrl("ok"), format: "sentry", events: ["webhook.disabled"] },
      }),
      422,
      "unprocessable",
    );
    const sentry = await newWebhook(tenant, project.id, { url: receiverUrl("ok"), format: "sentry", events: ["flag.toggled"] });
    await expectError(
      call(webhookPath(project.id, sentry.id), { token: tenant.key, method: "PATCH", body: { events: ["flag.toggled", "webhook.disabled"] } }),
      422,
      "unprocessable",
    );
    const rollgate = await newWebhook(tenant, project.id, { url: receiverUrl("ok"), events: ["webhook.disabled"] });
    await expectError(call(webhookPath(project.id, rollgate.id), { token: tenant.key, method: "PATCH", body: { format: "sentry" } }), 422, "unprocessable");
  });
});

describe("auto-disable", () => {
  it("a webhook failing with no success for WEBHOOK_AUTO_DISABLE_SECONDS is disabled, and what it had waiting fails", async () => {
    const { tenant, project } = await setup();
    const hook = await newWebhook(tenant, project.id, { url: receiverUrl("status/500"), events: ["flag.created"] });
    await newFlag(tenant, project.id);
    await newFlag(tenant, project.id);
    await firstAttempted(tenant, project.id, hook.id, 2);
    expect((await getWebhook(tenant, project.id, hook.id)).health).toMatchObject({ state: "failing", consecutive_failures: 2 });
    // Five days and a minute of failures.
    await env.DB.prepare("UPDATE webhooks SET failing_since = ? WHERE id = ?")
      .bind(Date.now() - 432_060_000, hook.id)
      .run();
    const [one] = await deliveriesOf(tenant, project.id, hook.id);
    await env.DB.prepare("UPDATE deliveries SET next_attempt_at = ?, enqueued_at = NULL WHERE id = ?")
      .bind(Date.now() - 1, one.id)
      .run();
    await runDurableObjectAlarm(env.PROJECTS.getByName(project.id));
    const after = await eventually(async () => {
      const list = await deliveriesOf(tenant, project.id, hook.id);
      expect(list.every((d) => d.status === "failed")).toBe(true);
      return list;
    });
    const other = after.find((d) => d.id !== one.id)!;
    expect(other).toMatchObject({ attempt_count: 1 });
    expect((await deliveryDetail(tenant, project.id, hook.id, other.id)).error).toBe("webhook disabled");
    expect((await getWebhook(tenant, project.id, hook.id)).health).toMatchObject({ state: "disabled", disabled_reason: "failing" });
    // A disabled webhook gets no new deliveries.
    await newFlag(tenant, project.id);
    expect(await deliveriesOf(tenant, project.id, hook.id)).toHaveLength(2);
  });
});

describe("the circuit breaker", () => {
  it("opens after 5 failures in a row, holds the rest without attempts, probes one at a time, then drains oldest first", async () => {
    const { tenant, project } = await setup();
    const url = receiverUrl("down");
    const hook: Hook = await newWebhook(tenant, project.id, { url, events: ["flag.toggled"] });
    const flag = await newFlag(tenant, project.id);
    await toggles(tenant, project.id, flag.key, 5);
    await firstAttempted(tenant, project.id, hook.id, 5);
    expect((await getWebhook(tenant, project.id, hook.id)).health).toMatchObject({ state: "circuit_open", consecutive_failures: 5 });
    // Open: new deliveries wait, with no attempt.
    await toggles(tenant, project.id, flag.key, 3, true);
    const waiting = (await deliveriesOf(tenant, project.id, hook.id)).filter((d) => d.attempt_count === 0);
    expect(waiting).toHaveLength(3);
    for (const d of waiting) expect(d).toMatchObject({ status: "pending", next_attempt_at: null });
    // Due again: one probe is attempted; the other four are held, not attempted. Every message the ring
    // sends is held back and attempted here, awaited, so what the receiver got is all it will ever get.
    const sent: DeliveryMessage[] = [];
    replaceQueueSender(async (_queue, messages) => void sent.push(...messages.map((m) => m.body)));
    try {
      await timePasses(project.id, hook.id);
    } finally {
      replaceQueueSender(null);
    }
    expect(sent.length).toBeGreaterThan(0);
    await attemptDeliveries(env, sent);
    expect(await received(url)).toHaveLength(6);
    const counts = (await deliveriesOf(tenant, project.id, hook.id)).map((d) => d.attempt_count).sort();
    expect(counts).toEqual([0, 0, 0, 1, 1, 1, 1, 2]);
    // The endpoint comes back: the next probe succeeds and everything that waited follows, oldest first, one at a time.
    await fetch(`${env.RECEIVER_URL}/_up?path=${encodeURIComponent(new URL(url).pathname)}`);
    await eventually(async () => {
      await timePasses(project.id, hook.id);
      const list = await deliveriesOf(tenant, project.id, hook.id);
      expect(list.every((d) => d.status === "succeeded")).toBe(true);
    }, 15_000);
    const all = (await deliveriesOf(tenant, project.id, hook.id)).reverse(); // oldest first
    const got = await received(url);
    const successes = got.slice(6).map((r) => r.headers["x-rollgate-delivery"]);
    expect(new Set(successes).size).toBe(successes.length);
    const probe = successes[0];
    expect(successes.slice(1)).toEqual(all.map((d) => d.id).filter((id) => id !== probe));
    expect((await getWebhook(tenant, project.id, hook.id)).health).toMatchObject({ state: "healthy", consecutive_failures: 0 });
    const byId = new Map(all.map((d) => [d.id, d]));
    expect(byId.get(probe)!.attempt_count).toBe(3);
  });
});

describe("stats", () => {
  it("counts the window's attempts, successes, failures and latency", async () => {
    const { tenant, project } = await setup();
    const hook = await newWebhook(tenant, project.id, { url: receiverUrl("fail/1"), events: ["flag.created"] });
    await newFlag(tenant, project.id);
    await newFlag(tenant, project.id);
    await firstAttempted(tenant, project.id, hook.id, 2);
    const stats = WebhookStatsSchema.parse(await json(call(`${webhookPath(project.id, hook.id)}/stats?window=1h`, { token: tenant.key }), 200));
    expect(stats).toMatchObject({ window: "1h", attempts: 2, succeeded: 1, failed: 1, success_rate: 0.5 });
    expect(stats.latency_ms.p50).not.toBeNull();
    expect(stats.last_success_at).not.toBeNull();
    expect(stats.last_failure_at).not.toBeNull();
    const empty = await json(call(`${webhookPath(project.id, hook.id)}/stats?window=7d`, { token: (await setup()).tenant.key }));
    expect(empty.error.code).toBe("not_found");
    await expectError(call(`${webhookPath(project.id, hook.id)}/stats?window=2h`, { token: tenant.key }), 400, "validation_failed");
  });
});

describe("recover", () => {
  it("gives every failed delivery since a moment one more attempt, and counts them", async () => {
    const { tenant, project } = await setup();
    const url = receiverUrl("fail/1");
    const hook = await newWebhook(tenant, project.id, { url, events: ["flag.created"] });
    const since = new Date().toISOString();
    await newFlag(tenant, project.id);
    const [d] = await firstAttempted(tenant, project.id, hook.id);
    // Its schedule ended: it is failed.
    await env.DB.prepare("UPDATE deliveries SET status = 'failed', next_attempt_at = NULL, completed_at = ? WHERE id = ?").bind(Date.now(), d.id).run();
    const before = await json(
      call(`${webhookPath(project.id, hook.id)}/recover`, { token: tenant.key, body: { since: new Date(Date.now() + 60_000).toISOString() } }),
      202,
    );
    expect(before).toEqual({ deliveries: 0, more: false });
    expect(await json(call(`${webhookPath(project.id, hook.id)}/recover`, { token: tenant.key, body: { since } }), 202)).toEqual({
      deliveries: 1,
      more: false,
    });
    await eventually(async () => expect((await deliveriesOf(tenant, project.id, hook.id))[0]).toMatchObject({ status: "succeeded", attempt_count: 2 }));
    await expectError(call(`${webhookPath(project.id, hook.id)}/recover`, { token: tenant.key, body: { since: "yesterday" } }), 400, "validation_failed");
  });
});

describe("recover, bounded", () => {
  it("brings back at most 1,000 a call, oldest first, and says when more are left", async () => {
    const { tenant, project } = await setup();
    const hook = await newWebhook(tenant, project.id, { url: receiverUrl("ok"), events: ["flag.created"] });
    await newFlag(tenant, project.id);
    await firstAttempted(tenant, project.id, hook.id);
    // 1,050 deliveries that failed with no attempt (as disabling leaves them), of the change's event.
    await env.DB.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1050)
       INSERT INTO deliveries (id, webhook_id, org_id, project_id, event_id, event, format, status, attempt_count, final, created_at, completed_at, error)
       SELECT lower(hex(randomblob(16))), d.webhook_id, d.org_id, d.project_id, d.event_id, d.event, d.format, 'failed', 0, 0, ?2, ?2, 'webhook disabled'
       FROM n, deliveries d WHERE d.webhook_id = ?1`,
    )
      .bind(hook.id, Date.now())
      .run();
    const sent: DeliveryMessage[] = [];
    replaceQueueSender(async (_queue, messages) => void sent.push(...messages.map((m) => m.body)));
    try {
      const path = `${webhookPath(project.id, hook.id)}/recover`;
      const since = new Date(Date.now() - 60_000).toISOString();
      expect(await json(call(path, { token: tenant.key, body: { since } }), 202)).toEqual({ deliveries: 1000, more: true });
      const { results } = await env.DB.prepare("SELECT seq, status FROM deliveries WHERE webhook_id = ? AND attempt_count = 0 ORDER BY seq")
        .bind(hook.id)
        .all<{ seq: number; status: string }>();
      expect(results.slice(0, 1000).every((r) => r.status === "pending")).toBe(true);
      expect(results.slice(1000).every((r) => r.status === "failed")).toBe(true);
      expect(new Set(sent.map((m) => m.delivery_id)).size).toBe(1000);
      expect(await json(call(path, { token: tenant.key, body: { since } }), 202)).toEqual({ deliveries: 50, more: false });
    } finally {
      replaceQueueSender(null);
    }
  });
});

describe("the OpenAPI document", () => {
  it("describes stats and recover, in both scopes, each with an operationId, a summary and a tag", async () => {
    const doc = await json(call("/openapi.json"), 200);
    for (const prefix of ["/projects/{projectId}/webhooks/{webhookId}", "/webhooks/{webhookId}"]) {
      for (const [path, method] of [
        [`${prefix}/stats`, "get"],
        [`${prefix}/recover`, "post"],
      ] as const) {
        const op = doc.paths[path]?.[method];
        expect(op, `${method} ${path}`).toBeDefined();
        expect(op.operationId).toMatch(/^(getProjectWebhookStats|getOrgWebhookStats|recoverProjectWebhookDeliveries|recoverOrgWebhookDeliveries)$/);
        expect(op.summary).toBeTruthy();
        expect(op.tags?.length).toBeGreaterThan(0);
      }
    }
    expect(doc.components.schemas.Webhook.properties.health).toBeDefined();
  });
});
