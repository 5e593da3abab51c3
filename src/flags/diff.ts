// What one write did to a flag, as the events it emits (CONTRACT.md, "Changes and the code-like text").
// Pure: the ProjectDO calls it between reading the flag and committing, so the changes it returns are
// exactly the ones the webhook bodies carry. Versions and timestamps are bookkeeping, never changes.
import { renderCodeLike } from "./code-like";
import type { ChangeEvent, Condition, Flag, FlagState, RollgateEvent, Sharing, TgglChange, Variation } from "./model";
import { derivedId, toTgglCondition, toTgglTag, toTgglVariation } from "./tggl";
import type { Environment } from "../kernel/project-scope";
import { canonicalJson } from "../kernel/json";

/** Flag-level events render this environment: `production`, or the first one if there is none. */
export function renderedEnvironment(environments: Environment[]): Environment | null {
  return environments.find((e) => e.key === "production") ?? environments[0] ?? null;
}

/**
 * The events of one write, in the order they are delivered: the flag-level event first, then, per
 * environment in `environments` order, `flag.toggled` before `flag_state.updated`.
 */
export function diffFlag(before: Flag | null, after: Flag | null, environments: Environment[]): ChangeEvent[] {
  const shown = renderedEnvironment(environments);
  if (!before && !after) return [];
  if (!before) return [flagEvent("flag.created", null, after, shown, [{ __typename: "FlagCreated", created: true }])];
  if (!after) return [flagEvent("flag.deleted", before, null, shown, [])];
  const flagChanges = flagLevelChanges(before, after);
  const events = flagChanges.length > 0 ? [flagEvent("flag.updated", before, after, shown, flagChanges)] : [];
  return [...events, ...environments.flatMap((environment) => environmentEvents(before, after, environment))];
}

function flagEvent(event: RollgateEvent, before: Flag | null, after: Flag | null, shown: Environment | null, changes: TgglChange[]): ChangeEvent {
  const current = after ?? before;
  const state = shown && current ? current.environments[shown.key] : undefined;
  return {
    event,
    environment: null,
    enabled: state?.enabled ?? false,
    changes,
    code_like_before: before && shown ? renderCodeLike(before, shown.key) : "",
    code_like_after: after && shown ? renderCodeLike(after, shown.key) : "",
  };
}

function flagLevelChanges(before: Flag, after: Flag): TgglChange[] {
  return [
    ...fieldChange("FlagArchived", "Archived", before.archived, after.archived),
    ...fieldChange("FlagSlugChanged", "Slug", before.key, after.key),
    ...fieldChange("FlagNameChanged", "Name", before.name, after.name),
    ...fieldChange("FlagDescriptionChanged", "Description", before.description, after.description),
    ...sharingChanges(before.sharing, after.sharing),
    ...tagChanges(before.tags, after.tags),
    ...variationChanges(before.variations, after.variations),
  ];
}

function fieldChange<T>(typename: string, field: string, oldValue: T, newValue: T): TgglChange[] {
  if (oldValue === newValue) return [];
  return [{ __typename: typename, [`old${field}`]: oldValue, [`new${field}`]: newValue }];
}

function sharingChanges(before: Sharing, after: Sharing): TgglChange[] {
  if (before.share_with_everyone === after.share_with_everyone && sameJson(before.roles, after.roles)) return [];
  return [
    {
      __typename: "FlagSharingChanged",
      oldShareWithEveryone: before.share_with_everyone,
      newShareWithEveryone: after.share_with_everyone,
      oldRoles: [...before.roles],
      newRoles: [...after.roles],
      addedRoles: after.roles.filter((r) => !before.roles.includes(r)),
      removedRoles: before.roles.filter((r) => !after.roles.includes(r)),
    },
  ];
}

function tagChanges(before: string[], after: string[]): TgglChange[] {
  if (sameJson(before, after)) return [];
  return [
    {
      __typename: "FlagTagsChanged",
      oldTags: before.map(toTgglTag),
      newTags: after.map(toTgglTag),
      addedTags: after.filter((t) => !before.includes(t)).map(toTgglTag),
      removedTags: before.filter((t) => !after.includes(t)).map(toTgglTag),
    },
  ];
}

function variationChanges(before: Variation[], after: Variation[]): TgglChange[] {
  const old = new Map(before.map((v) => [v.id, v]));
  const kept = new Set(after.map((v) => v.id));
  const created = after.filter((v) => !old.has(v.id)).map((v) => ({ __typename: "FlagVariationCreated", variation: toTgglVariation(v) }));
  const deleted = before.filter((v) => !kept.has(v.id)).map((v) => ({ __typename: "FlagVariationDeleted", variation: toTgglVariation(v) }));
  const updated = after.flatMap((v) => {
    const was = old.get(v.id);
    if (!was || was === v || sameJson(toTgglVariation(was), toTgglVariation(v))) return [];
    return [{ __typename: "FlagVariationUpdated", oldVariation: toTgglVariation(was), newVariation: toTgglVariation(v) }];
  });
  return [...created, ...deleted, ...updated];
}

