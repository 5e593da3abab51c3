// Revert (CONTRACT.md v1.2, "A way back"): the fields one revision changed, set back to what they
// were before it, as one new change of the same flag. `revertedFlag` is pure: from the revision's
// record, the records of the later revisions of that flag and the flag as it is now, it answers the
// flag as it would be, or why it cannot be. `planRevert` reads those from the writer's state, like
// the other plans (plans.ts), and writes nothing.
import { fail, type Result } from "../kernel/errors";
import type { Flag, FlagState } from "../flags/model";
import type { Environment } from "../kernel/project-scope";
import type { Planned } from "./plans";
import type { ProjectState } from "./project-state";
import { fieldNames, type RevisionChange } from "./revision-fields";

/** What the writer holds for a revert: the revision's record and the later ones of its flag, oldest first. */
export interface RevertRecords {
  target: RevisionChange | undefined;
  later: RevisionChange[];
}

/** Whether an environment requires approval: a state change there goes through a change request. */
export type ApprovalRule = (envKey: string) => boolean;

/** The environments whose record says `requires_approval` (CONTRACT.md v1.2, "Changes that need a second person"). */
export function approvalRule(environments: readonly Environment[]): ApprovalRule {
  const required = new Set(environments.filter((e) => e.requires_approval).map((e) => e.key));
  return (envKey) => required.has(envKey);
}

export interface RevertAnswer {
  /** The revision the revert commits as. */
  revision: number;
  reverted: number;
  flag: Flag;
}

/** The flag with the revision's fields set back, versions moved as a write moves them. */
export function revertedFlag(revision: number, records: RevertRecords, current: Flag | null, now: string): Result<{ flag: Flag }> {
  const { target, later } = records;
  if (!target) return fail("not_revertible", `revision ${revision} was made before Flagpost kept what each revision changed, so it cannot be reverted`);
  if (target.kind !== "updated")
    return fail("not_revertible", `revision ${revision} ${target.kind} flag "${target.flagKey}"; only a change of a flag can be reverted`, {
      revision,
      kind: target.kind,
    });
  if (!fieldNames(target.before).length)
    return fail("not_revertible", `revision ${revision} changed no field that a revert could set back`, { revision, kind: target.kind });
  const deleted = later.find((r) => r.kind === "deleted");
  if (deleted) return conflict(revision, deleted.revision, [], `revision ${deleted.revision} deleted flag "${deleted.flagKey}" since`);
  const fields = new Set(fieldNames(target.before));
  for (const r of later) {
    const overlap = fieldNames(r.before).filter((f) => fields.has(f));
    if (overlap.length) return conflict(revision, r.revision, overlap, `revision ${r.revision} changed ${overlap.join(", ")} since`);
  }
  if (!current || current.id !== target.flagId) return conflict(revision, null, [], `flag "${target.flagKey}" is no longer there`);
  return { ok: true, flag: restore(current, target, now) };
}

function restore(current: Flag, target: RevisionChange, now: string): Flag {
  const { flag: fields, environments } = target.before;
  const flagChanged = Object.keys(fields).length > 0;
  const states: Record<string, FlagState> = { ...current.environments };
  for (const [envKey, old] of Object.entries(environments)) {
    const state = current.environments[envKey];
    if (state) states[envKey] = { ...state, ...old, version: state.version + 1 };
  }
  return { ...current, ...fields, version: flagChanged ? current.version + 1 : current.version, environments: states, updated_at: now };
}

function conflict(revision: number, later: number | null, fields: string[], why: string) {
  return fail("revert_conflict", `revision ${revision} cannot be reverted: ${why}`, { revision: later, fields });
}

/** Refusals a write would get for the flag as restored: a variation a state names that is gone, a key taken. */
function refusalOf(flag: Flag): Result<object> {
  const ids = new Set(flag.variations.map((v) => v.id));
  const missing = Object.entries(flag.environments).flatMap(([envKey, s]) => {
    const refs = [s.rollout_variation_id, s.default_variation_id, ...s.conditions.map((c) => c.variation_id)];
    return refs
      .filter((id) => !ids.has(id))
      .map((id) => ({ field: `environments.${envKey}`, message: `names variation ${id}, which the flag would no longer have` }));
  });
  if (missing.length) return fail("unprocessable", "after the revert a flag state would name a variation the flag does not have", missing);
  return { ok: true };
}

/** The revert as a change planned against the writer's state (nothing written). */
export async function planRevert(
  state: ProjectState,
  revision: number,
  records: RevertRecords,
  requiresApproval: ApprovalRule,
): Promise<Planned<RevertAnswer>> {
  if (revision < 1 || revision > state.project.revision) return fail("not_found", `no revision ${revision}`);
  const key = (records.later.at(-1) ?? records.target)?.flagKey;
  const current = key ? await state.flag(key) : null;
  const reverted = revertedFlag(revision, records, current, new Date().toISOString());
  if (!reverted.ok) return reverted;
  const after = reverted.flag;
  const before = current!;
  const approval = Object.keys(records.target!.before.environments).filter(requiresApproval);
  if (approval.length)
    return fail("approval_required", `${approval.join(", ")} requires approval: propose the change there as a change request`, { environments: approval });
  const refused = refusalOf(after);
  if (!refused.ok) return refused;
  if (after.key !== before.key && (await state.flag(after.key))) return fail("conflict", `a flag with key "${after.key}" already exists`);
  return { ok: true, change: { before, after }, answer: { revision: state.project.revision + 1, reverted: revision, flag: after } };
}
