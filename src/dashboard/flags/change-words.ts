// Tggl's typed changes said in the product's words: "rollout 25% → 50%", "turned on", 'condition
// "Beta users" added: userId is one of alice, bob → serves Live'. The rollout travels in webhooks as
// a synthetic condition (CONTRACT.md); here it is a rollout again, told apart by its derived id.
import { derivedId } from "../../flags/tggl";
import type { ChangeLogEntry } from "../shell/resources";
import { OPERATOR_INFO } from "./operators";

type Change = { __typename: string } & Record<string, unknown>;
type TgglVariation = { name: string; value: unknown; active: boolean; color: string; description: string; order: number };
type TgglRule = { order: number; operator: string; params: Record<string, unknown>; contextProperty: { key: string } };
type TgglCondition = { id: string; name: string; order: number; variation: TgglVariation | null; rules: Record<string, TgglRule> };

const quoted = (text: unknown) => `"${String(text ?? "")}"`;
const shortJson = (value: unknown) => {
  const text = typeof value === "string" ? JSON.stringify(value) : (JSON.stringify(value) ?? "null");
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
};
const nameOf = (item: unknown) => (typeof item === "string" ? item : ((item as { name?: string })?.name ?? "?"));
const listOf = (items: unknown) => (Array.isArray(items) && items.length ? items.map(nameOf).join(", ") : "none");

export function ruleWords(rule: TgglRule): string {
  const info = OPERATOR_INFO[rule.operator];
  const label = info?.label ?? rule.operator;
  const p = rule.params ?? {};
  if (Array.isArray(p.values)) {
    const values = p.values as string[];
    const shown = values.slice(0, 5).join(", ") + (values.length > 5 ? ` and ${values.length - 5} more` : "");
    return `${rule.contextProperty.key} ${label} ${shown}`;
  }
  if ("value" in p) return `${rule.contextProperty.key} ${label} ${String(p.value)}`;
  if (rule.operator === "PERCENTAGE") {
    const seed = p.seed !== undefined ? ` (seed ${String(p.seed)})` : "";
    return `${rule.contextProperty.key} in ${String(p.rangeStart)}%–${String(p.rangeEnd)}%${seed}`;
  }
  return `${rule.contextProperty.key} ${label}`;
}

function rulesWords(condition: TgglCondition): string {
  return Object.values(condition.rules ?? {})
    .sort((a, b) => a.order - b.order)
    .map(ruleWords)
    .join(" and ");
}

const serves = (condition: TgglCondition) => (condition.variation ? condition.variation.name : "a deleted variation");
const conditionName = (condition: TgglCondition) => (condition.name ? quoted(condition.name) : `#${condition.order + 1}`);
const rolloutOf = (condition: TgglCondition) => Number(Object.values(condition.rules ?? {})[0]?.params.rangeEnd ?? 100);

function variationUpdate(before: TgglVariation, after: TgglVariation): string {
  const parts: string[] = [];
  if (before.name !== after.name) parts.push(`renamed to ${quoted(after.name)}`);
  const valueChanged = shortJson(before.value) !== shortJson(after.value) || JSON.stringify(before.value) !== JSON.stringify(after.value);
  if (valueChanged) parts.push(`value ${shortJson(before.value)} → ${shortJson(after.value)}`);
  if (before.active !== after.active) parts.push(after.active ? "now active" : "now inactive");
  if (before.color !== after.color) parts.push(`colour ${before.color} → ${after.color}`);
  if (before.description !== after.description) parts.push("description changed");
  if (before.order !== after.order) parts.push(`moved to position ${after.order + 1}`);
  return `variation ${quoted(before.name)}: ${parts.join(", ") || "changed"}`;
}

