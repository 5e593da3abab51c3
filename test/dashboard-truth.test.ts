// The dashboard tells the truth: the effective reach of a state (what each condition and the rollout
// really serve over the sample users) wherever a percentage is shown, and its warning for the case of
// a 0–50 % condition followed by a 30 % rollout.
import { describe, expect, it } from "vitest";
import type { Delivery } from "../src/dashboard/shell/resources";
import { deliveryState } from "../src/dashboard/webhooks/delivery-state";
import { redeliverWords } from "../src/dashboard/webhooks/redeliver-form";
import { dash, signIn } from "./dashboard-client";
import { call, json, newFlag, patchState, setup } from "./helpers";

async function halfThenThirty() {
  const { tenant, project } = await setup();
  const flag = await newFlag(tenant, project.id);
  const [live, off] = flag.variations;
  const body = {
    version: flag.environments.development.version,
    enabled: true,
    rollout_percentage: 30,
    rollout_variation_id: live.id,
    default_variation_id: off.id,
    conditions: [{ name: "Half", variation_id: off.id, rules: [{ property: "userId", operator: "PERCENTAGE", range_start: 0, range_end: 50 }] }],
  };
  await json(patchState(tenant, project.id, flag.key, "development", body), 200);
  const session = await signIn(tenant);
  return { tenant, project, flag, ...session, live, off };
}

const text = (html: string) =>
  html
    .replace(/<[^>]+>/g, " ")
    .replace(/&quot;/g, '"')
    .replace(/\s+/g, " ");

describe("effective reach", () => {
  it("the flags list warns that the 30% rollout serves 0 of 1,000 sample users", async () => {
    const f = await halfThenThirty();
    const page = text(await (await dash(`/dashboard/projects/${f.project.id}`, { cookie: f.cookie })).text());
    expect(page).toMatch(/⚠ The 30% rollout serves 0 of 1,000 sample users, not about \d+/);
  });

  it("the flag page and the targeting editor say what each branch really serves, with the warning", async () => {
    const f = await halfThenThirty();
    for (const path of [`/flags/${f.flag.key}`, `/flags/${f.flag.key}/targeting/development`]) {
      const page = text(await (await dash(`/dashboard/projects/${f.project.id}${path}`, { cookie: f.cookie })).text());
      expect(page).toContain("Reaches fewer users than it says.");
      expect(page).toMatch(/The 30% rollout serves 0 of 1,000 sample users, not about \d+: "Half" before it buckets userId with the same seed/);
      expect(page).toMatch(/Condition 1 "Half" → Off: \d{3} of 1,000 sample users/);
      expect(page).toMatch(/Rollout → Live: 0 of 1,000 sample users \(its 30% says about \d+ of the \d+ who reach it\)/);
    }
  });

  it("the editor measures the draft before it is saved", async () => {
    const f = await halfThenThirty();
    const state = f.flag.environments.development;
    const form: [string, string][] = [
      ["_csrf", f.csrf],
      ["version", String(state.version + 1)],
      ["enabled", "true"],
      ["rollout_percentage", "30"],
      ["rollout_variation_id", f.live.id],
      ["default_variation_id", f.off.id],
      ["c0.name", "Half"],
      ["c0.variation_id", f.off.id],
      ["c0.r0.property", "userId"],
      ["c0.r0.operator", "PERCENTAGE"],
      ["c0.r0.range_start", "0"],
      ["c0.r0.range_end", "50"],
      ["c0.r0.seed", "42"],
      ["intent", "check"],
    ];
    const res = await dash(`/dashboard/projects/${f.project.id}/flags/${f.flag.key}/targeting/development`, { cookie: f.cookie, form });
    const page = text(await res.text());
    expect(res.status).toBe(200);
    expect(page).toContain("What this draft would really serve");
    expect(page).not.toContain("Reaches fewer users than it says.");
    expect(page).toMatch(/Rollout → Live: 1\d\d of 1,000 sample users/);
  });

  it("an Off flag says who gets what, not 'no conditions · 100% rollout'", async () => {
    const { tenant, project } = await setup();
    const flag = await newFlag(tenant, project.id);
    const { cookie } = await signIn(tenant);
    const page = text(await (await dash(`/dashboard/projects/${project.id}`, { cookie })).text());
    expect(page).not.toContain("no conditions · 100% rollout");
    expect(page).toContain(`everyone gets ${flag.variations.find((v: { id: string }) => v.id === flag.environments.development.default_variation_id).name}`);
  });
});

