// Change requests (CONTRACT.md v1.2 "Changes that need a second person"): the request's states as a
// model-based test (fast-check commands: open, approve by the author or by another user, apply,
// close), with the invariants checked after every step, then the shapes, the change log, the
// notices webhooks receive, apply_at, and organization isolation.
import { runInDurableObject } from "cloudflare:test";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ProjectDO } from "../src/projects/project-do";
import { openRequest, requireApproval, secondUser, transition } from "./confidence-helpers";
import { call, env, expectError, getFlag, json, listEvents, newFlag, newTenant, setup, type Tenant } from "./helpers";

type Status = "open" | "approved" | "applied" | "closed";
interface Model {
  version: number;
  rollout: number;
  requests: { status: Status; base: number; rollout: number }[];
}
interface World {
  author: Tenant;
  reviewer: Tenant;
  projectId: string;
  flagKey: string;
  ids: string[];
}
type Cmd = fc.AsyncCommand<Model, World>;

async function check(m: Model, w: World) {
  const state = (await getFlag(w.author, w.projectId, w.flagKey)).environments.production;
  expect(state.version).toBe(m.version);
  expect(state.rollout_percentage).toBe(m.rollout);
  const list = (await json(call(`/projects/${w.projectId}/change-requests?limit=200`, { token: w.author.key }), 200)).data;
  expect(list.map((r: { id: string }) => r.id)).toEqual([...w.ids].reverse());
  for (const [i, r] of [...list].reverse().entries()) {
    expect(r.status).toBe(m.requests[i].status);
    expect(r.approved_by === null).toBe(m.requests[i].status === "open" || (m.requests[i].status === "closed" && r.approved_at === null));
    if (r.status !== "applied") expect(r.revision).toBeNull();
  }
  // The change log names every request that changed something, with its approver.
  const made = (await listEvents(w.author, w.projectId)).filter((e) => e.change_request_id);
  for (const e of made) expect(e.approved_by).toEqual({ id: w.reviewer.userId, email: w.reviewer.email });
  expect(new Set(made.map((e) => e.change_request_id)).size).toBe(m.version - 1);
}

const pick = fc.nat(7);
const open = fc.constantFrom(10, 20, 30).map(
  (rollout): Cmd => ({
    check: () => true,
    toString: () => `open(${rollout})`,
    run: async (m, w) => {
      const r = await json(openRequest(w.author, w.projectId, w.flagKey, { patch: { rollout_percentage: rollout } }), 201);
      expect(r).toMatchObject({ status: "open", base_version: m.version });
      w.ids.push(r.id);
      m.requests.push({ status: "open", base: m.version, rollout });
      await check(m, w);
    },
  }),
);
const approve = fc.tuple(pick, fc.boolean()).map(
  ([n, byAuthor]): Cmd => ({
    check: (m) => m.requests.length > 0,
    toString: () => `approve(${n}, ${byAuthor ? "author" : "reviewer"})`,
    run: async (m, w) => {
      const i = n % m.requests.length;
      const req = m.requests[i];
      const res = transition(byAuthor ? w.author : w.reviewer, w.projectId, w.ids[i], "approve");
      if (req.status !== "open") await expectError(res, 409);
      else if (byAuthor) await expectError(res, 403);
      else {
        await json(res, 200);
        req.status = "approved";
      }
      await check(m, w);
    },
  }),
);
const apply = pick.map(
  (n): Cmd => ({
    check: (m) => m.requests.length > 0,
    toString: () => `apply(${n})`,
    run: async (m, w) => {
      const i = n % m.requests.length;
      const req = m.requests[i];
      const res = transition(w.author, w.projectId, w.ids[i], "apply");
      if (req.status !== "approved") await expectError(res, 409, "conflict");
      else if (req.base !== m.version) await expectError(res, 409, "stale_change_request");
      else {
        const body = await json(res, 200);
        req.status = "applied";
        if (req.rollout !== m.rollout) {
          m.version += 1;
          m.rollout = req.rollout;
          expect(body.revision).toBeGreaterThan(0);
        } else expect(body.revision).toBeNull();
      }
      await check(m, w);
    },
  }),
);
const close = pick.map(
  (n): Cmd => ({
    check: (m) => m.requests.length > 0,
    toString: () => `close(${n})`,
    run: async (m, w) => {
      const i = n % m.requests.length;
      const req = m.requests[i];
      const res = transition(w.reviewer, w.projectId, w.ids[i], "close");
      if (req.status === "open" || req.status === "approved") {
        await json(res, 200);
        req.status = "closed";
      } else await expectError(res, 409);
      await check(m, w);
    },
  }),
);

