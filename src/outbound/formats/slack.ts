// The `slack` format: a body that Slack's incoming webhooks take as is (`{text, blocks}`), reading as one
// sentence — who changed which flag, where, and how — with the code-like before/after in a code block.
//
// Slack's documented limits, which this module keeps whatever the input: a section's text is at most
// 3,000 characters (Slack refuses the message otherwise), a message at most 50 blocks, `text` is
// truncated by Slack past 40,000 characters. We send one section and one context block, cap the
// sentence, and fill the code block with the lines that changed between the code-like before and
// after (`-` / `+`, one line of context, as a line diff computes them), cut at a line to what fits,
// counted after escaping. User text is escaped as Slack asks (`&`, `<`, `>`), and a URL, a domain or
// an `@here`-style word in it gets an invisible word joiner, so a name can never become a link or a
// mention. Pure: a function of the rollgate body, so every attempt sends the same bytes.
import { structuredPatch } from "diff";
import { derivedId } from "../../flags/tggl";
import type { RollgateBody } from "../bodies";

export const SLACK_SECTION_TEXT_LIMIT = 3000;
export const SLACK_TEXT_LIMIT = 40_000;
export const SLACK_MAX_BLOCKS = 50;
/** Lines of context around each changed line of the code-like text. */
export const CODE_CONTEXT_LINES = 1;
/** Change phrases in the sentence before "and N more changes". */
const PHRASES_SHOWN = 6;
const SENTENCE_LIMIT = 1000;

type MrkdwnText = { type: "mrkdwn"; text: string };
export interface SlackBody {
  text: string;
  blocks: [{ type: "section"; text: MrkdwnText }, { type: "context"; elements: MrkdwnText[] }];
}

type Change = RollgateBody["changes"][number];
type TgglCondition = {
  id?: string;
  name?: string;
  variation?: { name?: string };
  rules?: Record<string, { operator?: string; params?: { rangeEnd?: number } }>;
};

/** Slack's own escaping: the three characters its markup reserves. */
export function escapeMarkup(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

const JOINER = "\u2060";

/**
 * User text for a Slack sentence: escaped, and defused where Slack would link or notify on its own: a
 * URL's scheme (`https://`), a domain-like word (`evil.com`, `www.`) and `@here` / `@channel` /
 * `@everyone` get a word joiner, invisible, that keeps Slack from recognising them.
 */
export function escapeSlack(text: string): string {
  return escapeMarkup(text)
    .replace(/([a-z][a-z0-9+.-]*):\/\//gi, `$1:${JOINER}//`)
    .replace(/([a-z0-9-])\.(?=[a-z]{2,})/gi, `$1.${JOINER}`)
    .replace(/@(here|channel|everyone)\b/gi, `@${JOINER}$1`);
}

export function buildSlackBody(body: RollgateBody, revision: number | null): SlackBody {
  const sentence = cut(slackSentence(body), SENTENCE_LIMIT);
  const code = codeBlock(body, SLACK_SECTION_TEXT_LIMIT - sentence.length - 1);
  const context = [`Flagpost`, body.event, revision === null ? null : `revision ${revision}`, body.timestamp].filter((p) => p !== null).join(" · ");
  return {
    text: sentence,
    blocks: [
      { type: "section", text: { type: "mrkdwn", text: code ? `${sentence}\n${code}` : sentence } },
      { type: "context", elements: [{ type: "mrkdwn", text: escapeMarkup(context) }] },
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
  const phrases = body.changes
    .filter((c) => c !== activated)
    .map((c) => changePhrase(c, body))
    .filter((p): p is string => p !== null);
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

/**
 * The lines that differ between the code-like before and after, unified-diff style: `- ` removed,
 * `+ ` added, two spaces for a line of context, `…` between distant changes.
 */
export function changedLines(before: string, after: string): string[] {
  const patch = structuredPatch("", "", before ? `${before}\n` : "", after ? `${after}\n` : "", "", "", { context: CODE_CONTEXT_LINES });
  const out: string[] = [];
  patch.hunks.forEach((hunk, i) => {
    if (i > 0) out.push("…");
    for (const line of hunk.lines) if (!line.startsWith("\\")) out.push(`${line[0] === " " ? " " : line[0]} ${line.slice(1)}`);
  });
  return out;
}

/** The changed lines in a code block, cut at a line to `room` characters (escaped); "" when none or nothing fits. */
function codeBlock(body: RollgateBody, room: number): string {
  const lines = changedLines(body.code_like_before ?? "", body.code_like_after ?? "").map((l) => escapeMarkup(l.replace(/```/g, "`\u200b``")));
  const fence = "```";
  if (lines.length === 0 || room < 40) return "";
  const whole = lines.join("\n");
  if (whole.length + 2 * fence.length <= room) return `${fence}${whole}${fence}`;
  // Whole lines while they fit, leaving room for the line that says how many are left out.
  const budget = room - 2 * fence.length - 40;
  let used = 0;
  let shown = 0;
  while (shown < lines.length && used + lines[shown].length + 1 <= budget) used += lines[shown++].length + 1;
  const inner = [...lines.slice(0, shown), `… ${lines.length - shown} more lines`].join("\n");
  return inner.length + 2 * fence.length <= room ? `${fence}${inner}${fence}` : "";
}

/** At most `limit` characters, ending in "…" when cut, never in the middle of an escape like `&amp;`. */
function cut(text: string, limit: number): string {
  if (text.length <= limit) return text;
  return `${text.slice(0, limit - 1).replace(/&[a-z]*$/, "")}…`;
}
