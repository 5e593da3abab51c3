// What the forms of the waiting changes do (requests.tsx draws them): approve, close or apply a change
// request, cancel or make a schedule, protect an environment, and propose a change a protected
// environment refused. Each answers with a redirect that carries a notice code.
import { ApiFailure, type Api } from "../shell/api";
import { formOf, idParam, keyParam, textField, type DashboardContext } from "../shell/context";
import { flagPath } from "./paths";

export const ACTIONS = ["approve", "close", "apply"] as const;

function backOf(form: Awaited<ReturnType<typeof formOf>>, fallback: string): string {
  const back = textField(form, "back");
  return back.startsWith("/dashboard/projects/") && !back.includes("//") ? back : fallback;
}

export async function requestAction(c: DashboardContext) {
  const projectId = idParam(c, "projectId");
  const requestId = idParam(c, "requestId");
  const action = c.req.param("action") as (typeof ACTIONS)[number];
  const form = await formOf(c);
  const back = backOf(form, `/dashboard/projects/${projectId}/change-requests`);
  if (!ACTIONS.includes(action)) return c.redirect(back, 303);
  const notice = await outcome(
    () => c.get("api").send("POST", `/projects/${projectId}/change-requests/${requestId}/${action}`, undefined),
    `request-${action}`,
  );
  return c.redirect(`${back}?notice=${notice}#notice`, 303);
}

export async function cancelSchedule(c: DashboardContext) {
  const projectId = idParam(c, "projectId");
  const form = await formOf(c);
  const back = backOf(form, `/dashboard/projects/${projectId}`);
  const notice = await outcome(
    () => c.get("api").send("DELETE", `/projects/${projectId}/schedules/${idParam(c, "scheduleId")}`, undefined),
    "schedule-cancelled",
  );
  return c.redirect(`${back}?notice=${notice}#notice`, 303);
}

export async function createSchedule(c: DashboardContext) {
  const projectId = idParam(c, "projectId");
  const flagKey = keyParam(c, "flagKey");
  const form = await formOf(c);
  const back = flagPath(projectId, flagKey);
  const patch: Record<string, unknown> = {};
  const enabled = textField(form, "enabled");
  if (enabled === "true" || enabled === "false") patch.enabled = enabled === "true";
  const rollout = textField(form, "rollout_percentage").trim();
  if (rollout) patch.rollout_percentage = Number(rollout);
  const at = Date.parse(`${textField(form, "at")}Z`); // datetime-local, read as UTC
  if (Number.isNaN(at)) return c.redirect(`${back}?notice=schedule-invalid#notice`, 303);
  const env = textField(form, "environment");
  const notice = await outcome(
    () => c.get("api").send("POST", `/projects/${projectId}/flags/${flagKey}/environments/${env}/schedules`, { at: new Date(at).toISOString(), patch }),
    "schedule-created",
  );
  return c.redirect(`${back}?notice=${notice}#notice`, 303);
}

export async function setApproval(c: DashboardContext) {
  const projectId = idParam(c, "projectId");
  const form = await formOf(c);
  const on = textField(form, "requires_approval") === "true";
  await c.get("api").send("PATCH", `/projects/${projectId}/environments/${keyParam(c, "envKey")}`, { requires_approval: on });
  return c.redirect(`/dashboard/projects/${projectId}/change-requests?notice=${on ? "approval-on" : "approval-off"}#notice`, 303);
}

/** Opens a change request for a state patch that a protected environment refused (the toggle, the state editor). */
export async function proposeChange(api: Api, statePath: string, patch: Record<string, unknown>, comment: string): Promise<void> {
  await api.send("POST", `${statePath}/change-requests`, { patch, ...(comment.trim() ? { comment: comment.trim().slice(0, 500) } : {}) });
}

/** The notice code of a request that worked, or of the refusal it got. */
async function outcome(send: () => Promise<unknown>, done: string): Promise<string> {
  try {
    await send();
    return done;
  } catch (err) {
    if (!(err instanceof ApiFailure)) throw err;
    if (err.code === "stale_change_request") return "request-stale";
    if (err.code === "approval_required") return "schedule-needs-approval";
    if (err.status === 403) return "request-own";
    if (err.status === 400 || err.status === 422) return "schedule-invalid";
    if (err.status === 409) return "request-conflict";
    throw err;
  }
}
