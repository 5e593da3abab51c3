// State patches that were decided earlier and are applied now by the writer: a schedule at its time,
// an approved change request (by hand or at its `apply_at`). Each is planned like a person's state
// PATCH (plans.ts), against the state as it is then, after checks of its own: the schedule still
// waiting and the request still approved (read from D1 when the change is staged, so a cancel or a
// close that came first wins), the flag still the same flag, and for a request the state still at
// the version it was proposed against.
import { fail, type ErrorCode } from "../kernel/errors";
import type { Db } from "../kernel/app-env";
import type { FlagState } from "../flags/model";
import type { UpdateFlagStateInput } from "../flags/schemas";
import { changeRequestById } from "./change-requests";
import { planUpdateFlagState, type Planned } from "./plans";
import type { ProjectState } from "./project-state";
import { stillScheduled } from "./schedules";

/** A person's state change on an environment that requires approval is refused: a change request does it. */
export function approvalRefusal(state: ProjectState, envKey: string): { ok: false; code: ErrorCode; message: string } | null {
  const environment = state.project.environments.find((e) => e.key === envKey);
  if (!environment?.requires_approval) return null;
  return fail("approval_required", `the environment "${envKey}" requires approval: propose the change as a change request`);
}

export interface LaterWrite {
  flagId: string;
  flagKey: string;
  envKey: string;
  patch: UpdateFlagStateInput;
  /** A schedule: it must still be `scheduled`. */
  scheduleId?: string;
  /** A change request: it must still be `approved`, and the state at `baseVersion`. */
  changeRequest?: { id: string; baseVersion: number };
}

/** The code a later write answers when what it applies was cancelled or closed first: nothing to do, nothing to record. */
export const NO_LONGER_WAITING = "no longer waiting";

export function laterPlan(db: Db, w: LaterWrite): (state: ProjectState) => Promise<Planned<{ state: FlagState }>> {
  return async (state) => {
    if (w.scheduleId && !(await stillScheduled(db, w.scheduleId))) return fail("conflict", NO_LONGER_WAITING);
    if (w.changeRequest) {
      const request = await changeRequestById(db, w.changeRequest.id);
      if (request?.status !== "approved")
        return fail("conflict", request?.status === "open" ? "the change request is not approved yet" : `the change request is ${request?.status ?? "gone"}`);
    }
    const flag = await state.flag(w.flagKey);
    if (!flag || flag.id !== w.flagId) return fail("not_found", `the flag "${w.flagKey}" no longer exists (deleted or renamed)`);
    const current = flag.environments[w.envKey];
    if (!current) return fail("not_found", `the environment "${w.envKey}" no longer exists`);
    if (w.changeRequest && current.version !== w.changeRequest.baseVersion)
      return fail(
        "stale_change_request",
        `the state moved since the request was proposed: it was at version ${w.changeRequest.baseVersion}, it is at ${current.version}`,
      );
    if (!w.changeRequest) {
      const refused = approvalRefusal(state, w.envKey);
      if (refused) return fail(refused.code, `the environment "${w.envKey}" now requires approval`);
    }
    return planUpdateFlagState(state, w.flagKey, w.envKey, w.patch);
  };
}