describe("production asks with the change in view", () => {
  it("the toggle's confirmation shows before → after, the what-if over the sample users and a reason; the reason reaches the change log", async () => {
    const { tenant, project } = await setup();
    const flag = await newFlag(tenant, project.id);
    const { cookie, csrf } = await signIn(tenant);
    const path = `/dashboard/projects/${project.id}/flags/${flag.key}/environments/production`;
    const ask = await dash(path, { cookie, form: { _csrf: csrf, enabled: "true", version: "1" } });
    expect(ask.status).toBe(200);
    const page = text(await ask.text());
    expect(page).toContain("Turn on New Checkout in production?");
    expect(page).toContain("What changes");
    expect(page).toMatch(/− Off \(inactive\) \+ Live \(value: true\)/);
    expect(page).toContain("1,000 of 1,000 sample users would be served another variation: Off → Live: 1,000.");
    expect(page).toContain("Reason (optional)");
    expect((await json(call(`/projects/${project.id}/flags/${flag.key}/environments/production`, { token: tenant.key }), 200)).enabled).toBe(false);
    const done = await dash(path, { cookie, form: { _csrf: csrf, enabled: "true", version: "1", confirm: "production", comment: "  Launch day  " } });
    expect(done.status).toBe(303);
    expect(done.headers.get("location")).toContain(`notice=flag-on&flag=${flag.key}&env=production`);
    const log = await json(call(`/projects/${project.id}/events`, { token: tenant.key }), 200);
    expect(log.data[0]).toMatchObject({ event: "flag.toggled", comment: "Launch day" });
    const back = text(await (await dash(`/dashboard/projects/${project.id}?notice=flag-on&flag=${flag.key}&env=production`, { cookie })).text());
    expect(back).toContain(`Turned on ${flag.key} in production.`);
  });

  it("the editor's confirmation shows the draft, not the saved state, and sends the reason", async () => {
    const f = await halfThenThirty();
    const state = (await json(call(`/projects/${f.project.id}/flags/${f.flag.key}/environments/production`, { token: f.tenant.key }), 200)) as {
      version: number;
    };
    const form: [string, string][] = [
      ["_csrf", f.csrf],
      ["version", String(state.version)],
      ["enabled", "true"],
      ["rollout_percentage", "30"],
      ["rollout_variation_id", f.live.id],
      ["default_variation_id", f.off.id],
      ["c0.name", "Half"],
      ["c0.variation_id", f.off.id],
      ["c0.r0.property", "userId"],
      ["c0.r0.operator", "PERCENTAGE"],
      ["c0.r0.range_start", "0"],
      ["c0.r0.range_end", "50"],
      ["intent", "save"],
    ];
    const at = `/dashboard/projects/${f.project.id}/flags/${f.flag.key}/targeting/production`;
    const page = text(await (await dash(at, { cookie: f.cookie, form })).text());
    expect(page).toContain("This changes production.");
    expect(page).toMatch(/\+ 50% OF userId \(0% TO 50%\)/);
    expect(page).toMatch(/\+ 30% OF userId \(0% TO 30%\)/);
    expect(page).toMatch(/The 30% rollout serves 0 of 1,000 sample users/);
    expect(page).toContain("None of the 1,000 sample users would be served another variation.");
    const saved = await dash(at, {
      cookie: f.cookie,
      form: [...form.filter(([k]) => k !== "intent"), ["intent", "save-production"], ["comment", "Half the users first"]],
    });
    expect(saved.status).toBe(303);
    const log = await json(call(`/projects/${f.project.id}/events`, { token: f.tenant.key }), 200);
    expect(log.data[0]).toMatchObject({ comment: "Half the users first" });
  });
});

describe("form errors in words, all at once", () => {
  it("a too-long name and a bad key are both said, the name's limit as a person says it", async () => {
    const { tenant, project } = await setup();
    const { cookie, csrf } = await signIn(tenant);
    const res = await dash(`/dashboard/projects/${project.id}/flags`, {
      cookie,
      form: { _csrf: csrf, intent: "create", name: "n".repeat(201), key: "Bad Key", type: "boolean", description: "", tags: "" },
    });
    const page = text(await res.text());
    expect(res.status).toBe(400);
    expect(page).toContain("Name: at most 200 characters.");
    expect(page).not.toContain("Too big");
    expect(page).toMatch(/Use lower-case letters, digits, - and _/);
  });
});