function conditionUpdate(before: TgglCondition, after: TgglCondition): string {
  const parts: string[] = [];
  if (before.name !== after.name) parts.push(`renamed to ${quoted(after.name)}`);
  const [oldRules, newRules] = [rulesWords(before), rulesWords(after)];
  if (oldRules !== newRules) parts.push(`rules "${oldRules}" → "${newRules}"`);
  if (serves(before) !== serves(after)) parts.push(`serves ${serves(before)} → ${serves(after)}`);
  if (before.order !== after.order) parts.push(`moved from position ${before.order + 1} to ${after.order + 1}`);
  return `condition ${conditionName(before)}: ${parts.join("; ") || "changed"}`;
}

/** Each change of an entry as one phrase. */
export function describeChanges(entry: Pick<ChangeLogEntry, "flag" | "environment" | "changes">): string[] {
  const rolloutId = entry.environment ? derivedId("rollout-condition", `${entry.flag.id}/${entry.environment.key}`) : null;
  const isRollout = (c: unknown) => rolloutId !== null && (c as TgglCondition | null)?.id === rolloutId;
  return entry.changes.map((raw) => {
    const c = raw as Change;
    const known = flagWords(c) ?? variationWords(c) ?? conditionWords(c, isRollout);
    return known ?? c.__typename.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
  });
}

/** A change of the flag itself, or null for a change of its variations or conditions. */
function flagWords(c: Change): string | null {
  switch (c.__typename) {
    case "FlagCreated":
      return "flag created";
    case "FlagArchived":
      return c.newArchived ? "archived" : "unarchived";
    case "FlagActivated":
      return c.newActive ? "turned on" : "turned off";
    case "FlagSlugChanged":
      return `key ${quoted(c.oldSlug)} → ${quoted(c.newSlug)}`;
    case "FlagNameChanged":
      return `name ${quoted(c.oldName)} → ${quoted(c.newName)}`;
    case "FlagDescriptionChanged":
      return c.newDescription ? `description set to ${quoted(String(c.newDescription).slice(0, 80))}` : "description removed";
    case "FlagTagsChanged":
      return `tags: added ${listOf(c.addedTags)}; removed ${listOf(c.removedTags)}`;
    case "FlagSharingChanged":
      return `sharing: roles added ${listOf(c.addedRoles)}; removed ${listOf(c.removedRoles)}`;
    default:
      return null;
  }
}

function variationWords(c: Change): string | null {
  const variation = (name: string) => c[name] as TgglVariation | null;
  switch (c.__typename) {
    case "FlagVariationCreated":
      return `variation ${quoted(variation("variation")?.name)} added (value ${shortJson(variation("variation")?.value)})`;
    case "FlagVariationDeleted":
      return `variation ${quoted(variation("variation")?.name)} deleted`;
    case "FlagVariationUpdated":
      return variationUpdate(variation("oldVariation")!, variation("newVariation")!);
    case "FlagDefaultVariationChanged":
      return `default variation ${variation("oldVariation")?.name ?? "none"} → ${variation("newVariation")?.name ?? "none"}`;
    default:
      return null;
  }
}

/** A condition's change; the rollout's synthetic condition is said as the rollout. */
function conditionWords(c: Change, isRollout: (condition: unknown) => boolean): string | null {
  const cond = (name: string) => c[name] as TgglCondition;
  switch (c.__typename) {
    case "FlagConditionCreated":
      return isRollout(c.condition)
        ? `rollout 100% → ${rolloutOf(cond("condition"))}% (serving ${serves(cond("condition"))})`
        : `condition ${conditionName(cond("condition"))} added: ${rulesWords(cond("condition"))} → serves ${serves(cond("condition"))}`;
    case "FlagConditionDeleted":
      return isRollout(c.condition) ? `rollout ${rolloutOf(cond("condition"))}% → 100%` : `condition ${conditionName(cond("condition"))} removed`;
    case "FlagConditionUpdated": {
      if (!isRollout(c.newCondition)) return conditionUpdate(cond("oldCondition"), cond("newCondition"));
      const [before, after] = [cond("oldCondition"), cond("newCondition")];
      const served = serves(before) !== serves(after) ? `, serving ${serves(before)} → ${serves(after)}` : "";
      return `rollout ${rolloutOf(before)}% → ${rolloutOf(after)}%${served}`;
    }
    default:
      return null;
  }
}
