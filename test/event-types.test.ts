// GET /event-types: every event a webhook can receive, with a sample body per format that is rendered
// by the delivery renderers — so a sample has the very shape a real delivery has.
import { describe, expect, it } from "vitest";
import { SentryBodySchema } from "../src/outbound/formats/sentry";
import { EventTypeListSchema } from "../src/webhooks/receiver-schemas";
import { WEBHOOK_EVENTS } from "../src/webhooks/schemas";
import { call, expectError, json, newFlag, patchState, setup } from "./helpers";
import { eventually, newWebhook, received, receiverUrl } from "./webhook-helpers";
import { WEBHOOK_FORMATS } from "../src/outbound/bodies";
import { RollgateBodySchema } from "../src/outbound/bodies";
import { TgglBodySchema } from "../src/outbound/bodies";

/** The shape of a JSON value: its keys at every level, not its values. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.length ? [shape(value[0])] : [];
  if (value !== null && typeof value === "object")
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, k === "changes" ? "…" : shape((value as Record<string, unknown>)[k])]),
    );
  return typeof value;
}

describe("GET /event-types", () => {
  it("lists every event, each with a description and a sample in every format", async () => {
    const { tenant } = await setup();
    const list = EventTypeListSchema.parse(await json(call("/event-types", { token: tenant.key }), 200));
    expect(list.next_cursor).toBeNull();
    // Generated from the list that validates a webhook's `events`, in its order, then the test call's.
    expect(list.data.map((e) => e.event)).toEqual([...WEBHOOK_EVENTS, "webhook.test"]);
    expect(list.data.map((e) => e.event)).toContain("webhook.disabled");
    const notices = new Set(["webhook.disabled", "change_request.opened", "change_request.approved"]);
    for (const entry of list.data.filter((e) => !notices.has(e.event))) {
      expect(entry.description.length).toBeGreaterThan(10);
      expect(Object.keys(entry.samples).sort()).toEqual([...WEBHOOK_FORMATS].sort());
      const rollgate = RollgateBodySchema.parse(entry.samples.rollgate);
      expect(rollgate.event).toBe(entry.event);
      // webhook.test names a sample environment, but no filter narrows it.
      expect(entry.environment_scoped).toBe(entry.event !== "webhook.test" && rollgate.environment !== null);
      TgglBodySchema.parse(entry.samples.tggl);
      const sentry = SentryBodySchema.parse(entry.samples.sentry);
      expect(sentry.data[0].flag).toBe(rollgate.flag.key);
      const slack = entry.samples.slack as { text: string; blocks: { type: string }[] };
      expect(slack.blocks.map((b) => b.type)).toEqual(["section", "context"]);
      expect(slack.text).toContain(rollgate.flag.key);
    }
    const byEvent = Object.fromEntries(list.data.map((e) => [e.event, e]));
    expect((byEvent["flag_state.updated"].samples.slack as { text: string }).text).toBe(
      "dev@acme.\u2060test changed *new-checkout* in *production* (Web): rule *Beta testers* added, rollout 20% → 50%",
    );
    expect(SentryBodySchema.parse(byEvent["flag.deleted"].samples.sentry).data[0].action).toBe("deleted");
    // webhook.disabled: every format but sentry (which may not subscribe), naming only the URL's origin.
    const notice = byEvent["webhook.disabled"];
    expect(Object.keys(notice.samples).sort()).toEqual(["rollgate", "slack", "tggl"]);
    expect(notice.samples.rollgate).toMatchObject({
      event: "webhook.disabled",
      reason: "gone",
      webhook: { scope: "project", origin: "https://hooks.example.com" },
    });
    expect(JSON.stringify(notice.samples)).not.toContain("secret-path");
    // Change request notices: rollgate and slack only, environment-scoped, with the code-like text.
    for (const event of ["change_request.opened", "change_request.approved"]) {
      const entry = byEvent[event];
      expect(Object.keys(entry.samples).sort()).toEqual(["rollgate", "slack"]);
      expect(entry.environment_scoped).toBe(true);
      expect(entry.samples.rollgate).toMatchObject({
        event,
        flag: { key: "new-checkout" },
        environment: { key: "production" },
        proposed_by: { email: "dev@acme.test" },
      });
      expect((entry.samples.slack as { blocks: { type: string }[] }).blocks.map((b) => b.type)).toEqual(["section", "context"]);
    }
    expect(Object.keys(TgglBodySchema.parse(notice.samples.tggl)).sort()).toEqual([
      "changes",
      "codeLikeAfter",
      "codeLikeBefore",
      "flagSlug",
      "projectSlug",
      "userEmail",
    ]);
    expect((notice.samples.slack as { text: string }).text).toContain("410 Gone");
  });

  it("has samples shaped exactly like real deliveries of each format", async () => {
    const { tenant, project } = await setup();
    const urls = Object.fromEntries(WEBHOOK_FORMATS.map((format) => [format, receiverUrl("ok")]));
    for (const format of WEBHOOK_FORMATS) await newWebhook(tenant, project.id, { url: urls[format], format, events: ["flag.toggled"], secret: "s" });
    const flag = await newFlag(tenant, project.id);
    expect((await patchState(tenant, project.id, flag.key, "production", { enabled: true })).status).toBe(200);
    const catalog = EventTypeListSchema.parse(await json(call("/event-types", { token: tenant.key }), 200));
    const toggled = catalog.data.find((e) => e.event === "flag.toggled")!;
    for (const format of WEBHOOK_FORMATS) {
      const [real] = await eventually(async () => {
        const seen = await received(urls[format]);
        expect(seen).toHaveLength(1);
        return seen;
      });
      expect(shape(JSON.parse(real.body))).toEqual(shape(toggled.samples[format]));
    }
  });

  it("needs an API key", async () => {
    await expectError(call("/event-types"), 401, "unauthorized");
  });
});
