// Revert (CONTRACT.md v1.2, "A way back, and a reason"): POST /projects/:projectId/revisions/:revision/revert
// sets back the fields one revision changed, as one new change with its own revision, events and
// deliveries; refuses what it cannot do (a later change of the same fields, a creation or deletion)
// with the documented codes; and its dry run stores, bumps and sends nothing.
import { describe, expect, it } from "vitest";
import { call, env, expectError, getFlag, json, listEvents, newFlag, newTenant, patchFlag, patchState, setup, type Tenant } from "./helpers";
import { projectWriter } from "../src/projects/project-do";
import { eventually, newWebhook, received, receiverUrl } from "./webhook-helpers";

const revertPath = (projectId: string, revision: number | string, query = "") => `/projects/${projectId}/revisions/${revision}/revert${query}`;

function revert(t: Tenant, projectId: string, revision: number | string, opts: { dryRun?: boolean; comment?: string } = {}) {
  return call(revertPath(projectId, revision, opts.dryRun ? "?dry_run=true" : ""), {
    token: t.key,
    method: "POST",
    ...(opts.comment === undefined ? {} : { body: { comment: opts.comment } }),
  });
}

async function revisionOf(t: Tenant, projectId: string): Promise<number> {
  return (await json(call(`/projects/${projectId}`, { token: t.key }), 200)).revision;
}

/** The flag without its bookkeeping (versions, timestamps): what it serves and says. */
function content(flag: any) {
  const { version: _v, updated_at: _u, created_at: _c, environments, ...rest } = flag;
  return { ...rest, environments: Object.fromEntries(Object.entries(environments).map(([k, { version: _sv, ...s }]: [string, any]) => [k, s])) };
}

async function flagWorld() {
  const { tenant, project } = await setup();
  const flag = await newFlag(tenant, project.id, { key: "checkout" });
  return { tenant, project, flag, live: flag.variations[0].id as string, off: flag.variations[1].id as string };
}

