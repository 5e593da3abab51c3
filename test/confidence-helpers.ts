// Fixtures for schedules and change requests, through the public API.
import { ADMIN_TOKEN, call, json, type Tenant } from "./helpers";

/** Turns an environment's requires_approval on (or off). */
export async function requireApproval(t: { key: string }, projectId: string, envKey = "production", on = true) {
  return json(call(`/projects/${projectId}/environments/${envKey}`, { token: t.key, method: "PATCH", body: { requires_approval: on } }), 200);
}

/** Another user of the same organization, with an API key: a reviewer. */
export async function secondUser(t: Tenant): Promise<Tenant> {
  const email = `reviewer-${crypto.randomUUID().slice(0, 8)}@example.com`;
  const user = await json(call(`/admin/orgs/${t.orgId}/users`, { token: ADMIN_TOKEN, body: { email, name: "Reviewer" } }), 201);
  const key = await json(call(`/admin/users/${user.id}/api-keys`, { token: ADMIN_TOKEN, body: { name: "review" } }), 201);
  return { orgId: t.orgId, userId: user.id, email, key: key.key };
}

export function openRequest(t: Tenant, projectId: string, flagKey: string, body: Record<string, unknown>, envKey = "production") {
  return call(`/projects/${projectId}/flags/${flagKey}/environments/${envKey}/change-requests`, { token: t.key, body });
}

export function transition(t: Tenant, projectId: string, id: string, action: "approve" | "apply" | "close") {
  return call(`/projects/${projectId}/change-requests/${id}/${action}`, { token: t.key, method: "POST" });
}
