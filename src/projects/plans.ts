// Plans: what a write would change, read from the project's state (flags are read through it, from
// memory or D1), writing nothing. ProjectDO hands a plan to the group commit, which applies the
// change to the state and commits it; a dry run can run the same plan and stop there.
import { fail, type Result } from "../kernel/errors";
import { createFlag, updateFlag, updateFlagState } from "../flags/commands";
import type { Flag, FlagState } from "../flags/model";
import type { CreateFlagInput, UpdateFlagInput, UpdateFlagStateInput } from "../flags/schemas";
import type { FlagChange, ProjectState } from "./project-state";

/** What a write would do: the change (null: none) and the answer its caller gets once it is durable. */
export type Planned<T> = Result<{ change: FlagChange | null; answer: T }>;

export async function planCreateFlag(state: ProjectState, input: CreateFlagInput): Promise<Planned<{ flag: Flag }>> {
  if (await state.flag(input.key)) return fail("conflict", `a flag with key "${input.key}" already exists`);
  const created = createFlag(
    input,
    state.project.environments.map((e) => e.key),
    crypto.randomUUID(),
    new Date().toISOString(),
  );
  if (!created.ok) return created;
  return { ok: true, change: { before: null, after: created.flag }, answer: { flag: created.flag } };
}

export async function planUpdateFlag(state: ProjectState, flagKey: string, patch: UpdateFlagInput, expected?: number): Promise<Planned<{ flag: Flag }>> {
  const before = await state.flag(flagKey);
  if (!before) return fail("not_found", `no flag "${flagKey}"`);
  if (expected !== undefined && expected !== before.version) return fail("version_conflict", `the flag is at version ${before.version}, not ${expected}`);
  if (patch.key !== undefined && patch.key !== before.key && (await state.flag(patch.key)))
    return fail("conflict", `a flag with key "${patch.key}" already exists`);
  const result = updateFlag(before, patch, new Date().toISOString());
  if (!result.ok) return result;
  return { ok: true, change: result.changed ? { before, after: result.flag } : null, answer: { flag: result.flag } };
}

export async function planUpdateFlagState(
  state: ProjectState,
  flagKey: string,
  envKey: string,
  patch: UpdateFlagStateInput,
  expected?: number,
): Promise<Planned<{ state: FlagState }>> {
  const before = await state.flag(flagKey);
  if (!before?.environments[envKey]) return fail("not_found", before ? `no environment "${envKey}"` : `no flag "${flagKey}"`);
  if (expected !== undefined && expected !== before.environments[envKey].version)
    return fail("version_conflict", `the state is at version ${before.environments[envKey].version}, not ${expected}`);
  const result = updateFlagState(before, envKey, patch, new Date().toISOString());
  if (!result.ok) return result;
  return { ok: true, change: result.changed ? { before, after: result.flag } : null, answer: { state: result.flag.environments[envKey] } };
}

export async function planDeleteFlag(state: ProjectState, flagKey: string, expected?: number): Promise<Planned<{ flag: Flag }>> {
  const before = await state.flag(flagKey);
  if (!before) return fail("not_found", `no flag "${flagKey}"`);
  if (expected !== undefined && expected !== before.version) return fail("version_conflict", `the flag is at version ${before.version}, not ${expected}`);
  return { ok: true, change: { before, after: null }, answer: { flag: before } };
}