// An environment the flag has no state in on one side (one being added) has nothing to compare.
function environmentEvents(before: Flag, after: Flag, environment: Environment): ChangeEvent[] {
  const old = before.environments[environment.key];
  const now = after.environments[environment.key];
  if (!old || !now) return [];
  const toggled = old.enabled !== now.enabled;
  const served = !sameServing(old, now);
  if (!toggled && !served) return []; // the texts below are rendered only for an environment that changed
  const frame = {
    environment,
    enabled: now.enabled,
    code_like_before: renderCodeLike(before, environment.key),
    code_like_after: renderCodeLike(after, environment.key),
  };
  const events: ChangeEvent[] = [];
  if (toggled) {
    events.push({ event: "flag.toggled", ...frame, changes: [{ __typename: "FlagActivated", oldActive: old.enabled, newActive: now.enabled }] });
  }
  if (served) {
    const changes = [...defaultVariationChange(before, old, after, now), ...conditionChanges(before, after, environment.key)];
    events.push({ event: "flag_state.updated", ...frame, changes });
  }
  return events;
}

// Everything a state serves apart from `enabled`. One change has no Tggl counterpart: the rollout
// variation at 100%, which is no condition; it still emits `flag_state.updated` (its code-like text
// shows the change), with an empty `changes`.
function sameServing(old: FlagState, now: FlagState): boolean {
  const serving = ({ enabled, version, ...rest }: FlagState) => rest;
  return sameJson(serving(old), serving(now));
}

function defaultVariationChange(before: Flag, old: FlagState, after: Flag, now: FlagState): TgglChange[] {
  if (old.default_variation_id === now.default_variation_id) return [];
  const variation = (flag: Flag, id: string) => {
    const found = flag.variations.find((v) => v.id === id);
    return found ? toTgglVariation(found) : null;
  };
  return [
    {
      __typename: "FlagDefaultVariationChanged",
      oldVariation: variation(before, old.default_variation_id),
      newVariation: variation(after, now.default_variation_id),
    },
  ];
}

/**
 * Conditions matched by id, the rollout among them. A condition is updated when its name, variation
 * or rules change, or when it moves relative to the conditions present on both sides (a reorder is
 * a change too, and moves caused only by others being added or removed are not).
 */
function conditionChanges(before: Flag, after: Flag, envKey: string): TgglChange[] {
  const old = tgglView(before, envKey);
  const now = tgglView(after, envKey);
  const oldById = new Map(old.map((c) => [c.id, c]));
  const nowIds = new Set(now.map((c) => c.id));
  const oldRank = rankAmong(old, nowIds);
  const nowRank = rankAmong(now, new Set(oldById.keys()));
  const tggl = (flag: Flag, condition: Condition, order: number) => toTgglCondition(condition, order, flag.variations);
  const created = now.filter((c) => !oldById.has(c.id)).map((c) => ({ __typename: "FlagConditionCreated", condition: tggl(after, c, now.indexOf(c)) }));
  const deleted = old.filter((c) => !nowIds.has(c.id)).map((c) => ({ __typename: "FlagConditionDeleted", condition: tggl(before, c, old.indexOf(c)) }));
  const updated = now.flatMap((c) => {
    const was = oldById.get(c.id);
    if (!was || (sameCondition(was, c) && oldRank.get(c.id) === nowRank.get(c.id))) return [];
    return [{ __typename: "FlagConditionUpdated", oldCondition: tggl(before, was, old.indexOf(was)), newCondition: tggl(after, c, now.indexOf(c)) }];
  });
  return [...created, ...deleted, ...updated];
}

/** The environment's conditions as Tggl sees them: ours, then the rollout when it is below 100%. */
function tgglView(flag: Flag, envKey: string): Condition[] {
  const state = flag.environments[envKey];
  if (state.rollout_percentage >= 100) return state.conditions;
  return [...state.conditions, rolloutCondition(flag.id, envKey, state)];
}

/** The rollout as a condition; its ids are derived so the same rollout keeps them from event to event. */
export function rolloutCondition(flagId: string, envKey: string, state: FlagState): Condition {
  const scope = `${flagId}/${envKey}`;
  return {
    id: derivedId("rollout-condition", scope),
    name: "Rollout",
    variation_id: state.rollout_variation_id,
    rules: [{ id: derivedId("rollout-rule", scope), property: "userId", operator: "PERCENTAGE", range_start: 0, range_end: state.rollout_percentage }],
  };
}

function rankAmong(conditions: Condition[], shared: Set<string>): Map<string, number> {
  return new Map(conditions.filter((c) => shared.has(c.id)).map((c, i) => [c.id, i]));
}

function sameCondition(a: Condition, b: Condition): boolean {
  return sameJson({ name: a.name, variation_id: a.variation_id, rules: a.rules }, { name: b.name, variation_id: b.variation_id, rules: b.rules });
}

/** Deep equality of JSON data, blind to key order and to keys holding `undefined`. */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const x = canonicalJson(a);
  return x !== null && x === canonicalJson(b);
}
