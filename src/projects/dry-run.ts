// A write's dry run and a state change's preview, for ProjectDO. Both run where the write would run
// (the writer's exclusive section, on the state it holds) and take the write's own steps: the same
// refusals in the same order, the same pure commands (flags/commands.ts), the same diff, and the
// same webhook predicate as the commit (webhooks/matching.ts). Then they stop: no batch, no revision,
// no queue message. Ids a dry run creates (a new flag's, a new condition's) are not reserved.
import { fail, type Result } from "../errors";
import { createFlag, updateFlag, updateFlagState } from "../flags/commands";
import { diffFlag } from "../flags/diff";
import type { ChangeEvent, Environment, Flag, FlagState, TgglChange } from "../flags/model";
import type { CreateFlagInput, UpdateFlagInput, UpdateFlagStateInput } from "../flags/schemas";
import type { ServedFlag } from "../serve/compile";
import { matchingWebhooks, type MatchedWebhook } from "../webhooks/matching";

/** The four flag writes, as their routes hand them to the writer. */
export type FlagWrite =
  | { kind: "create"; input: CreateFlagInput }
  | { kind: "update"; flagKey: string; patch: UpdateFlagInput; expected?: number }
  | { kind: "delete"; flagKey: string; expected?: number }
  | { kind: "state"; flagKey: string; envKey: string; patch: UpdateFlagStateInput; expected?: number };

/** What the writer holds: its project and, on demand, a flag as it is now. */
export interface WriterView {
  orgId: string;
  projectId: string;
  environments: Environment[];
  flag(key: string): Promise<Flag | null>;
}

/** A write worked out but not committed: the flag before and after, and what the route would answer. */
export interface PlannedWrite {
  before: Flag | null;
  after: Flag | null;
  changed: boolean;
  /** The flag (create, PATCH), the state (state PATCH), or null (DELETE: the flag would be gone). */
  result: Flag | FlagState | null;
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

/** The write's refusals and outcome, as ProjectDO's write methods decide them. */
export async function planWrite(view: WriterView, write: FlagWrite, now: string): Promise<Result<PlannedWrite>> {
  if (write.kind === "create") {
    if (await view.flag(write.input.key)) return fail("conflict", `a flag with key "${write.input.key}" already exists`);
    const created = createFlag(write.input, view.environments.map((e) => e.key), crypto.randomUUID(), now);
    return created.ok ? { ok: true, before: null, after: created.flag, changed: true, result: created.flag } : created;
  }
  const before = await view.flag(write.flagKey);
  if (write.kind === "state") return planState(before, write, now);
  if (!before) return fail("not_found", `no flag "${write.flagKey}"`);
  if (write.expected !== undefined && write.expected !== before.version) return fail("version_conflict", `the flag is at version ${before.version}, not ${write.expected}`);
  if (write.kind === "delete") return { ok: true, before, after: null, changed: true, result: null };
  const { patch } = write;
  if (patch.key !== undefined && patch.key !== before.key && (await view.flag(patch.key))) return fail("conflict", `a flag with key "${patch.key}" already exists`);
  const updated = updateFlag(before, patch, now);
  return updated.ok ? { ok: true, before, after: updated.flag, changed: updated.changed, result: updated.flag } : updated;
}

function planState(before: Flag | null, write: Extract<FlagWrite, { kind: "state" }>, now: string): Result<PlannedWrite> {
  const { envKey, expected } = write;
  if (!before || !before.environments[envKey]) return fail("not_found", before ? `no environment "${envKey}"` : `no flag "${write.flagKey}"`);
  const version = before.environments[envKey].version;
  if (expected !== undefined && expected !== version) return fail("version_conflict", `the state is at version ${version}, not ${expected}`);
  const updated = updateFlagState(before, envKey, write.patch, now);
  return updated.ok ? { ok: true, before, after: updated.flag, changed: updated.changed, result: updated.flag.environments[envKey] } : updated;
}

/** The events the write would emit, each with the webhooks that would get it now. Reads only. */
export async function dryRunOf(d1: D1Database, view: WriterView, plan: PlannedWrite): Promise<DryRun> {
  const events = plan.changed ? diffFlag(plan.before, plan.after, view.environments) : [];
  const targets = events.map((e) => matchingWebhooks(d1, { orgId: view.orgId, projectId: view.projectId, event: e.event, envKey: e.environment?.key ?? null }));
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

export function statePreview(plan: PlannedWrite, envKey: string): StatePreview {
  const served = (flag: Flag): ServedFlag => ({ id: flag.id, key: flag.key, version: flag.version, variations: flag.variations, state: flag.environments[envKey] });
  return { archived: plan.before!.archived, before: served(plan.before!), after: served(plan.after!) };
}
