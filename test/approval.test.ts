// Environments that require approval (CONTRACT.md v1.2 "Changes that need a second person"): the
// setting, its reads, and the state PATCH it refuses.
import { describe, expect, it } from "vitest";
import { requireApproval } from "./confidence-helpers";
import { call, expectError, json, newFlag, newTenant, patchState, setup } from "./helpers";

describe("PATCH /projects/:projectId/environments/:envKey", () => {
  it("turns requires_approval on and off; project reads show it", async () => {
    const { tenant, project } = await setup();
    expect(project.environments.map((e: { requires_approval: boolean }) => e.requires_approval)).toEqual([false, false]);
    const env = await requireApproval(tenant, project.id);
    expect(env).toMatchObject({ key: "production", name: "production", requires_approval: true });
    const read = await json(call(`/projects/${project.id}`, { token: tenant.key }), 200);
    expect(read.environments.map((e: { key: string; requires_approval: boolean }) => [e.key, e.requires_approval])).toEqual([
      ["development", false],
      ["production", true],
    ]);
    const list = await json(call("/projects", { token: tenant.key }), 200);
    expect(list.data[0].environments[1].requires_approval).toBe(true);
    expect(await requireApproval(tenant, project.id, "production", false)).toMatchObject({ requires_approval: false });
  });

  it("keeps the name editable, refuses bad fields (400) and unknown environments (404)", async () => {
    const { tenant, project } = await setup();
    const renamed = await json(call(`/projects/${project.id}/environments/development`, { token: tenant.key, method: "PATCH", body: { name: "Dev" } }), 200);
    expect(renamed).toMatchObject({ key: "development", name: "Dev", requires_approval: false });
    await expectError(
      call(`/projects/${project.id}/environments/development`, { token: tenant.key, method: "PATCH", body: { requires_approval: "yes" } }),
      400,
    );
    await expectError(call(`/projects/${project.id}/environments/staging`, { token: tenant.key, method: "PATCH", body: { requires_approval: true } }), 404);
  });

  it("answers 404 to another organization", async () => {
    const { tenant, project } = await setup();
    const other = await newTenant("Other");
    await expectError(call(`/projects/${project.id}/environments/production`, { token: other.key, method: "PATCH", body: { requires_approval: true } }), 404);
    const read = await json(call(`/projects/${project.id}`, { token: tenant.key }), 200);
    expect(read.environments[1].requires_approval).toBe(false);
  });
});

describe("a state PATCH on an environment that requires approval", () => {
  it("is refused with 409 approval_required and changes nothing; other environments are writable", async () => {
    const { tenant, project } = await setup();
    const flag = await newFlag(tenant, project.id);
    await requireApproval(tenant, project.id);
    await expectError(patchState(tenant, project.id, flag.key, "production", { enabled: true }), 409, "approval_required");
    await expectError(
      call(`/projects/${project.id}/flags/${flag.key}/environments/production?dry_run=true`, { token: tenant.key, method: "PATCH", body: { enabled: true } }),
      409,
      "approval_required",
    );
    const state = await json(call(`/projects/${project.id}/flags/${flag.key}/environments/production`, { token: tenant.key }), 200);
    expect(state).toMatchObject({ enabled: false, version: 1 });
    await json(patchState(tenant, project.id, flag.key, "development", { enabled: true }), 200);
    await requireApproval(tenant, project.id, "production", false);
    expect(await json(patchState(tenant, project.id, flag.key, "production", { enabled: true }), 200)).toMatchObject({ enabled: true, version: 2 });
  });
});
