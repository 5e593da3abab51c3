// Applying a write to a flag, purely: (flag as it is, input) → flag as it will be, or why not.
// Versions move here: a write that changes something adds exactly 1; one that changes nothing, 0.
import { fail, type Result } from "../kernel/errors";
import type { Condition, Flag, FlagState, FlagType, Rule, Variation } from "./model";
import type { ConditionInput, CreateFlagInput, UpdateFlagInput, UpdateFlagStateInput, VariationInput } from "./schemas";
import { canonicalJson } from "../kernel/json";

const PALETTE = ["#22c55e", "#ef4444", "#3b82f6", "#f59e0b", "#a855f7", "#14b8a6", "#ec4899", "#64748b"];

type Outcome = Result<{ flag: Flag; changed: boolean }>;

export function newFlagState(variations: Variation[]): FlagState {
  const rollout = variations.find((v) => v.active) ?? variations[0];
  return {
    enabled: false,
    rollout_percentage: 100,
    rollout_variation_id: rollout.id,
    conditions: [],
    default_variation_id: variations[variations.length - 1].id,
    version: 1,
  };
}

export function createFlag(input: CreateFlagInput, envKeys: string[], id: string, now: string): Result<{ flag: Flag }> {
  const variationInputs: VariationInput[] = input.variations ?? defaultVariations(input.type) ?? [];
  if (variationInputs.length === 0)
    return fail("validation_failed", "request validation failed", [{ field: "variations", message: `a ${input.type} flag needs at least one variation` }]);
  const variations = buildVariations(variationInputs, [], input.type);
  if (!variations.ok) return variations;
  const state = newFlagState(variations.variations);
  const flag: Flag = {
    id,
    key: input.key,
    name: input.name,
    description: input.description,
    type: input.type,
    tags: unique(input.tags),
    variations: variations.variations,
    archived: false,
    sharing: input.sharing ?? { share_with_everyone: true, roles: [] },
    version: 1,
    environments: Object.fromEntries(envKeys.map((k) => [k, { ...state }])),
    created_at: now,
    updated_at: now,
  };
  return { ok: true, flag };
}

function defaultVariations(type: FlagType): VariationInput[] | null {
  if (type !== "boolean") return null;
  return [
    { name: "Live", description: "", color: PALETTE[0], active: true, value: true },
    { name: "Off", description: "", color: PALETTE[1], active: false, value: false },
  ];
}

function buildVariations(inputs: VariationInput[], current: Variation[], type: FlagType): Result<{ variations: Variation[] }> {
  const known = new Map(current.map((v) => [v.id, v]));
  const bad = inputs.flatMap((v, i) => (valueMatchesType(v.value, type) ? [] : [{ field: `variations.${i}.value`, message: `must be a ${type} value` }]));
  const unknownIds = inputs.flatMap((v, i) => (v.id && !known.has(v.id) ? [{ field: `variations.${i}.id`, message: "unknown variation id" }] : []));
  // Two entries with one id would become two variations sharing it: states could no longer say which.
  const repeated = inputs.flatMap((v, i) =>
    v.id && inputs.findIndex((w) => w.id === v.id) < i ? [{ field: `variations.${i}.id`, message: "names a variation already listed" }] : [],
  );
  const issues = [...bad, ...unknownIds, ...repeated];
  if (issues.length) return fail("validation_failed", "request validation failed", issues);
  const variations = inputs.map((v, order) => ({
    id: v.id ?? crypto.randomUUID(),
    name: v.name,
    description: v.description,
    color: v.color ?? known.get(v.id ?? "")?.color ?? PALETTE[order % PALETTE.length],
    active: v.active,
    value: v.value ?? null,
    order,
  }));
  return { ok: true, variations };
}

function valueMatchesType(value: unknown, type: FlagType): boolean {
  if (value === undefined) return false;
  if (type === "boolean") return typeof value === "boolean";
  if (type === "string") return typeof value === "string";
  if (type === "number") return typeof value === "number" && Number.isFinite(value);
  return isJsonSafe(value);
}

/** JSON.parse reads 1e400 as Infinity, which would be stored as null: such a value is refused, not altered. */
function isJsonSafe(value: unknown): boolean {
  if (typeof value === "number") return Number.isFinite(value);
  if (value === null || typeof value !== "object") return true;
  return Object.values(value).every(isJsonSafe);
}

