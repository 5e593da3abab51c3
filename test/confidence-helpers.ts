// Fixtures for schedules and change requests, through the public API.
import { call, json } from "./helpers";

/** Turns an environment's requires_approval on (or off). */
export async function requireApproval(t: { key: string }, projectId: string, envKey = "production", on = true) {
  return json(call(`/projects/${projectId}/environments/${envKey}`, { token: t.key, method: "PATCH", body: { requires_approval: on } }), 200);
}
