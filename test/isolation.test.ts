// Cross-organization isolation: a key never sees, nor changes, another organization's data. Every
// route under a project or an organization webhook answers another organization's resource exactly
// as it answers one that does not exist: 404, same code, same message.
import { beforeAll, describe, expect, it } from "vitest";
import { call, expectError, json, listEvents, newFlag, newTenant, setup, unknownId, webhookInput, type Tenant } from "./helpers";

interface Owned {
  owner: Tenant;
  projectId: string;
  flagKey: string;
  projectHook: string;
  orgHook: string;
  projectDelivery: string;
  orgDelivery: string;
}

let a: Owned;
let intruder: Tenant;

/** Everything the owner can reach, read back in full: compared before and after the intruder's calls. */
async function ownerView(o: Owned) {
  const read = (path: string) => json(call(path, { token: o.owner.key }), 200);
  const p = `/projects/${o.projectId}`;
  return {
    projects: await read("/projects"),
    project: await read(p),
    flags: await read(`${p}/flags`),
    events: await listEvents(o.owner, o.projectId),
    projectHooks: await read(`${p}/webhooks`),
    orgHooks: await read("/webhooks"),
    projectDeliveries: (await read(`${p}/webhooks/${o.projectHook}/deliveries`)).data.length,
    orgDeliveries: (await read(`/webhooks/${o.orgHook}/deliveries`)).data.length,
  };
}

beforeAll(async () => {
  const { tenant, project } = await setup();
  await newFlag(tenant, project.id, { key: "secret-flag" });
  const projectHook = await json(call(`/projects/${project.id}/webhooks`, { token: tenant.key, body: webhookInput({ name: "project hook" }) }), 201);
  const orgHook = await json(call("/webhooks", { token: tenant.key, body: webhookInput({ name: "org hook" }) }), 201);
  // A test call leaves a delivery behind, for the delivery routes.
  await json(call(`/projects/${project.id}/webhooks/${projectHook.id}/test`, { token: tenant.key, method: "POST" }), 200);
  await json(call(`/webhooks/${orgHook.id}/test`, { token: tenant.key, method: "POST" }), 200);
  const [projectDelivery] = (await json(call(`/projects/${project.id}/webhooks/${projectHook.id}/deliveries`, { token: tenant.key }), 200)).data;
  const [orgDelivery] = (await json(call(`/webhooks/${orgHook.id}/deliveries`, { token: tenant.key }), 200)).data;
  a = {
    owner: tenant,
    projectId: project.id,
    flagKey: "secret-flag",
    projectHook: projectHook.id,
    orgHook: orgHook.id,
    projectDelivery: projectDelivery.id,
    orgDelivery: orgDelivery.id,
  };
  intruder = await newTenant("Intruder");
  // The intruder has resources of its own with the same keys, so a lookup by key alone would find them.
  const own = await json(call("/projects", { token: intruder.key, body: { key: "web", name: "Mine" } }), 201);
  await newFlag(intruder, own.id, { key: "secret-flag" });
});

type Route = [method: string, path: (o: Owned) => string, body?: unknown];

const projectRoutes: Route[] = [
  ["GET", (o) => `/projects/${o.projectId}`],
  ["POST", (o) => `/projects/${o.projectId}/environments`, { key: "staging", name: "Staging" }],
  ["GET", (o) => `/projects/${o.projectId}/flags`],
  ["POST", (o) => `/projects/${o.projectId}/flags`, { key: "planted", name: "Planted" }],
  ["GET", (o) => `/projects/${o.projectId}/flags/${o.flagKey}`],
  ["PATCH", (o) => `/projects/${o.projectId}/flags/${o.flagKey}`, { name: "Hijacked" }],
  ["DELETE", (o) => `/projects/${o.projectId}/flags/${o.flagKey}`],
  ["GET", (o) => `/projects/${o.projectId}/flags/${o.flagKey}/environments/production`],
  ["PATCH", (o) => `/projects/${o.projectId}/flags/${o.flagKey}/environments/production`, { enabled: true }],
  ["GET", (o) => `/projects/${o.projectId}/events`],
  ["GET", (o) => `/projects/${o.projectId}/webhooks`],
  ["POST", (o) => `/projects/${o.projectId}/webhooks`, webhookInput()],
  ["GET", (o) => `/projects/${o.projectId}/webhooks/${o.projectHook}`],
  ["PATCH", (o) => `/projects/${o.projectId}/webhooks/${o.projectHook}`, { enabled: false }],
  ["DELETE", (o) => `/projects/${o.projectId}/webhooks/${o.projectHook}`],
  ["POST", (o) => `/projects/${o.projectId}/webhooks/${o.projectHook}/test`],
  ["GET", (o) => `/projects/${o.projectId}/webhooks/${o.projectHook}/deliveries`],
  ["GET", (o) => `/projects/${o.projectId}/webhooks/${o.projectHook}/deliveries/${o.projectDelivery}`],
  ["POST", (o) => `/projects/${o.projectId}/webhooks/${o.projectHook}/deliveries/${o.projectDelivery}/redeliver`],
];