export function updateFlag(flag: Flag, patch: UpdateFlagInput, now: string): Outcome {
  const next: Flag = { ...flag };
  if (patch.key !== undefined) next.key = patch.key;
  if (patch.name !== undefined) next.name = patch.name;
  if (patch.description !== undefined) next.description = patch.description;
  if (patch.tags !== undefined) next.tags = unique(patch.tags);
  if (patch.archived !== undefined) next.archived = patch.archived;
  if (patch.sharing !== undefined) next.sharing = { ...patch.sharing, roles: unique(patch.sharing.roles) };
  if (patch.variations !== undefined) {
    const built = buildVariations(patch.variations, flag.variations, flag.type);
    if (!built.ok) return built;
    const inUse = variationsInUse(flag);
    const removed = flag.variations.filter((v) => inUse.has(v.id) && !built.variations.some((b) => b.id === v.id));
    if (removed.length)
      return fail("unprocessable", `variation ${removed.map((v) => `"${v.name}"`).join(", ")} is used by a flag state`, {
        variation_ids: removed.map((v) => v.id),
      });
    next.variations = built.variations;
  }
  const changed = !sameJson(flagFields(flag), flagFields(next));
  return { ok: true, changed, flag: changed ? { ...next, version: flag.version + 1, updated_at: now } : flag };
}

function variationsInUse(flag: Flag): Set<string> {
  const ids = new Set<string>();
  for (const state of Object.values(flag.environments)) {
    ids.add(state.default_variation_id).add(state.rollout_variation_id);
    for (const c of state.conditions) ids.add(c.variation_id);
  }
  return ids;
}

export function updateFlagState(flag: Flag, envKey: string, patch: UpdateFlagStateInput, now: string): Outcome {
  const state = flag.environments[envKey];
  const next: FlagState = { ...state };
  if (patch.enabled !== undefined) next.enabled = patch.enabled;
  if (patch.rollout_percentage !== undefined) next.rollout_percentage = patch.rollout_percentage;
  if (patch.rollout_variation_id !== undefined) next.rollout_variation_id = patch.rollout_variation_id;
  if (patch.default_variation_id !== undefined) next.default_variation_id = patch.default_variation_id;
  if (patch.conditions !== undefined) next.conditions = buildConditions(patch.conditions, state.conditions);
  const unknown = unknownVariationRefs(flag, next);
  if (unknown.length) return fail("unprocessable", "the state names a variation this flag does not have", unknown);
  const changed = !sameJson({ ...state, version: 0 }, { ...next, version: 0 });
  if (!changed) return { ok: true, changed, flag };
  return {
    ok: true,
    changed,
    flag: { ...flag, updated_at: now, environments: { ...flag.environments, [envKey]: { ...next, version: state.version + 1 } } },
  };
}

/** Ids are the server's: a known id is kept, anything else gets a new one. */
function buildConditions(inputs: ConditionInput[], current: Condition[]): Condition[] {
  const knownConditions = new Map(current.map((c) => [c.id, c]));
  return inputs.map((input) => {
    const existing = input.id ? knownConditions.get(input.id) : undefined;
    const knownRules = new Set(existing?.rules.map((r) => r.id) ?? []);
    return {
      id: existing?.id ?? crypto.randomUUID(),
      name: input.name,
      variation_id: input.variation_id,
      rules: input.rules.map((r) => ({ ...r, id: r.id && knownRules.has(r.id) ? r.id : crypto.randomUUID() }) as Rule),
    };
  });
}

function unknownVariationRefs(flag: Flag, state: FlagState) {
  const ids = new Set(flag.variations.map((v) => v.id));
  const refs = [
    { field: "rollout_variation_id", id: state.rollout_variation_id },
    { field: "default_variation_id", id: state.default_variation_id },
    ...state.conditions.map((c, i) => ({ field: `conditions.${i}.variation_id`, id: c.variation_id })),
  ];
  return refs.filter((r) => !ids.has(r.id)).map((r) => ({ field: r.field, message: `unknown variation ${r.id}` }));
}

export function addEnvironment(flag: Flag, envKey: string): Flag {
  return { ...flag, environments: { ...flag.environments, [envKey]: newFlagState(flag.variations) } };
}

function flagFields(flag: Flag) {
  const { key, name, description, tags, archived, sharing, variations } = flag;
  return { key, name, description, tags, archived, sharing, variations };
}

function unique(list: string[]): string[] {
  return [...new Set(list)];
}

/** Equal as JSON, whatever the order of object keys (a body may list a rule's fields in any order). */
function sameJson(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}
