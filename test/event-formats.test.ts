// A change renders only the body formats its matching webhooks use; a format it did not render is
// rendered from the rollgate body, to the same bytes, the first time a delivery needs it, and a body
// that cannot be rendered fails the attempt: a delivery never sends an empty body.
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../src/index";
import type { ChangeEvent } from "../src/flags/model";
import { formatsFor, readRoutes } from "../src/outbound/formats-in-use";
import { renderEventBodies, renderFromRollgate } from "../src/outbound/payload";
import type { DeliveryMessage } from "../src/deliveries/lifecycle";
import { newFlag, patchState, setup } from "./helpers";
import { deliveriesOf, deliveryDetail, eventually, makeDue, newWebhook, received, receiverUrl } from "./webhook-helpers";
import { WEBHOOK_FORMATS } from "../src/outbound/bodies";
import type { WebhookFormat } from "../src/outbound/bodies";
import type { EventContext } from "../src/outbound/bodies";
import type { RollgateBody } from "../src/outbound/bodies";
import { TgglBodySchema } from "../src/outbound/bodies";

afterEach(() => vi.restoreAllMocks());

describe("formats an event needs", () => {
  const routes = readRoutes([
    { format: "rollgate", events: '["flag.toggled"]', environments: null },
    { format: "tggl", events: '["flag.toggled","flag.created"]', environments: '["production"]' },
    { format: "slack", events: '["flag_state.updated"]', environments: null },
  ]);
  it.each([
    ["flag.toggled", "production", ["rollgate", "tggl"]],
    ["flag.toggled", "development", ["rollgate"]],
    ["flag.created", null, ["tggl"]],
    ["flag_state.updated", "development", ["slack"]],
    ["flag.deleted", null, []],
  ] as const)("%s in %s: %j", (event, envKey, formats) => {
    expect([...formatsFor(routes, event, envKey)!].sort()).toEqual([...formats].sort());
  });
  it("all of them when the webhooks are not known yet", () => {
    expect(formatsFor(null, "flag.toggled", "production")).toBeNull();
  });
});

describe("a body rendered later is the body the change would have rendered", () => {
  const ctx: EventContext = {
    eventId: "3d9c5a10-6b7e-4f21-8a4d-2c1b0e9f8a77",
    timestamp: "2026-01-25T12:00:00.000Z",
    flag: { id: "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d", key: "nëw-chéckout", name: 'The "new" checkout </script> 🚀' },
    project: { id: "0f1e2d3c-4b5a-4968-8776-5a4b3c2d1e0f", key: "web", name: "Wéb\u2028line" },
    actor: { id: "9e8d7c6b-5a49-4837-a625-14f3e2d1c0b9", email: "dév@example.com" },
    revision: 42,
  };
  const events: ChangeEvent[] = [
    {
      event: "flag.toggled",
      environment: { id: "7c6f0f4e-2a53-4c4f-9b0e-3f0f8e1d2c01", key: "production", name: "production" },
      enabled: true,
      changes: [{ __typename: "FlagActivated", oldActive: false, newActive: true }],
      code_like_before: "Off",
      code_like_after: 'Live (value: {"10": 1, "a": [1e21, -0]})',
    },
    {
      event: "flag.created",
      environment: null,
      enabled: false,
      changes: [{ __typename: "FlagCreated", created: true }],
      code_like_before: "",
      code_like_after: "Off (inactive)",
    },
  ];
  it.each(events.map((e) => [e.event, e] as const))("%s, every format", (_name, event) => {
    const all = renderEventBodies(event, ctx);
    const stored = JSON.parse(all.rollgateBody) as RollgateBody;
    expect(renderFromRollgate("rollgate", stored)).toBe(all.rollgateBody);
    expect(renderFromRollgate("tggl", stored)).toBe(all.tgglBody);
    expect(renderFromRollgate("slack", stored)).toBe(all.slackBody);
    expect(renderFromRollgate("sentry", stored)).toBe(all.sentryBody);
  });
  it("leaves out the formats not asked for, never the rollgate body", () => {
    const some = renderEventBodies(events[0], ctx, new Set<WebhookFormat>(["slack"]));
    expect(some).toMatchObject({ tgglBody: "", sentryBody: null });
    expect(JSON.parse(some.rollgateBody)).toMatchObject({ id: ctx.eventId });
    expect(some.slackBody).toBe(renderEventBodies(events[0], ctx).slackBody);
  });
});