describe("a new flag's variation while off", () => {
  it.each([
    ["first", "Small"],
    ["last", "Large"],
  ])("the form's choice %s: every environment serves %s while off, and the flags list says so", async (off, served) => {
    const { tenant, project } = await setup();
    const { cookie, csrf } = await signIn(tenant);
    const rows = ["Small", "Medium", "Large"].flatMap((name, i): [string, string][] => [
      [`v${i}.name`, name],
      [`v${i}.value`, name.toLowerCase()],
      [`v${i}.active`, "true"],
    ]);
    const form: [string, string][] = [["_csrf", csrf], ["intent", "create"], ["name", "Size"], ["key", "size"], ["type", "string"], ["off", off], ...rows];
    const res = await dash(`/dashboard/projects/${project.id}/flags`, { cookie, form });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toContain("notice=flag-created#notice");
    const flag = await json(call(`/projects/${project.id}/flags/size`, { token: tenant.key }), 200);
    const id = flag.variations.find((v: { name: string }) => v.name === served).id;
    for (const env of ["development", "production"]) expect(flag.environments[env]).toMatchObject({ enabled: false, default_variation_id: id });
    const page = text(await (await dash(`/dashboard/projects/${project.id}`, { cookie })).text());
    expect(page).toContain(`everyone gets ${served}`);
  });
});

describe("a delivery's state, named exactly", () => {
  const now = Date.parse("2026-06-01T12:00:00Z");
  const later = "2026-06-01T12:05:00.000Z";
  const earlier = "2026-06-01T11:59:00.000Z";
  it.each([
    [{ status: "succeeded", attempt_count: 1, next_attempt_at: null }, "succeeded", "Succeeded"],
    [{ status: "failed", attempt_count: 7, next_attempt_at: null }, "failed", "Failed"],
    [{ status: "pending", attempt_count: 0, next_attempt_at: later }, "waiting", "Waiting"],
    [{ status: "pending", attempt_count: 2, next_attempt_at: later }, "retrying", "Retrying"],
    [{ status: "pending", attempt_count: 2, next_attempt_at: earlier }, "sending", "Being sent"],
    [{ status: "pending", attempt_count: 0, next_attempt_at: null }, "held", "Held: circuit open"],
    [{ status: "pending", attempt_count: 3, next_attempt_at: null }, "held", "Held: circuit open"],
  ] as const)("%o is %s", (delivery, name, label) => {
    expect(deliveryState(delivery, now)).toMatchObject({ name, label });
  });

  it("Attempt now says what it does to a held delivery", () => {
    const held = { status: "pending", attempt_count: 3, next_attempt_at: null } as Delivery;
    expect(redeliverWords(held).what).toMatch(/^Sends this held delivery once, now, although the circuit is open/);
    const retrying = { ...held, next_attempt_at: "2999-01-01T00:00:00.000Z" };
    expect(redeliverWords(retrying).what).toMatch(/^Makes this delivery's next attempt now\./);
  });
});

describe("the flags list's reach, bounded", () => {
  it("measures at most 40 states a render (the rest say where to look), and what it measured stays known", async () => {
    const { tenant, project } = await setup();
    const flags = await Promise.all(Array.from({ length: 42 }, (_, i) => newFlag(tenant, project.id, { key: `bulk-${i}` })));
    for (const flag of flags) {
      const [live, off] = flag.variations;
      const body = {
        version: 1,
        enabled: true,
        rollout_percentage: 30,
        rollout_variation_id: live.id,
        default_variation_id: off.id,
        conditions: [{ name: "Half", variation_id: off.id, rules: [{ property: "userId", operator: "PERCENTAGE", range_start: 0, range_end: 50 }] }],
      };
      await json(patchState(tenant, project.id, flag.key, "development", body), 200);
    }
    const { cookie } = await signIn(tenant);
    const count = (page: string, what: string) => page.split(what).length - 1;
    const first = text(await (await dash(`/dashboard/projects/${project.id}`, { cookie })).text());
    expect(count(first, "⚠ The 30% rollout serves 0 of 1,000 sample users")).toBe(40);
    expect(count(first, "Reach measured on the flag")).toBe(2);
    const second = text(await (await dash(`/dashboard/projects/${project.id}`, { cookie })).text());
    expect(count(second, "⚠ The 30% rollout serves 0 of 1,000 sample users")).toBe(42);
  });
});
