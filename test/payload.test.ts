import { describe, expect, it } from "vitest";
import type { ChangeEvent, RollgateEvent } from "../src/flags/model";
import { SAMPLE_FLAG, buildRollgateBody, renderEventBody, renderRollgateBody, renderTestBody, renderTgglBody } from "../src/outbound/payload";
import type { EventContext } from "../src/outbound/bodies";
import { RollgateBodySchema } from "../src/outbound/bodies";
import { TgglBodySchema } from "../src/outbound/bodies";

const production = { id: "7c6f0f4e-2a53-4c4f-9b0e-3f0f8e1d2c01", key: "production", name: "production" };

const ctx: EventContext = {
  eventId: "3d9c5a10-6b7e-4f21-8a4d-2c1b0e9f8a77",
  timestamp: "2026-01-25T12:00:00Z",
  flag: { id: "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d", key: "new-checkout", name: "New Checkout Flow" },
  project: { id: "0f1e2d3c-4b5a-4968-8776-5a4b3c2d1e0f", key: "web", name: "Web" },
  actor: { id: "9e8d7c6b-5a49-4837-a625-14f3e2d1c0b9", email: "dev@example.com" },
};

const live = { id: "11111111-1111-4111-8111-111111111111", name: "Live", description: "", color: "#0a0", active: true, value: true, order: 0 };

const events: Record<RollgateEvent, ChangeEvent> = {
  "flag.created": {
    event: "flag.created",
    environment: null,
    enabled: false,
    changes: [{ __typename: "FlagCreated", created: true }],
    code_like_before: "",
    code_like_after: "Off (inactive)",
  },
  "flag.updated": {
    event: "flag.updated",
    environment: null,
    enabled: true,
    changes: [
      { __typename: "FlagNameChanged", oldName: "Checkout", newName: "New Checkout Flow" },
      { __typename: "FlagTagsChanged", oldTags: [], newTags: ["beta"], addedTags: ["beta"], removedTags: [] },
    ],
    code_like_before: "Live (value: true)",
    code_like_after: "Live (value: true)",
  },
  "flag.deleted": {
    event: "flag.deleted",
    environment: null,
    enabled: false,
    changes: [{ __typename: "FlagArchived", oldArchived: false, newArchived: true }],
    code_like_before: "Off (inactive)",
    code_like_after: "",
  },
  "flag.toggled": {
    event: "flag.toggled",
    environment: production,
    enabled: true,
    changes: [{ __typename: "FlagActivated", oldActive: false, newActive: true }],
    code_like_before: "Off (inactive)",
    code_like_after: "Live (value: true)",
  },
  "flag_state.updated": {
    event: "flag_state.updated",
    environment: production,
    enabled: true,
    changes: [
      { __typename: "FlagDefaultVariationChanged", oldVariation: { ...live, name: "Off" }, newVariation: live },
      {
        __typename: "FlagConditionCreated",
        condition: { id: "c1", variation: live, rules: {}, codeLike: "20% OF userId (0% TO 20%)" },
      },
    ],
    code_like_before: "Live (value: true)",
    code_like_after: "IF\n  20% OF userId (0% TO 20%)\nTHEN\n  Live (value: true)\nELSE\n  Live (value: true)",
  },
};

const ROLLGATE_KEYS = ["id", "event", "timestamp", "flag", "environment", "triggered_by", "project", "changes", "code_like_before", "code_like_after"];
const TGGL_KEYS = ["flagSlug", "userEmail", "projectSlug", "codeLikeBefore", "codeLikeAfter", "changes"];
const FLAG_LEVEL: RollgateEvent[] = ["flag.created", "flag.updated", "flag.deleted"];
const cases = Object.values(events).map((ev) => [ev.event, ev] as const);