describe("a change request's states (model-based)", () => {
  it("open → approved → applied; closed; stale; self-approval refused; apply of an open one refused", async () => {
    await fc.assert(
      fc.asyncProperty(fc.commands([open, approve, apply, close], { maxCommands: 10 }), async (cmds) => {
        const { tenant, project } = await setup();
        const reviewer = await secondUser(tenant);
        const flag = await newFlag(tenant, project.id);
        await requireApproval(tenant, project.id);
        const world: World = { author: tenant, reviewer, projectId: project.id, flagKey: flag.key, ids: [] };
        await fc.asyncModelRun(() => ({ model: { version: 1, rollout: 100, requests: [] }, real: world }), cmds);
      }),
      { numRuns: 25 },
    );
  }, 120_000);
});

describe("change requests", () => {
  it("opens with the preview and base_version, applies as the author with approved_by in the change log", async () => {
    const { tenant, project } = await setup();
    const reviewer = await secondUser(tenant);
    const flag = await newFlag(tenant, project.id);
    await requireApproval(tenant, project.id);
    const opened = await json(openRequest(tenant, project.id, flag.key, { patch: { enabled: true }, comment: "launch" }), 201);
    expect(opened).toMatchObject({ status: "open", patch: { enabled: true }, base_version: 1, created_by: { id: tenant.userId, email: tenant.email } });
    expect(opened.preview.map((e: { event: string }) => e.event)).toEqual(["flag.toggled"]);
    expect(opened.preview[0].code_like_after).toContain("Live");
    await expectError(transition(tenant, project.id, opened.id, "apply"), 409);
    await json(transition(reviewer, project.id, opened.id, "approve"), 200);
    const applied = await json(transition(tenant, project.id, opened.id, "apply"), 200);
    expect(applied).toMatchObject({ status: "applied", approved_by: { id: reviewer.userId, email: reviewer.email } });
    const [entry] = (await listEvents(tenant, project.id)).filter((e) => e.revision === applied.revision);
    expect(entry).toMatchObject({
      event: "flag.toggled",
      triggered_by: { id: tenant.userId, email: tenant.email },
      change_request_id: opened.id,
      approved_by: { id: reviewer.userId, email: reviewer.email },
      comment: "launch",
    });
    expect(await json(call(`/projects/${project.id}/change-requests/${opened.id}`, { token: reviewer.key }), 200)).toMatchObject({ status: "applied" });
    const approvedOnly = await json(call(`/projects/${project.id}/change-requests?status=approved`, { token: tenant.key }), 200);
    expect(approvedOnly.data).toEqual([]);
  });

  it("validates the patch now (422 unknown variation, 404 unknown flag) and hides another organization's requests", async () => {
    const { tenant, project } = await setup();
    const flag = await newFlag(tenant, project.id);
    await requireApproval(tenant, project.id);
    await expectError(openRequest(tenant, project.id, flag.key, { patch: { default_variation_id: crypto.randomUUID() } }), 422);
    await expectError(openRequest(tenant, project.id, "nope", { patch: { enabled: true } }), 404);
    const opened = await json(openRequest(tenant, project.id, flag.key, { patch: { enabled: true } }), 201);
    const other = await newTenant("Other");
    await expectError(call(`/projects/${project.id}/change-requests/${opened.id}`, { token: other.key }), 404);
    await expectError(call(`/projects/${project.id}/change-requests`, { token: other.key }), 404);
    await expectError(transition(other, project.id, opened.id, "approve"), 404);
    await expectError(transition(other, project.id, opened.id, "close"), 404);
    await expectError(openRequest(other, project.id, flag.key, { patch: { enabled: true } }), 404);
  });

  it("with apply_at, an approved request applies itself as a schedule", async () => {
    const { tenant, project } = await setup();
    const reviewer = await secondUser(tenant);
    const flag = await newFlag(tenant, project.id);
    await requireApproval(tenant, project.id);
    const at = Date.now() + 3600_000;
    const opened = await json(openRequest(tenant, project.id, flag.key, { patch: { enabled: true }, apply_at: new Date(at).toISOString() }), 201);
    const approved = await json(transition(reviewer, project.id, opened.id, "approve"), 200);
    expect(approved.schedule_id).not.toBeNull();
    const schedule = await json(call(`/projects/${project.id}/schedules/${approved.schedule_id}`, { token: tenant.key }), 200);
    expect(schedule).toMatchObject({ status: "scheduled", change_request_id: opened.id, created_by: { id: tenant.userId } });
    const ran = await runInDurableObject(env.PROJECTS.getByName(project.id), (i: ProjectDO) => i.runSchedules(at));
    expect(ran).toEqual({ applied: 1, failed: 0 });
    const done = await json(call(`/projects/${project.id}/change-requests/${opened.id}`, { token: tenant.key }), 200);
    expect(done).toMatchObject({ status: "applied" });
    const [entry] = (await listEvents(tenant, project.id)).filter((e) => e.revision === done.revision);
    expect(entry).toMatchObject({ schedule_id: approved.schedule_id, change_request_id: opened.id, approved_by: { id: reviewer.userId } });
    expect((await getFlag(tenant, project.id, flag.key)).environments.production.enabled).toBe(true);
  });

  it("announces opened and approved to subscribed webhooks as deliveries (rollgate and slack); tggl may not subscribe", async () => {
    const { tenant, project } = await setup();
    const reviewer = await secondUser(tenant);
    const flag = await newFlag(tenant, project.id);
    await requireApproval(tenant, project.id);
    const events = ["change_request.opened", "change_request.approved"];
    const url = `${env.RECEIVER_URL}/ok/${crypto.randomUUID()}`;
    const hook = await json(call(`/projects/${project.id}/webhooks`, { token: tenant.key, body: { name: "Review", url, events } }), 201);
    const slack = await json(call(`/projects/${project.id}/webhooks`, { token: tenant.key, body: { name: "Slack", url, events, format: "slack" } }), 201);
    await expectError(call(`/projects/${project.id}/webhooks`, { token: tenant.key, body: { name: "T", url, events, format: "tggl" } }), 422);
    const opened = await json(openRequest(tenant, project.id, flag.key, { patch: { enabled: true }, comment: "go" }), 201);
    await json(transition(reviewer, project.id, opened.id, "approve"), 200);
    for (const w of [hook, slack]) {
      const deliveries = (await json(call(`/projects/${project.id}/webhooks/${w.id}/deliveries`, { token: tenant.key }), 200)).data;
      expect(deliveries.map((d: { event: string }) => d.event).sort()).toEqual([...events].sort());
    }
    const [d] = (await json(call(`/projects/${project.id}/webhooks/${hook.id}/deliveries?event=change_request.opened`, { token: tenant.key }), 200)).data;
    const stored = await env.DB.prepare("SELECT body, format FROM deliveries WHERE id = ?").bind(d.id).first<{ body: string; format: string }>();
    expect(JSON.parse(stored!.body)).toMatchObject({
      event: "change_request.opened",
      proposed_by: { email: tenant.email },
      flag: { key: flag.key },
      environment: { key: "production" },
      change_request: { id: opened.id, comment: "go" },
    });
    const [s] = (await json(call(`/projects/${project.id}/webhooks/${slack.id}/deliveries?event=change_request.approved`, { token: tenant.key }), 200)).data;
    const slackBody = await env.DB.prepare("SELECT body FROM deliveries WHERE id = ?").bind(s.id).first<{ body: string }>();
    const text = (JSON.parse(slackBody!.body).blocks[0].text.text as string).replaceAll("\u2060", "");
    expect(text).toContain(`${reviewer.email} approved ${tenant.email}`);
    expect(text).toMatch(/```[^`]*\+ *Live/);
  });
});