async function eventRow(projectId: string, revision: number) {
  return env.DB.prepare("SELECT id, rollgate_body, tggl_body, slack_body, sentry_body FROM events WHERE project_id = ? AND revision = ?")
    .bind(projectId, revision)
    .first<{ id: string; rollgate_body: string; tggl_body: string; slack_body: string | null; sentry_body: string | null }>();
}

describe("per-format rendering in the writer", () => {
  it("renders only what the webhooks use, and a webhook added since still gets its exact body", async () => {
    const { tenant, project } = await setup();
    await newWebhook(tenant, project.id, { url: receiverUrl("ok"), events: ["flag.toggled"] });
    const flag = await newFlag(tenant, project.id); // revision 1: the writer knew no webhooks yet, so all formats
    expect(await eventRow(project.id, 1)).toMatchObject({ tggl_body: expect.stringContaining("flagSlug"), slack_body: expect.any(String) });
    await patchState(tenant, project.id, flag.key, "production", { enabled: true }); // revision 2: rollgate only
    expect(await eventRow(project.id, 2)).toMatchObject({ tggl_body: "", slack_body: null, sentry_body: null });

    const tgglUrl = receiverUrl("ok");
    const slackUrl = receiverUrl("ok");
    await newWebhook(tenant, project.id, { url: tgglUrl, events: ["flag.toggled"], format: "tggl" });
    await newWebhook(tenant, project.id, { url: slackUrl, events: ["flag.toggled"], format: "slack" });
    await patchState(tenant, project.id, flag.key, "production", { enabled: false }); // revision 3: rendered before the writer saw them
    const [tggl] = await eventually(async () => {
      const got = await received(tgglUrl);
      expect(got).toHaveLength(1);
      expect(await received(slackUrl)).toHaveLength(1);
      return got;
    });
    const third = (await eventRow(project.id, 3))!;
    const rollgate = JSON.parse(third.rollgate_body) as RollgateBody;
    expect(tggl.body).toBe(renderFromRollgate("tggl", rollgate));
    expect(TgglBodySchema.parse(JSON.parse(tggl.body))).toMatchObject({ flagSlug: flag.key });
    expect((await received(slackUrl))[0].body).toBe(renderFromRollgate("slack", rollgate));
    // Stored on the event, so the next attempt and the log send and show these bytes.
    expect(third).toMatchObject({ tggl_body: tggl.body, slack_body: renderFromRollgate("slack", rollgate), sentry_body: null });

    await patchState(tenant, project.id, flag.key, "production", { enabled: true }); // revision 4: now rendered at commit
    expect(await eventRow(project.id, 4)).toMatchObject({ tggl_body: expect.stringContaining("flagSlug"), slack_body: expect.any(String), sentry_body: null });
  });

  it("fails the attempt, sending nothing, when the body is missing and cannot be rendered", async () => {
    const { tenant, project } = await setup();
    const url = receiverUrl("status/500");
    const hook = await newWebhook(tenant, project.id, { url, events: ["flag.toggled"], format: "tggl" });
    const flag = await newFlag(tenant, project.id);
    await patchState(tenant, project.id, flag.key, "production", { enabled: true });
    const [delivery] = await eventually(async () => {
      const list = await deliveriesOf(tenant, project.id, hook.id);
      expect(list[0]?.attempt_count).toBe(1);
      return list;
    });
    // The event lost its tggl body and its rollgate body is unreadable: nothing to send.
    await env.DB.prepare("UPDATE events SET tggl_body = '', rollgate_body = '{not json' WHERE project_id = ? AND event = 'flag.toggled'")
      .bind(project.id)
      .run();
    await makeDue(delivery.id);
    const batch = createMessageBatch<DeliveryMessage>("flagpost-deliveries", [
      { id: "m", timestamp: new Date(), attempts: 1, body: { delivery_id: delivery.id, attempt: 2 } },
    ]);
    const ctx = createExecutionContext();
    vi.spyOn(console, "error").mockImplementation(() => {});
    await worker.queue(batch, env, ctx);
    await getQueueResult(batch, ctx);
    expect(await received(url)).toHaveLength(1);
    const detail = await deliveryDetail(tenant, project.id, hook.id, delivery.id);
    expect(detail.attempts).toHaveLength(2);
    expect(detail.attempts[1]).toMatchObject({ response: null, error: expect.stringMatching(/body is missing/) });
  });
});

// Keeps the list of formats this test covers in step with the product's.
it("covers every format", () => expect([...WEBHOOK_FORMATS].sort()).toEqual(["rollgate", "sentry", "slack", "tggl"]));