describe("revert", () => {
  it("sets a toggle back, as a new revision whose events carry the comment 'revert of revision N'", async () => {
    const { tenant, project } = await flagWorld();
    await json(patchState(tenant, project.id, "checkout", "production", { enabled: true }), 200);
    const toggled = await revisionOf(tenant, project.id);
    const answer = await json(revert(tenant, project.id, toggled), 200);
    expect(answer.revision).toBe(toggled + 1);
    expect(answer.reverted).toBe(toggled);
    expect(answer.flag.environments.production).toMatchObject({ enabled: false, version: 3 });
    expect((await getFlag(tenant, project.id, "checkout")).environments.production.enabled).toBe(false);
    expect(await revisionOf(tenant, project.id)).toBe(toggled + 1);
    const [latest] = await listEvents(tenant, project.id);
    expect(latest).toMatchObject({
      event: "flag.toggled",
      revision: toggled + 1,
      comment: `revert of revision ${toggled}`,
      triggered_by: { email: tenant.email },
    });
    expect(latest.changes).toEqual([{ __typename: "FlagActivated", oldActive: true, newActive: false }]);
  });

  it("sets a rollout back, the rollout variation at 100% included (a change Tggl's changes cannot name)", async () => {
    const { tenant, project, live, off } = await flagWorld();
    await json(patchState(tenant, project.id, "checkout", "development", { rollout_variation_id: off }), 200);
    const variation = await revisionOf(tenant, project.id);
    await json(patchState(tenant, project.id, "checkout", "production", { rollout_percentage: 30 }), 200);
    const rollout = await revisionOf(tenant, project.id);
    await json(revert(tenant, project.id, rollout), 200);
    await json(revert(tenant, project.id, variation), 200);
    const flag = await getFlag(tenant, project.id, "checkout");
    expect(flag.environments.production.rollout_percentage).toBe(100);
    expect(flag.environments.development.rollout_variation_id).toBe(live);
  });

  it("sets a condition edit back to the conditions before it, ids and order kept", async () => {
    const { tenant, project, live } = await flagWorld();
    const rule = { property: "email", operator: "STR_ENDS_WITH", values: ["@example.com"] };
    const added = await json(
      patchState(tenant, project.id, "checkout", "production", { conditions: [{ name: "Staff", variation_id: live, rules: [rule] }] }),
      200,
    );
    const [condition] = added.conditions;
    const edited = { ...condition, name: "Staff and friends", rules: [{ ...condition.rules[0], values: ["@example.com", "@friends.test"] }] };
    await json(
      patchState(tenant, project.id, "checkout", "production", {
        conditions: [edited, { name: "Beta", variation_id: live, rules: [{ property: "beta", operator: "IS_TRUE" }] }],
      }),
      200,
    );
    const answer = await json(revert(tenant, project.id, await revisionOf(tenant, project.id)), 200);
    expect(answer.flag.environments.production.conditions).toEqual(added.conditions);
    expect((await getFlag(tenant, project.id, "checkout")).environments.production.conditions).toEqual(added.conditions);
  });

  it("sets variations back exactly: a renamed one renamed back, an added one gone, ids kept", async () => {
    const { tenant, project, flag } = await flagWorld();
    const [live, off] = flag.variations;
    await json(
      patchFlag(tenant, project.id, "checkout", { variations: [{ ...live, name: "On", color: "#000000" }, off, { name: "Spare", value: true, active: true }] }),
      200,
    );
    const answer = await json(revert(tenant, project.id, await revisionOf(tenant, project.id)), 200);
    expect(answer.flag.variations).toEqual(flag.variations);
    expect(answer.flag.version).toBe(3);
    const [latest] = await listEvents(tenant, project.id);
    expect(latest.event).toBe("flag.updated");
    expect(latest.changes.map((c: { __typename: string }) => c.__typename).sort()).toEqual(["FlagVariationDeleted", "FlagVariationUpdated"]);
  });

  it("sets a rename back: the flag answers to its old key again", async () => {
    const { tenant, project } = await flagWorld();
    await json(patchFlag(tenant, project.id, "checkout", { key: "checkout-v2", name: "Checkout v2" }), 200);
    await json(revert(tenant, project.id, await revisionOf(tenant, project.id)), 200);
    expect(await getFlag(tenant, project.id, "checkout")).toMatchObject({ key: "checkout", name: "New Checkout" });
    await expectError(call(`/projects/${project.id}/flags/checkout-v2`, { token: tenant.key }), 404, "not_found");
  });

  it("refuses a rename back to a key another flag took since (409 conflict), and changes nothing", async () => {
    const { tenant, project } = await flagWorld();
    await json(patchFlag(tenant, project.id, "checkout", { key: "checkout-v2" }), 200);
    const rename = await revisionOf(tenant, project.id);
    await newFlag(tenant, project.id, { key: "checkout" });
    await expectError(revert(tenant, project.id, rename), 409, "conflict");
    expect((await getFlag(tenant, project.id, "checkout-v2")).key).toBe("checkout-v2");
  });

  it("reverting a revert restores the change it reverted", async () => {
    const { tenant, project } = await flagWorld();
    await json(patchState(tenant, project.id, "checkout", "production", { enabled: true, rollout_percentage: 40 }), 200);
    const changed = content(await getFlag(tenant, project.id, "checkout"));
    const first = await json(revert(tenant, project.id, await revisionOf(tenant, project.id)), 200);
    await json(revert(tenant, project.id, first.revision), 200);
    expect(content(await getFlag(tenant, project.id, "checkout"))).toEqual(changed);
  });

  it("takes a reason: the comment given replaces 'revert of revision N'", async () => {
    const { tenant, project } = await flagWorld();
    await json(patchState(tenant, project.id, "checkout", "production", { enabled: true }), 200);
    await json(revert(tenant, project.id, await revisionOf(tenant, project.id), { comment: "checkout errors doubled" }), 200);
    expect((await listEvents(tenant, project.id))[0].comment).toBe("checkout errors doubled");
  });

  it("answers 409 revert_conflict naming the later revision that changed the same fields", async () => {
    const { tenant, project } = await flagWorld();
    await json(patchState(tenant, project.id, "checkout", "production", { enabled: true, rollout_percentage: 50 }), 200);
    const first = await revisionOf(tenant, project.id);
    await json(patchState(tenant, project.id, "checkout", "development", { enabled: true }), 200); // another environment: no conflict
    await json(patchFlag(tenant, project.id, "checkout", { name: "Other" }), 200); // a flag field: no conflict
    await json(patchState(tenant, project.id, "checkout", "production", { rollout_percentage: 60 }), 200);
    const later = await revisionOf(tenant, project.id);
    const err = await expectError(revert(tenant, project.id, first), 409, "revert_conflict");
    expect(err.error.details).toEqual({ revision: later, fields: ["production.rollout_percentage"] });
    expect(err.error.message).toContain(`revision ${later}`);
    expect(await revisionOf(tenant, project.id)).toBe(later);
  });

  it("answers 409 not_revertible for a creation and a deletion, and revert_conflict once the flag is deleted", async () => {
    const { tenant, project } = await flagWorld();
    const created = await revisionOf(tenant, project.id);
    await expectError(revert(tenant, project.id, created), 409, "not_revertible");
    await json(patchState(tenant, project.id, "checkout", "production", { enabled: true }), 200);
    const toggled = await revisionOf(tenant, project.id);
    await call(`/projects/${project.id}/flags/checkout`, { token: tenant.key, method: "DELETE" });
    const deleted = await revisionOf(tenant, project.id);
    await expectError(revert(tenant, project.id, deleted), 409, "not_revertible");
    const err = await expectError(revert(tenant, project.id, toggled), 409, "revert_conflict");
    expect(err.error.details).toMatchObject({ revision: deleted });
  });

  it("refuses with 422 a revert that would take away a variation a state now uses", async () => {
    const { tenant, project, flag } = await flagWorld();
    const patched = await json(
      patchFlag(tenant, project.id, "checkout", { variations: [...flag.variations, { name: "Spare", value: true, active: true }] }),
      200,
    );
    const added = await revisionOf(tenant, project.id);
    await json(patchState(tenant, project.id, "checkout", "production", { default_variation_id: patched.variations[2].id }), 200);
    await expectError(revert(tenant, project.id, added), 422, "unprocessable");
  });

  it("answers 409 approval_required for a state change in an environment that requires approval (its preview too); flag fields need none", async () => {
    const { tenant, project } = await flagWorld();
    await json(patchState(tenant, project.id, "checkout", "production", { enabled: true }), 200);
    const toggled = await revisionOf(tenant, project.id);
    await json(patchFlag(tenant, project.id, "checkout", { name: "Renamed" }), 200);
    const renamed = await revisionOf(tenant, project.id);
    await json(call(`/projects/${project.id}/environments/production`, { token: tenant.key, method: "PATCH", body: { requires_approval: true } }), 200);
    await expectError(revert(tenant, project.id, toggled), 409, "approval_required");
    await expectError(revert(tenant, project.id, toggled, { dryRun: true }), 409, "approval_required");
    expect((await getFlag(tenant, project.id, "checkout")).environments.production.enabled).toBe(true);
    await json(revert(tenant, project.id, renamed), 200);
  });

  it("answers 404 for a revision above the project's, revision 0, another organization's project; 400 for a bad revision", async () => {
    const { tenant, project } = await flagWorld();
    await json(patchState(tenant, project.id, "checkout", "production", { enabled: true }), 200);
    const revision = await revisionOf(tenant, project.id);
    await expectError(revert(tenant, project.id, revision + 1), 404, "not_found");
    await expectError(revert(tenant, project.id, 0), 404, "not_found");
    await expectError(revert(tenant, project.id, "x"), 400, "validation_failed");
    const stranger = await newTenant("Elsewhere");
    await expectError(revert(stranger, project.id, revision), 404, "not_found");
    await expectError(revert(stranger, project.id, revision, { dryRun: true }), 404, "not_found");
    await expectError(call(revertPath(project.id, revision), { method: "POST" }), 401, "unauthorized");
    expect((await getFlag(tenant, project.id, "checkout")).environments.production.enabled).toBe(true);
  });

  it("previews with dry_run: the write's dry-run answer plus the revision it would make, and nothing stored, bumped or sent", async () => {
    const { tenant, project } = await flagWorld();
    const url = receiverUrl("ok");
    const hook = await newWebhook(tenant, project.id, { url });
    await json(patchState(tenant, project.id, "checkout", "production", { enabled: true }), 200);
    const toggled = await revisionOf(tenant, project.id);
    await eventually(async () => expect(await received(url)).toHaveLength(1));
    const snapshot = async () => ({
      flag: await getFlag(tenant, project.id, "checkout"),
      revision: await revisionOf(tenant, project.id),
      events: (await env.DB.prepare("SELECT count(*) AS n FROM events WHERE project_id = ?").bind(project.id).first())?.n,
      deliveries: (await env.DB.prepare("SELECT count(*) AS n FROM deliveries WHERE project_id = ?").bind(project.id).first())?.n,
      records: (await env.DB.prepare("SELECT count(*) AS n FROM revision_changes WHERE project_id = ?").bind(project.id).first())?.n,
    });
    const before = await snapshot();
    const preview = await json(revert(tenant, project.id, toggled, { dryRun: true }), 200);
    expect(preview).toMatchObject({ dry_run: true, revision: toggled + 1, reverted: toggled });
    expect(preview.result.environments.production.enabled).toBe(false);
    expect(preview.events).toHaveLength(1);
    expect(preview.events[0]).toMatchObject({ event: "flag.toggled", environment: { key: "production" }, webhooks: [{ id: hook.id }] });
    expect(preview.events[0].code_like_before).not.toBe(preview.events[0].code_like_after);
    expect(await snapshot()).toEqual(before);
    // The real revert then does what the preview said.
    const done = await json(revert(tenant, project.id, toggled), 200);
    expect(done.revision).toBe(preview.revision);
    expect(content(done.flag)).toEqual(content(preview.result));
    await eventually(async () => expect(await received(url)).toHaveLength(2));
  });

  it("is delivered like any change: each webhook gets the revert's events, with its revision", async () => {
    const { tenant, project } = await flagWorld();
    const url = receiverUrl("ok");
    await newWebhook(tenant, project.id, { url });
    await json(patchState(tenant, project.id, "checkout", "production", { enabled: true, rollout_percentage: 20 }), 200);
    const changed = await revisionOf(tenant, project.id);
    const { revision } = await json(revert(tenant, project.id, changed), 200);
    const deliveries = await eventually(async () => {
      const got = (await received(url)).filter((r) => r.headers["x-flagpost-revision"] === String(revision));
      expect(got).toHaveLength(2);
      return got;
    });
    expect(deliveries.map((d) => d.headers["x-rollgate-event"])).toEqual(["flag.toggled", "flag_state.updated"]);
    const body = JSON.parse(deliveries[1].body);
    expect(body).toMatchObject({ revision, flag: { key: "checkout" }, environment: { key: "production" } });
    expect(body.changes.map((c: { __typename: string }) => c.__typename)).toEqual(["FlagConditionDeleted"]);
  });

  it("sees changes staged but not yet committed: the writer's records of a batch in flight", async () => {
    const { tenant, project } = await flagWorld();
    // Calls on one stub arrive in order: the first change's batch is in flight while the rest are staged on it.
    const writer = projectWriter(env, project.id);
    const ctx = { orgId: tenant.orgId, projectId: project.id, actor: { id: tenant.userId, email: tenant.email } };
    const target = (await revisionOf(tenant, project.id)) + 1;
    const [first, second, refused, reverted] = await Promise.all([
      writer.updateFlagState(ctx, "checkout", "production", { rollout_percentage: 10 }),
      writer.updateFlagState(ctx, "checkout", "production", { rollout_percentage: 20 }),
      writer.revert(ctx, target),
      writer.revert(ctx, target + 1),
    ]);
    expect([first.ok, second.ok]).toEqual([true, true]);
    expect(refused).toMatchObject({ ok: false, code: "revert_conflict", details: { revision: target + 1 } });
    expect(reverted).toMatchObject({ ok: true, revision: target + 2, reverted: target + 1 });
    expect((await getFlag(tenant, project.id, "checkout")).environments.production.rollout_percentage).toBe(10);
  });
});