describe("rollgate body", () => {
  it.each(cases)("%s: the contract's keys, in order, and the schema accepts it", (name, ev) => {
    const text = renderRollgateBody(ev, ctx);
    const body = JSON.parse(text);
    expect(Object.keys(body)).toEqual(ROLLGATE_KEYS);
    expect(Object.keys(body.flag)).toEqual(["id", "key", "name", "enabled"]);
    expect(Object.keys(body.triggered_by)).toEqual(["id", "email"]);
    expect(Object.keys(body.project)).toEqual(["id", "key", "name"]);
    expect(RollgateBodySchema.parse(body)).toEqual(body);
    expect(body).toMatchObject({
      id: ctx.eventId,
      event: name,
      timestamp: "2026-01-25T12:00:00Z",
      flag: { ...ctx.flag, enabled: ev.enabled },
      triggered_by: ctx.actor,
      project: ctx.project,
      changes: ev.changes,
      code_like_before: ev.code_like_before,
      code_like_after: ev.code_like_after,
    });
  });

  it.each(cases)("%s: environment is null exactly for flag-level events", (name, ev) => {
    const body = JSON.parse(renderRollgateBody(ev, ctx));
    if (FLAG_LEVEL.includes(name)) expect(body.environment).toBeNull();
    else expect(body.environment).toEqual(production);
  });

  it("keeps environment null for a flag-level event even when one was rendered", () => {
    const body = buildRollgateBody({ ...events["flag.updated"], environment: production }, ctx);
    expect(body.environment).toBeNull();
  });

  it("renders the contract's published flag.toggled example", () => {
    const text = renderRollgateBody({ ...events["flag.toggled"], code_like_before: "…", code_like_after: "…" }, ctx);
    expect(JSON.parse(text)).toEqual({
      id: ctx.eventId,
      event: "flag.toggled",
      timestamp: "2026-01-25T12:00:00Z",
      flag: { id: ctx.flag.id, key: "new-checkout", name: "New Checkout Flow", enabled: true },
      environment: { id: production.id, key: "production", name: "production" },
      triggered_by: { id: ctx.actor.id, email: "dev@example.com" },
      project: { id: ctx.project.id, key: "web", name: "Web" },
      changes: [{ __typename: "FlagActivated", oldActive: false, newActive: true }],
      code_like_before: "…",
      code_like_after: "…",
    });
  });

  it("carries only the reference fields of the context objects", () => {
    const wide = { ...ctx, project: { ...ctx.project, environments: [] } as EventContext["project"] };
    const body = JSON.parse(renderRollgateBody(events["flag.toggled"], wide));
    expect(Object.keys(body.project)).toEqual(["id", "key", "name"]);
  });

  it("the schema refuses an extra key or a timestamp without Z", () => {
    const body = JSON.parse(renderRollgateBody(events["flag.toggled"], ctx));
    expect(RollgateBodySchema.safeParse({ ...body, extra: 1 }).success).toBe(false);
    expect(RollgateBodySchema.safeParse({ ...body, timestamp: "2026-01-25T12:00:00+01:00" }).success).toBe(false);
  });
});

describe("tggl body", () => {
  it.each(cases)("%s: exactly the six keys, in order, and the strict schema accepts it", (_, ev) => {
    const body = JSON.parse(renderTgglBody(ev, ctx));
    expect(Object.keys(body)).toEqual(TGGL_KEYS);
    expect(TgglBodySchema.parse(body)).toEqual(body);
    expect(body).toEqual({
      flagSlug: "new-checkout",
      userEmail: "dev@example.com",
      projectSlug: "web",
      codeLikeBefore: ev.code_like_before,
      codeLikeAfter: ev.code_like_after,
      changes: ev.changes,
    });
  });

  it("the strict schema refuses a seventh key", () => {
    const body = JSON.parse(renderTgglBody(events["flag.toggled"], ctx));
    expect(TgglBodySchema.safeParse({ ...body, event: "flag.toggled" }).success).toBe(false);
  });
});

describe("rendering once", () => {
  it.each(cases)("%s: renders the same bytes every time, with unicode kept as is", (_, ev) => {
    const unicode = { ...ctx, flag: { ...ctx.flag, name: "Caisse ✓ — 新しい" } };
    for (const format of ["rollgate", "tggl"] as const) {
      const text = renderEventBody(format, ev, unicode);
      expect(renderEventBody(format, ev, unicode)).toBe(text);
      expect(JSON.stringify(JSON.parse(text))).toBe(text);
    }
    expect(renderEventBody("rollgate", ev, unicode)).toContain("Caisse ✓ — 新しい");
  });

  it("dispatches on the format", () => {
    const ev = events["flag.toggled"];
    expect(renderEventBody("rollgate", ev, ctx)).toBe(renderRollgateBody(ev, ctx));
    expect(renderEventBody("tggl", ev, ctx)).toBe(renderTgglBody(ev, ctx));
  });
});

describe("webhook.test body", () => {
  const test = { eventId: ctx.eventId, timestamp: ctx.timestamp, project: ctx.project, actor: ctx.actor };

  it("rollgate: event webhook.test, a clearly sample flag, the real project and actor", () => {
    const body = RollgateBodySchema.parse(JSON.parse(renderTestBody("rollgate", test)));
    expect(Object.keys(body)).toEqual(ROLLGATE_KEYS);
    expect(body.event).toBe("webhook.test");
    expect(body.flag).toEqual({ ...SAMPLE_FLAG, enabled: true });
    expect(body.flag.name).toMatch(/sample/i);
    expect(body.project).toEqual(ctx.project);
    expect(body.triggered_by).toEqual(ctx.actor);
    expect(body.environment).toMatchObject({ key: "production" });
    expect(body.changes).toEqual([{ __typename: "FlagActivated", oldActive: false, newActive: true }]);
  });

  it("rollgate: an organization webhook gets a sample project", () => {
    const body = RollgateBodySchema.parse(JSON.parse(renderTestBody("rollgate", { ...test, project: null })));
    expect(body.project.name).toMatch(/sample/i);
  });

  it("tggl: exactly the six keys, with the sample flag", () => {
    const body = TgglBodySchema.parse(JSON.parse(renderTestBody("tggl", test)));
    expect(Object.keys(body)).toEqual(TGGL_KEYS);
    expect(body.flagSlug).toBe(SAMPLE_FLAG.key);
    expect(body.userEmail).toBe("dev@example.com");
    expect(body.projectSlug).toBe("web");
    expect(body.codeLikeAfter).toBe("Live (value: true)");
  });
});
