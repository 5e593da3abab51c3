// The change log, GET /projects/{projectId}/events: entries shaped as the webhook body, newest
// first, paged.
import { describe, expect, it } from "vitest";
import { ChangeLogEntrySchema } from "../src/events/routes";
import { FlagSchema } from "../src/flags/schemas";
import { badFields, call, expectError, json, newFlag, patchFlag, patchState, setup, unknownId } from "./helpers";

const eventsPath = (projectId: string, query = "") => `/projects/${projectId}/events${query}`;

describe("GET /projects/{projectId}/events", () => {
  it("records every change with the contract's fields, newest first", async () => {
    const { tenant, project } = await setup();
    const flag = FlagSchema.parse(await newFlag(tenant, project.id, { key: "checkout", name: "Checkout" }));
    await json(patchState(tenant, project.id, "checkout", "production", { enabled: true }), 200);
    await json(patchFlag(tenant, project.id, "checkout", { name: "New Checkout" }), 200);
    await call(`/projects/${project.id}/flags/checkout`, { token: tenant.key, method: "DELETE" });

    const page = await json(call(eventsPath(project.id), { token: tenant.key }), 200);
    expect(page.next_cursor).toBeNull();
    const entries = page.data.map((e: unknown) => ChangeLogEntrySchema.parse(e));
    expect(entries.map((e: { event: string }) => e.event)).toEqual(["flag.deleted", "flag.updated", "flag.toggled", "flag.created"]);
    for (const entry of page.data) {
      expect(Object.keys(entry).sort()).toEqual([
        "approved_by",
        "change_request_id",
        "changes",
        "code_like_after",
        "code_like_before",
        "comment",
        "environment",
        "event",
        "flag",
        "id",
        "revision",
        "schedule_id",
        "timestamp",
        "triggered_by",
      ]);
      // A plain write: no comment, schedule, change request or approver.
      expect([entry.comment, entry.schedule_id, entry.change_request_id, entry.approved_by]).toEqual([null, null, null, null]);
      expect(entry.triggered_by).toEqual({ id: tenant.userId, email: tenant.email });
      expect(entry.flag.id).toBe(flag.id);
      expect(entry.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    }
    const [deleted, updated, toggled, created] = page.data;
    expect(new Set(page.data.map((e: { id: string }) => e.id)).size).toBe(4);
    expect([created.environment, updated.environment, deleted.environment]).toEqual([null, null, null]);
    expect(toggled.environment).toEqual({ id: project.environments[1].id, key: "production", name: "production" });
    expect(toggled.flag).toEqual({ id: flag.id, key: "checkout", name: "Checkout", enabled: true });
    expect(toggled.code_like_before).toBe("Off (inactive)");
    expect(toggled.code_like_after).toBe("Live (value: true)");
    expect(updated.changes).toEqual([{ __typename: "FlagNameChanged", oldName: "Checkout", newName: "New Checkout" }]);
    expect(updated.flag.name).toBe("New Checkout");
  });

  it("keeps the comment of every kind of flag write with its change, and refuses one over 500 characters", async () => {
    const { tenant, project } = await setup();
    await json(
      call(`/projects/${project.id}/flags`, { token: tenant.key, method: "POST", body: { key: "why", name: "Why not", comment: "launch prep" } }),
      201,
    );
    await json(patchState(tenant, project.id, "why", "production", { enabled: true, comment: "  ticket OPS-42  " }), 200);
    await json(patchFlag(tenant, project.id, "why", { name: "Why", comment: "clearer name" }), 200);
    await json(patchFlag(tenant, project.id, "why", { description: "no comment" }), 200);
    const stored = await json(call(`/projects/${project.id}/flags/why`, { token: tenant.key }), 200);
    expect(stored).not.toHaveProperty("comment");
    const del = await call(`/projects/${project.id}/flags/why`, {
      token: tenant.key,
      method: "DELETE",
      headers: { "X-Flagpost-Comment": "replaced by why-2" },
    });
    expect(del.status).toBe(204);

    const page = await json(call(eventsPath(project.id), { token: tenant.key }), 200);
    expect(page.data.map((e: { event: string; comment: string | null }) => [e.event, e.comment])).toEqual([
      ["flag.deleted", "replaced by why-2"],
      ["flag.updated", null],
      ["flag.updated", "clearer name"],
      ["flag.toggled", "ticket OPS-42"],
      ["flag.created", "launch prep"],
    ]);

    const tooLong = "x".repeat(501);
    await expectError(patchState(tenant, project.id, "nope", "production", { enabled: true, comment: tooLong }), 400, "validation_failed");
    const header = await call(`/projects/${project.id}/flags/nope`, { token: tenant.key, method: "DELETE", headers: { "X-Flagpost-Comment": tooLong } });
    expect(header.status).toBe(400);
  });

  it("pages with limit and cursor until next_cursor is null", async () => {
    const { tenant, project } = await setup();
    await newFlag(tenant, project.id, { key: "f" });
    for (let i = 1; i <= 4; i++) await json(patchState(tenant, project.id, "f", "development", { rollout_percentage: i * 10 }), 200);
    const seen: string[] = [];
    const ids: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { data: { id: string; event: string }[]; next_cursor: string | null } = await json(
        call(eventsPath(project.id, `?limit=2${cursor ? `&cursor=${cursor}` : ""}`), { token: tenant.key }),
        200,
      );
      expect(page.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.data.map((e) => e.event));
      ids.push(...page.data.map((e) => e.id));
      cursor = page.next_cursor;
      pages++;
    } while (cursor !== null && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual(["flag_state.updated", "flag_state.updated", "flag_state.updated", "flag_state.updated", "flag.created"]);
    expect(new Set(ids).size).toBe(5);
    const all = await json(call(eventsPath(project.id), { token: tenant.key }), 200);
    expect(all.data.map((e: { id: string }) => e.id)).toEqual(ids);
  });

  it("keeps each project's log to itself", async () => {
    const { tenant, project } = await setup();
    const other = await json(call("/projects", { token: tenant.key, body: { key: "other", name: "Other" } }), 201);
    await newFlag(tenant, project.id, { key: "here" });
    await newFlag(tenant, other.id, { key: "there" });
    const here = await json(call(eventsPath(project.id), { token: tenant.key }), 200);
    expect(here.data.map((e: { flag: { key: string } }) => e.flag.key)).toEqual(["here"]);
  });

  it("refuses a bad limit or cursor with 400, and answers 404 for an unknown project", async () => {
    const { tenant, project } = await setup();
    for (const query of ["?limit=0", "?limit=201", "?limit=x", "?cursor=***", "?cursor="]) {
      const err = await expectError(call(eventsPath(project.id, query), { token: tenant.key }), 400, "validation_failed");
      expect(badFields(err)).toEqual([query.slice(1, query.indexOf("="))]);
    }
    await expectError(call(eventsPath(unknownId()), { token: tenant.key }), 404, "not_found");
    await expectError(call(eventsPath(project.id)), 401, "unauthorized");
  });
});
