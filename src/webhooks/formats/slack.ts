// The `slack` format: a body that Slack's incoming webhooks take as is (`{text, blocks}`), reading as one
// sentence — who changed which flag, where, and how — with the code-like before/after in a code block.
//
// Slack's documented limits, which this module keeps whatever the input: a section's text is at most
// 3,000 characters (Slack refuses the message otherwise), a message at most 50 blocks, `text` is
// truncated by Slack past 40,000 characters. We send one section and one context block, cap the
// sentence, fold each code-like side past a few lines, and cut the code block to what fits, counted
// after escaping. User text is escaped as Slack asks (`&`, `<`, `>`), so a name can never become a
// link or a mention. Pure: a function of the rollgate body, so every attempt sends the same bytes.
import { derivedId } from "../../flags/tggl";
import type { RollgateBody } from "../payload";

export const SLACK_SECTION_TEXT_LIMIT = 3000;
export const SLACK_TEXT_LIMIT = 40_000;
export const SLACK_MAX_BLOCKS = 50;
/** Lines of each code-like side shown before the rest is folded. */
export const CODE_LINES_SHOWN = 8;
/** Change phrases in the sentence before "and N more changes". */
const PHRASES_SHOWN = 6;
const SENTENCE_LIMIT = 1000;

type MrkdwnText = { type: "mrkdwn"; text: string };
export interface SlackBody {
  text: string;
  blocks: [{ type: "section"; text: MrkdwnText }, { type: "context"; elements: MrkdwnText[] }];
}

type Change = RollgateBody["changes"][number];
type TgglCondition = { id?: string; name?: string; variation?: { name?: string }; rules?: Record<string, { operator?: string; params?: { rangeEnd?: number } }> };

/** Slack's own escaping for user text: the three characters its markup reserves. */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export function buildSlackBody(body: RollgateBody, revision: number | null): SlackBody {
  const sentence = cut(slackSentence(body), SENTENCE_LIMIT);
  const code = codeBlock(body, SLACK_SECTION_TEXT_LIMIT - sentence.length - 1);
  const context = [`Flagpost`, body.event, revision === null ? null : `revision ${revision}`, body.timestamp].filter((p) => p !== null).join(" · ");
  return {
    text: sentence,
    blocks: [
      { type: "section", text: { type: "mrkdwn", text: code ? `${sentence}\n${code}` : sentence } },
      { type: "context", elements: [{ type: "mrkdwn", text: escapeSlack(context) }] },
    ],
  };
}

export function renderSlackBody(body: RollgateBody, revision: number | null): string {
  return JSON.stringify(buildSlackBody(body, revision));
}

// ---- The sentence ----------------------------------------------------------------------------

/** "dev@acme toggled *new-checkout* ON in *production* (Web)", escaped, in Slack's mrkdwn. */
export function slackSentence(body: RollgateBody): string {
  const who = escapeSlack(body.triggered_by.email);
  const flag = bold(body.flag.key);
  const project = `(${escapeSlack(body.project.name)})`;
  const where = body.environment ? ` in ${bold(body.environment.name)}` : "";
  const test = body.event === "webhook.test" ? "Test delivery: " : "";
  const activated = body.changes.find((c) => c.__typename === "FlagActivated");
  const phrases = body.changes.filter((c) => c !== activated).map((c) => changePhrase(c, body)).filter((p): p is string => p !== null);
  const details = phrases.length > PHRASES_SHOWN ? [...phrases.slice(0, PHRASES_SHOWN), `and ${phrases.length - PHRASES_SHOWN} more changes`] : phrases;
  const how = details.length ? `: ${details.join(", ")}` : "";
  switch (body.event) {
    case "flag.created":
      return `${test}${who} created ${flag} ${project}${how}`;
    case "flag.deleted":
      return `${test}${who} deleted ${flag} ${project}`;
    case "flag.updated":
      return `${test}${who} updated ${flag} ${project}${how}`;
    default: {
      const verb = activated ? `toggled ${flag} ${activated.newActive ? "ON" : "OFF"}` : `changed ${flag}`;
      return `${test}${who} ${verb}${where} ${project}${how}`;
    }
  }
}

