// The dashboard's walks for changes that wait: a protected environment's toggle opens a change
// request instead of writing; a second user sees it (flag page, list page) with its before and after,
// approves, and it is applied; a change is scheduled from the flag page and cancelled there.
import { describe, expect, it } from "vitest";
import { requireApproval, secondUser } from "./confidence-helpers";
import { csrfIn, dash, signIn } from "./dashboard-client";
import { call, getFlag, json, newFlag, setup } from "./helpers";

describe("dashboard: change requests and schedules", () => {
  it("a protected toggle proposes; another user approves and applies from the list page", async () => {
    const { tenant, project } = await setup();
    const reviewer = await secondUser(tenant);
    const flag = await newFlag(tenant, project.id);
    await requireApproval(tenant, project.id);
    const author = await signIn(tenant);
    const path = `/dashboard/projects/${project.id}/flags/${flag.key}/environments/production`;
    const toggled = await dash(path, { cookie: author.cookie, form: { _csrf: author.csrf, enabled: "true", version: "1", confirm: "production" } });
    expect(toggled.status).toBe(303);
    expect(toggled.headers.get("location")).toContain("notice=request-opened");
    expect((await getFlag(tenant, project.id, flag.key)).environments.production.enabled).toBe(false);
    const flagPage = await (await dash(`/dashboard/projects/${project.id}/flags/${flag.key}`, { cookie: author.cookie })).text();
    expect(flagPage).toContain("Waiting changes");
    expect(flagPage).toContain(`proposed by ${tenant.email}`);

    const second = await signIn(reviewer);
    const list = await (await dash(`/dashboard/projects/${project.id}/change-requests`, { cookie: second.cookie })).text();
    const [requestId] = (await json(call(`/projects/${project.id}/change-requests`, { token: reviewer.key }), 200)).data.map((r: { id: string }) => r.id);
    expect(list).toContain(`/change-requests/${requestId}/approve`);
    expect(list).toMatch(/\+ +Live/);
    const csrf = csrfIn(list);
    const approved = await dash(`/dashboard/projects/${project.id}/change-requests/${requestId}/approve`, { cookie: second.cookie, form: { _csrf: csrf } });
    expect(approved.headers.get("location")).toContain("notice=request-approve");
    const applied = await dash(`/dashboard/projects/${project.id}/change-requests/${requestId}/apply`, { cookie: second.cookie, form: { _csrf: csrf } });
    expect(applied.headers.get("location")).toContain("notice=request-apply");
    expect((await getFlag(tenant, project.id, flag.key)).environments.production.enabled).toBe(true);
  });

  it("schedules a change from the flag page and cancels it there", async () => {
    const { tenant, project } = await setup();
    const flag = await newFlag(tenant, project.id);
    const s = await signIn(tenant);
    const at = new Date(Date.now() + 24 * 3600_000).toISOString().slice(0, 16);
    const made = await dash(`/dashboard/projects/${project.id}/flags/${flag.key}/schedules`, {
      cookie: s.cookie,
      form: { _csrf: s.csrf, environment: "production", enabled: "true", rollout_percentage: "", at },
    });
    expect(made.headers.get("location")).toContain("notice=schedule-created");
    const [schedule] = (await json(call(`/projects/${project.id}/schedules`, { token: tenant.key }), 200)).data;
    expect(schedule).toMatchObject({ environment: "production", patch: { enabled: true }, at: `${at}:00.000Z` });
    const page = await (await dash(`/dashboard/projects/${project.id}/flags/${flag.key}`, { cookie: s.cookie })).text();
    expect(page).toContain(`/schedules/${schedule.id}/cancel`);
    const cancelled = await dash(`/dashboard/projects/${project.id}/schedules/${schedule.id}/cancel`, { cookie: s.cookie, form: { _csrf: csrfIn(page) } });
    expect(cancelled.headers.get("location")).toContain("notice=schedule-cancelled");
    expect((await json(call(`/projects/${project.id}/schedules/${schedule.id}`, { token: tenant.key }), 200)).status).toBe("cancelled");
  });
});
