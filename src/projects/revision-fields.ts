// What one revision changed, field by field: the record revert needs (CONTRACT.md v1.2, "A way
// back"). A revision is one change of one flag (commit.ts stages one FlagChange per revision); for an
// update it keeps the value every changed field had before it, so that setting them back restores
// the flag exactly — the events' Tggl changes cannot always say it (a rollout variation changed at
// 100% has no Tggl counterpart). Pure: commit.ts records it in the revision's own batch.
import { canonicalJson } from "../kernel/json";
import type { Flag, FlagState } from "../flags/model";

/** The flag's own fields a write can change (type, id and the timestamps never change). */
export const FLAG_FIELDS = ["key", "name", "description", "tags", "archived", "sharing", "variations"] as const;
/** A state's fields (its version is bookkeeping). */
export const STATE_FIELDS = ["enabled", "rollout_percentage", "rollout_variation_id", "conditions", "default_variation_id"] as const;

export type FlagField = (typeof FLAG_FIELDS)[number];
export type StateField = (typeof STATE_FIELDS)[number];

/** Values of some fields: the flag's, and per environment key a state's. */
export interface FieldValues {
  flag: Partial<Pick<Flag, FlagField>>;
  environments: Record<string, Partial<Pick<FlagState, StateField>>>;
}

export type RevisionKind = "created" | "updated" | "deleted";

export interface RevisionChange {
  revision: number;
  flagId: string;
  /** The flag's key after the change (before it, for a deletion). */
  flagKey: string;
  kind: RevisionKind;
  /** For an update: each changed field with the value it had before. Empty otherwise. */
  before: FieldValues;
}

/** The record of a change committed as `revision`. */
export function revisionChangeOf({ before, after }: { before: Flag | null; after: Flag | null }, revision: number): RevisionChange {
  const flag = (after ?? before)!;
  const kind: RevisionKind = !before ? "created" : !after ? "deleted" : "updated";
  return { revision, flagId: flag.id, flagKey: flag.key, kind, before: before && after ? changedBefore(before, after) : { flag: {}, environments: {} } };
}

/** The fields that differ between two versions of one flag, with their values in `before`. */
export function changedBefore(before: Flag, after: Flag): FieldValues {
  const flag: FieldValues["flag"] = {};
  for (const field of FLAG_FIELDS) if (!same(before[field], after[field])) Object.assign(flag, { [field]: before[field] });
  const environments: FieldValues["environments"] = {};
  for (const [envKey, old] of Object.entries(before.environments)) {
    const now = after.environments[envKey];
    if (!now) continue;
    const fields: FieldValues["environments"][string] = {};
    for (const field of STATE_FIELDS) if (!same(old[field], now[field])) Object.assign(fields, { [field]: old[field] });
    if (Object.keys(fields).length) environments[envKey] = fields;
  }
  return { flag, environments };
}

/** The fields named, as `name` for the flag's and `<envKey>.<field>` for a state's. */
export function fieldNames(values: FieldValues): string[] {
  return [
    ...Object.keys(values.flag),
    ...Object.entries(values.environments).flatMap(([envKey, fields]) => Object.keys(fields).map((field) => `${envKey}.${field}`)),
  ];
}

function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const x = canonicalJson(a);
  return x !== null && x === canonicalJson(b);
}