const orgWebhookRoutes: Route[] = [
  ["GET", (o) => `/webhooks/${o.orgHook}`],
  ["PATCH", (o) => `/webhooks/${o.orgHook}`, { enabled: false }],
  ["DELETE", (o) => `/webhooks/${o.orgHook}`],
  ["POST", (o) => `/webhooks/${o.orgHook}/test`],
  ["GET", (o) => `/webhooks/${o.orgHook}/deliveries`],
  ["GET", (o) => `/webhooks/${o.orgHook}/deliveries/${o.orgDelivery}`],
  ["POST", (o) => `/webhooks/${o.orgHook}/deliveries/${o.orgDelivery}/redeliver`],
];

/** The same route with every id replaced by one that exists nowhere. */
function nowhere(o: Owned): Owned {
  return { ...o, projectId: unknownId(), projectHook: unknownId(), orgHook: unknownId(), projectDelivery: unknownId(), orgDelivery: unknownId() };
}

describe("another organization's resources", () => {
  it.each(
    [...projectRoutes, ...orgWebhookRoutes].map(
      (r) =>
        [
          `${r[0]} ${r[1]({ projectId: "{projectId}", flagKey: "{flagKey}", projectHook: "{webhookId}", orgHook: "{webhookId}", projectDelivery: "{deliveryId}", orgDelivery: "{deliveryId}" } as Owned)}`,
          r,
        ] as const,
    ),
  )("%s answers 404 exactly like an unknown one, and changes nothing", async (_, [method, path, body]) => {
    const before = await ownerView(a);
    const theirs = await expectError(call(path(a), { token: intruder.key, method, body }), 404, "not_found");
    const missing = await expectError(call(path(nowhere(a)), { token: intruder.key, method, body }), 404, "not_found");
    expect(theirs.error.message).toBe(missing.error.message);
    expect(await ownerView(a)).toEqual(before);
  });

  it("never lists them", async () => {
    const projects = await json(call("/projects", { token: intruder.key }), 200);
    expect(projects.data.map((p: { id: string }) => p.id)).not.toContain(a.projectId);
    expect(projects.data).toHaveLength(1);
    const hooks = await json(call("/webhooks", { token: intruder.key }), 200);
    expect(hooks.data).toEqual([]);
  });

  it("stay the owner's: the owner still reads every one of them", async () => {
    const view = await ownerView(a);
    expect(view.flags.data.map((f: { key: string; name: string }) => [f.key, f.name])).toEqual([["secret-flag", "New Checkout"]]);
    expect(view.project.environments.map((e: { key: string }) => e.key)).toEqual(["development", "production"]);
    expect(view.projectHooks.data.map((h: { id: string; enabled: boolean }) => [h.id, h.enabled])).toEqual([[a.projectHook, true]]);
    expect(view.orgHooks.data.map((h: { id: string }) => h.id)).toEqual([a.orgHook]);
    expect(view.events.map((e) => e.event)).toEqual(["flag.created"]);
  });

  it("are not reachable through the intruder's own project either", async () => {
    const own = (await json(call("/projects", { token: intruder.key }), 200)).data[0];
    await expectError(call(`/projects/${own.id}/webhooks/${a.projectHook}`, { token: intruder.key }), 404, "not_found");
    await expectError(call(`/projects/${own.id}/webhooks/${a.orgHook}`, { token: intruder.key }), 404, "not_found");
    await expectError(call(`/webhooks/${a.projectHook}`, { token: a.owner.key }), 404, "not_found");
  });
});
