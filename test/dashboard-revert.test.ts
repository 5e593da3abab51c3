// The change log as one entry per revision, and "Revert…" from it (issue 24, problem 8): a save that
// emits two events is one entry with its revision, source and reason; an entry's revert shows the
// revert's dry run, applies it with a reason, and explains a refusal in words. Route-level; the
// browser walk is test/e2e/revert.mjs.
import { describe, expect, it } from "vitest";
import { csrfIn, dash, signIn } from "./dashboard-client";
import { call, json, newFlag, newTenant, patchState, setup } from "./helpers";

async function fixture() {
  const { tenant, project } = await setup();
  await newFlag(tenant, project.id, { key: "checkout", name: "Checkout" });
  const { cookie } = await signIn(tenant);
  const revision = async () => (await json(call(`/projects/${project.id}`, { token: tenant.key }), 200)).revision as number;
  return { tenant, project, cookie, revision };
}

const entriesOf = (html: string) => [...html.matchAll(/<article class="card entry" id="([^"]+)"/g)].map((m) => m[1]);

describe("the change log, one entry per revision", () => {
  it("shows a save of two events as one entry, with its revision, its author and its reason", async () => {
    const f = await fixture();
    await json(patchState(f.tenant, f.project.id, "checkout", "production", { enabled: true, rollout_percentage: 40, comment: "ramp up for the sale" }), 200);
    const saved = await f.revision();
    const html = await (await dash(`/dashboard/projects/${f.project.id}/changes`, { cookie: f.cookie })).text();
    expect(entriesOf(html)).toEqual([`revision-${saved}`, `revision-${saved - 1}`]);
    expect(html).toContain(`Revision ${saved}</h3>`);
    expect(html).toContain("“ramp up for the sale”");
    expect(html).toContain(f.tenant.email);
    expect(html).toContain(`href="/dashboard/projects/${f.project.id}/revisions/${saved}/revert"`);
    expect(html.match(/Deliveries of this change →/g)).toHaveLength(1); // created
    expect(html.match(/Deliveries of “Flag (toggled|state updated)” →/g)).toHaveLength(2); // one save, two events
  });

  it("never cuts a revision in two across pages: each appears once, on one page", async () => {
    const f = await fixture();
    for (let i = 1; i <= 13; i++)
      await json(patchState(f.tenant, f.project.id, "checkout", "production", { enabled: i % 2 === 1, rollout_percentage: 100 - i }), 200);
    const first = await (await dash(`/dashboard/projects/${f.project.id}/changes`, { cookie: f.cookie })).text();
    const older = /href="([^"]*cursor=[^"]*)"/.exec(first)?.[1]?.replaceAll("&amp;", "&");
    expect(older).toBeDefined();
    const second = await (await dash(older!, { cookie: f.cookie })).text();
    const seen = [...entriesOf(first), ...entriesOf(second)];
    expect(seen).toEqual(Array.from({ length: 14 }, (_, i) => `revision-${14 - i}`));
  });
});

describe("Revert… from the change log", () => {
  it("previews the revert, applies it with a reason, and the log's newest entry is the revert", async () => {
    const f = await fixture();
    await json(patchState(f.tenant, f.project.id, "checkout", "production", { enabled: true }), 200);
    const toggled = await f.revision();
    const path = `/dashboard/projects/${f.project.id}/revisions/${toggled}/revert`;
    const preview = await dash(path, { cookie: f.cookie });
    expect(preview.status).toBe(200);
    const html = await preview.text();
    expect(html).toContain(`What revision ${toggled} did`);
    expect(html).toContain("What the revert would change");
    expect(html).toMatch(/class="removed">− Live/);
    expect(await f.revision()).toBe(toggled); // the preview wrote nothing
    const done = await dash(path, { cookie: f.cookie, form: { _csrf: csrfIn(html), comment: "" } });
    expect(done.status).toBe(303);
    const back = done.headers.get("location")!;
    expect(back).toContain(`notice=reverted&reverted=${toggled}&revision=${toggled + 1}`);
    const log = await (await dash(back, { cookie: f.cookie })).text();
    expect(log).toContain(`Reverted revision ${toggled}: the change is revision ${toggled + 1}`);
    expect(entriesOf(log)[0]).toBe(`revision-${toggled + 1}`);
    expect(log).toContain(`“revert of revision ${toggled}”`);
    const flag = await json(call(`/projects/${f.project.id}/flags/checkout`, { token: f.tenant.key }), 200);
    expect(flag.environments.production.enabled).toBe(false);
  });

  it("keeps the reason given on the confirmation", async () => {
    const f = await fixture();
    await json(patchState(f.tenant, f.project.id, "checkout", "development", { rollout_percentage: 10 }), 200);
    const changed = await f.revision();
    const path = `/dashboard/projects/${f.project.id}/revisions/${changed}/revert`;
    const csrf = csrfIn(await (await dash(path, { cookie: f.cookie })).text());
    expect((await dash(path, { cookie: f.cookie, form: { _csrf: csrf, comment: "errors went up" } })).status).toBe(303);
    const [latest] = (await json(call(`/projects/${f.project.id}/events`, { token: f.tenant.key }), 200)).data;
    expect(latest.comment).toBe("errors went up");
  });

  it("explains a refusal in words: a later change of the same setting, a creation, an environment that asks for approval", async () => {
    const f = await fixture();
    await json(patchState(f.tenant, f.project.id, "checkout", "production", { rollout_percentage: 30 }), 200);
    const first = await f.revision();
    await json(patchState(f.tenant, f.project.id, "checkout", "production", { rollout_percentage: 60 }), 200);
    const later = await (await dash(`/dashboard/projects/${f.project.id}/revisions/${first}/revert`, { cookie: f.cookie })).text();
    expect(later).toContain("A later change touched the same settings");
    expect(later).toContain(`revision ${first + 1} changed production.rollout_percentage`);
    expect(later).not.toContain("What the revert would change");
    const created = await (await dash(`/dashboard/projects/${f.project.id}/revisions/1/revert`, { cookie: f.cookie })).text();
    expect(created).toContain("created or deleted a flag");
    await json(call(`/projects/${f.project.id}/environments/production`, { token: f.tenant.key, method: "PATCH", body: { requires_approval: true } }), 200);
    const approval = await (await dash(`/dashboard/projects/${f.project.id}/revisions/${first + 1}/revert`, { cookie: f.cookie })).text();
    expect(approval).toContain("requires approval");
  });

  it("is another organization's: 404, and nothing of it shown", async () => {
    const f = await fixture();
    await json(patchState(f.tenant, f.project.id, "checkout", "production", { enabled: true }), 200);
    const { cookie, csrf } = await signIn(await newTenant("Elsewhere"));
    const path = `/dashboard/projects/${f.project.id}/revisions/${await f.revision()}/revert`;
    const page = await dash(path, { cookie });
    expect(page.status).toBe(404);
    expect(await page.text()).not.toContain("checkout");
    expect((await dash(path, { cookie, form: { _csrf: csrf } })).status).toBe(404);
    expect((await json(call(`/projects/${f.project.id}/flags/checkout`, { token: f.tenant.key }), 200)).environments.production.enabled).toBe(true);
  });
});
