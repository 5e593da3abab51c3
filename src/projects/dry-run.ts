// A write's dry run and a state change's preview, for ProjectDO. Both are the write's own plan
// (plans.ts: the same refusals and commands), staged in order like any change so they see
// every change queued before them, but with no change to commit; then the same diff and the same
// webhook predicate as the commit (outbound/matching.ts). Nothing is applied to the writer's state,
// batched, counted in the revision or sent. Ids a dry run creates (a new flag's, a new condition's)
// are not reserved.
import type { Result } from "../kernel/errors";
import { diffFlag } from "../flags/diff";
import type { ChangeEvent, Flag, FlagState, TgglChange } from "../flags/model";
import type { CreateFlagInput, UpdateFlagInput, UpdateFlagStateInput } from "../flags/schemas";
import type { ServedFlag } from "../flags/compile";
import { matchingWebhooks, type MatchedWebhook } from "../outbound/matching";
import { planCreateFlag, planDeleteFlag, planUpdateFlag, planUpdateFlagState } from "./plans";
import type { FlagChange, ProjectState } from "./project-state";
import type { Environment } from "../kernel/project-scope";

/** The four flag writes, as their routes hand them to the writer. */
export type FlagWrite =
  | { kind: "create"; input: CreateFlagInput }
  | { kind: "update"; flagKey: string; patch: UpdateFlagInput; expected?: number }
  | { kind: "delete"; flagKey: string; expected?: number }
  | { kind: "state"; flagKey: string; envKey: string; patch: UpdateFlagStateInput; expected?: number };

/** Where a dry run's events would go: the project, its organization and its environments. */
export interface DryRunScope {
  orgId: string;
  projectId: string;
  environments: Environment[];
}

/** A write worked out but not committed: the change (null: it would change nothing) and what the route would answer. */
export interface PlannedWrite {
  change: FlagChange | null;
  /** The flag (create, PATCH), the state (state PATCH), or null (DELETE: the flag would be gone). */
  result: Flag | FlagState | null;
}

/** The write's own plan, with the answer its route would give. */
export async function planWrite(state: ProjectState, write: FlagWrite): Promise<Result<PlannedWrite>> {
  if (write.kind === "state") {
    const planned = await planUpdateFlagState(state, write.flagKey, write.envKey, write.patch, write.expected);
    return planned.ok ? { ok: true, change: planned.change, result: planned.answer.state } : planned;
  }
  const planned =
    write.kind === "create"
      ? await planCreateFlag(state, write.input)
      : write.kind === "update"
        ? await planUpdateFlag(state, write.flagKey, write.patch, write.expected)
        : await planDeleteFlag(state, write.flagKey, write.expected);
  if (!planned.ok) return planned;
  return { ok: true, change: planned.change, result: write.kind === "delete" ? null : planned.answer.flag };
}

export interface DryRunEvent {
  event: ChangeEvent["event"];
  environment: Environment | null;
  changes: TgglChange[];
  code_like_before: string;
  code_like_after: string;
  webhooks: MatchedWebhook[];
}

/** What a dry run's `result` is for each kind of write. */
export type DryRunResult<K extends FlagWrite["kind"]> = K extends "state" ? FlagState : K extends "delete" ? null : Flag;

export interface DryRun {
  dry_run: true;
  result: Flag | FlagState | null;
  events: DryRunEvent[];
}

/** The events the write would emit, each with the webhooks that would get it now. Reads only. */
export async function dryRunOf(d1: D1Database, scope: DryRunScope, plan: PlannedWrite): Promise<DryRun> {
  const events = plan.change ? diffFlag(plan.change.before, plan.change.after, scope.environments) : [];
  const targets = events.map((e) =>
    matchingWebhooks(d1, { orgId: scope.orgId, projectId: scope.projectId, event: e.event, envKey: e.environment?.key ?? null }),
  );
  const matched = targets.length ? await d1.batch<MatchedWebhook>(targets) : [];
  return {
    dry_run: true,
    result: plan.result,
    events: events.map((e, i) => ({
      event: e.event,
      environment: e.environment && { id: e.environment.id, key: e.environment.key, name: e.environment.name },
      changes: e.changes,
      code_like_before: e.code_like_before,
      code_like_after: e.code_like_after,
      webhooks: matched[i].results.map((w) => ({ id: w.id, name: w.name, format: w.format })),
    })),
  };
}

/** A state change's two sides, as the evaluator reads a served flag. */
export interface StatePreview {
  archived: boolean;
  before: ServedFlag;
  after: ServedFlag;
}

/** The flag before a state PATCH and after it (the same flag when the PATCH would change nothing). */
export function statePreview(before: Flag, after: Flag, envKey: string): StatePreview {
  const served = (flag: Flag): ServedFlag => ({
    id: flag.id,
    key: flag.key,
    version: flag.version,
    variations: flag.variations,
    state: flag.environments[envKey],
  });
  return { archived: before.archived, before: served(before), after: served(after) };
}