/** One change in a few words ("rollout 20% → 50%", "rule *Beta testers* added"); null when the headline says it. */
function changePhrase(change: Change, body: RollgateBody): string | null {
  const c = change as Record<string, unknown> & Change;
  switch (c.__typename) {
    case "FlagCreated":
      return null;
    case "FlagActivated":
      return c.newActive ? "turned ON" : "turned OFF";
    case "FlagConditionCreated":
    case "FlagConditionDeleted":
      return conditionPhrase(c.__typename === "FlagConditionCreated" ? "added" : "removed", c.condition as TgglCondition, body);
    case "FlagConditionUpdated":
      return conditionUpdatePhrase(c.oldCondition as TgglCondition, c.newCondition as TgglCondition, body);
    case "FlagDefaultVariationChanged":
      return `default ${variationName(c.oldVariation)} → ${variationName(c.newVariation)}`;
    case "FlagArchived":
      return c.newArchived ? "archived" : "unarchived";
    case "FlagSlugChanged":
      return `key ${escapeSlack(String(c.oldSlug))} → ${escapeSlack(String(c.newSlug))}`;
    case "FlagNameChanged":
      return `renamed “${escapeSlack(String(c.oldName))}” → “${escapeSlack(String(c.newName))}”`;
    case "FlagDescriptionChanged":
      return "description changed";
    case "FlagSharingChanged":
      return "sharing changed";
    case "FlagTagsChanged":
      return `tags ${[...list(c.addedTags).map((t) => `+${tagName(t)}`), ...list(c.removedTags).map((t) => `−${tagName(t)}`)].join(" ")}`.trim();
    case "FlagVariationCreated":
      return `variation ${variationName(c.variation)} added`;
    case "FlagVariationDeleted":
      return `variation ${variationName(c.variation)} removed`;
    case "FlagVariationUpdated":
      return `variation ${variationName(c.newVariation)} changed`;
    default:
      return escapeSlack(c.__typename);
  }
}

function conditionPhrase(verb: "added" | "removed", condition: TgglCondition, body: RollgateBody): string {
  const rollout = rolloutPercent(condition, body);
  if (rollout === null) return `rule ${bold(condition?.name ?? "")} ${verb}`;
  return verb === "added" ? `rollout 100% → ${rollout}%` : `rollout ${rollout}% → 100%`;
}

function conditionUpdatePhrase(before: TgglCondition, after: TgglCondition, body: RollgateBody): string {
  const [from, to] = [rolloutPercent(before, body), rolloutPercent(after, body)];
  if (from !== null && to !== null) return from === to ? `rollout now serves ${variationName(after.variation)}` : `rollout ${from}% → ${to}%`;
  if (before?.name !== after?.name) return `rule ${bold(before?.name ?? "")} renamed to ${bold(after?.name ?? "")}`;
  return `rule ${bold(after?.name ?? "")} changed`;
}

/** The rollout appears to Tggl as a condition whose id is derived from the flag and environment. */
function rolloutPercent(condition: TgglCondition | undefined, body: RollgateBody): number | null {
  if (!condition || !body.environment || condition.id !== derivedId("rollout-condition", `${body.flag.id}/${body.environment.key}`)) return null;
  const rule = Object.values(condition.rules ?? {})[0];
  return rule?.operator === "PERCENTAGE" && typeof rule.params?.rangeEnd === "number" ? rule.params.rangeEnd : null;
}

function variationName(variation: unknown): string {
  return bold(String((variation as { name?: unknown } | null)?.name ?? "?"));
}

function tagName(tag: unknown): string {
  return escapeSlack(String(typeof tag === "object" && tag !== null ? ((tag as { name?: unknown }).name ?? "") : tag));
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** Bold in mrkdwn; the asterisk is not escapable in Slack, so one inside a name is left out. */
function bold(text: string): string {
  return `*${escapeSlack(text.replace(/\*/g, ""))}*`;
}

// ---- The code block --------------------------------------------------------------------------

/** Before and after, each folded past a few lines, cut to `room` characters (escaped); "" when nothing fits. */
function codeBlock(body: RollgateBody, room: number): string {
  const sides = [
    body.code_like_before ? `before:\n${fold(body.code_like_before)}` : "",
    body.code_like_after ? `after:\n${fold(body.code_like_after)}` : "",
  ].filter(Boolean);
  if (sides.length === 0 || room < 20) return "";
  // A run of three backticks would close the block early; a zero-width space keeps it literal.
  const inner = escapeSlack(sides.join("\n\n").replace(/```/g, "`\u200b``"));
  const fence = "```";
  const fitted = inner.length + 2 * fence.length + 1 <= room ? inner : `${cut(inner, room - 2 * fence.length - 2)}`;
  return `${fence}${fitted}${fence}`;
}

function fold(codeLike: string): string {
  const lines = codeLike.split("\n");
  if (lines.length <= CODE_LINES_SHOWN) return codeLike;
  return [...lines.slice(0, CODE_LINES_SHOWN), `… ${lines.length - CODE_LINES_SHOWN} more lines`].join("\n");
}

/** At most `limit` characters, ending in "…" when cut, never in the middle of an escape like `&amp;`. */
function cut(text: string, limit: number): string {
  if (text.length <= limit) return text;
  return `${text.slice(0, limit - 1).replace(/&[a-z]*$/, "")}…`;
}
