// The slack format: what a person reads in the channel, and Slack's documented limits kept whatever the
// input (section text ≤ 3,000 characters, ≤ 50 blocks, `text` ≤ 40,000), with &, <, > escaped, links and
// mentions in user text defused, and the code block holding the lines that changed.
import { describe, expect, it } from "vitest";
import { diffFlag } from "../src/flags/diff";
import type { Flag } from "../src/flags/model";
import {
  buildSlackBody,
  changedLines,
  escapeMarkup,
  escapeSlack,
  SLACK_MAX_BLOCKS,
  SLACK_SECTION_TEXT_LIMIT,
  SLACK_TEXT_LIMIT,
  type SlackBody,
} from "../src/outbound/formats/slack";
import { buildRollgateBody, renderTestBody } from "../src/outbound/payload";
import { buildCondition, buildFlag, ENVIRONMENTS, LIVE, OFF, userIdIsOneOf, withState } from "./fixtures";
import type { EventContext } from "../src/outbound/bodies";

const ctx: EventContext = {
  eventId: "3d9c5a10-6b7e-4f21-8a4d-2c1b0e9f8a77",
  timestamp: "2026-01-25T12:00:00Z",
  flag: { id: "flag-1", key: "new-checkout", name: "New Checkout Flow" },
  project: { id: "0f1e2d3c-4b5a-4968-8776-5a4b3c2d1e0f", key: "web", name: "Web" },
  actor: { id: "9e8d7c6b-5a49-4837-a625-14f3e2d1c0b9", email: "dev@acme" },
};

/** The slack body of the one event of `name` that the write before → after emits. */
function slackOf(before: Flag | null, after: Flag | null, name: string, revision: number | null = 7, context = ctx): SlackBody {
  const event = diffFlag(before, after, ENVIRONMENTS).find((e) => e.event === name);
  if (!event) throw new Error(`no ${name}`);
  return buildSlackBody(buildRollgateBody(event, context), revision);
}

const flag = buildFlag();
const on = withState(flag, "production", { enabled: true });
const beta = buildCondition({ name: "Beta testers" });

describe("the slack sentence", () => {
  it.each([
    ["a toggle on", flag, on, "flag.toggled", "dev@acme toggled *new-checkout* ON in *production* (Web)"],
    ["a toggle off", on, flag, "flag.toggled", "dev@acme toggled *new-checkout* OFF in *production* (Web)"],
    [
      "a rollout change",
      withState(on, "production", { rollout_percentage: 20 }),
      withState(on, "production", { rollout_percentage: 50 }),
      "flag_state.updated",
      "dev@acme changed *new-checkout* in *production* (Web): rollout 20% → 50%",
    ],
    [
      "a first rollout",
      on,
      withState(on, "production", { rollout_percentage: 20 }),
      "flag_state.updated",
      "dev@acme changed *new-checkout* in *production* (Web): rollout 100% → 20%",
    ],
    [
      "a rollout back to everyone",
      withState(on, "production", { rollout_percentage: 20 }),
      on,
      "flag_state.updated",
      "dev@acme changed *new-checkout* in *production* (Web): rollout 20% → 100%",
    ],
    [
      "a rule added",
      on,
      withState(on, "production", { conditions: [beta] }),
      "flag_state.updated",
      "dev@acme changed *new-checkout* in *production* (Web): rule *Beta testers* added",
    ],
    [
      "a rule removed",
      withState(on, "production", { conditions: [beta] }),
      on,
      "flag_state.updated",
      "dev@acme changed *new-checkout* in *production* (Web): rule *Beta testers* removed",
    ],
    [
      "a rule changed and the rollout moved",
      withState(on, "production", { conditions: [beta], rollout_percentage: 10 }),
      withState(on, "production", { conditions: [{ ...beta, rules: [userIdIsOneOf("rule-1", ["baz"])] }], rollout_percentage: 30 }),
      "flag_state.updated",
      "dev@acme changed *new-checkout* in *production* (Web): rule *Beta testers* changed, rollout 10% → 30%",
    ],
    [
      "a default changed",
      on,
      withState(on, "production", { default_variation_id: LIVE.id }),
      "flag_state.updated",
      "dev@acme changed *new-checkout* in *production* (Web): default *Off* → *Live*",
    ],
    ["a created flag", null, flag, "flag.created", "dev@acme created *new-checkout* (Web)"],
    ["a deleted flag", flag, null, "flag.deleted", "dev@acme deleted *new-checkout* (Web)"],
    [
      "a renamed, tagged flag",
      flag,
      { ...flag, name: "Checkout v2", tags: ["beta"] },
      "flag.updated",
      "dev@acme updated *new-checkout* (Web): renamed “New Checkout Flow” → “Checkout v2”, tags +beta",
    ],
    ["an archived flag", flag, { ...flag, archived: true }, "flag.updated", "dev@acme updated *new-checkout* (Web): archived"],
  ])("reads %s as a sentence", (_, before, after, event, sentence) => {
    const body = slackOf(before, after, event);
    expect(body.text).toBe(sentence);
    expect(body.blocks[0].text.text.split("\n")[0]).toBe(sentence);
  });

  it("escapes &, < and > in every piece of user text, so nothing becomes a link or a mention", () => {
    const hostile = { ...ctx, actor: { ...ctx.actor, email: "<!channel>&co@x" }, project: { ...ctx.project, name: "R&D <core>" } };
    const renamed = { ...flag, name: "<https://evil.test|click>" };
    const body = slackOf(flag, renamed, "flag.updated", 1, hostile);
    const all = JSON.stringify(body);
    expect(body.text).toContain("&lt;!channel&gt;&amp;co@x updated");
    expect(body.text).toContain("(R&amp;D &lt;core&gt;)");
    expect(body.text).toContain("“&lt;https:\u2060//evil.\u2060test|click&gt;”");
    expect(all).not.toMatch(/<[!h]/);
  });

  it("leaves no bare URL, domain or @here-style mention in user text for Slack to link or notify", () => {
    const hostile = {
      ...ctx,
      actor: { ...ctx.actor, email: "ops@here.example" },
      project: { ...ctx.project, name: "@here see www.evil.com and https://evil.com/x" },
    };
    const renamed = { ...flag, name: "@channel @Everyone visit evil.co" };
    const body = slackOf(flag, renamed, "flag.updated", 1, hostile);
    const prose = body.text;
    // What Slack recognises: a scheme followed by //, a word.word domain, and the three broadcast mentions.
    expect(prose).not.toMatch(/[a-z]:\/\//i);
    expect(prose).not.toMatch(/[a-z0-9-]\.[a-z]{2,}/i);
    expect(prose).not.toMatch(/@(here|channel|everyone)\b/i);
    // Invisible to a reader: taking the joiners out gives the text back.
    expect(prose.replaceAll("\u2060", "")).toContain("(@here see www.evil.com and https://evil.com/x)");
    expect(prose.replaceAll("\u2060", "")).toContain("“@channel @Everyone visit evil.co”");
  });

  it("names the test delivery as such", () => {
    const body = JSON.parse(renderTestBody("slack", { eventId: ctx.eventId, timestamp: ctx.timestamp, project: ctx.project, actor: ctx.actor })) as SlackBody;
    expect(body.text).toBe("Test delivery: dev@acme toggled *flagpost-sample-flag* ON in *production* (Web)");
  });
});

describe("the slack body's shape and limits", () => {
  it("is one section with the code-like before/after in a code block, and one context line", () => {
    const body = slackOf(flag, on, "flag.toggled", 12);
    expect(Object.keys(body).sort()).toEqual(["blocks", "text"]);
    expect(body.blocks.map((b) => b.type)).toEqual(["section", "context"]);
    expect(body.blocks[0].text).toEqual({
      type: "mrkdwn",
      text: "dev@acme toggled *new-checkout* ON in *production* (Web)\n```- Off (inactive)\n+ Live (value: true)```",
    });
    expect(body.blocks[1].elements).toEqual([{ type: "mrkdwn", text: "Flagpost · flag.toggled · revision 12 · 2026-01-25T12:00:00Z" }]);
  });

  it("leaves the revision out of the context line when the event has none", () => {
    expect(slackOf(flag, on, "flag.toggled", null).blocks[1].elements[0].text).toBe("Flagpost · flag.toggled · 2026-01-25T12:00:00Z");
  });

  it("shows the lines that changed, with one line of context, even at the end of a long code-like text", () => {
    const many = Array.from({ length: 12 }, (_, i) => buildCondition({ id: `c${i}`, name: `Rule ${i}`, rules: [userIdIsOneOf(`r${i}`, [`u${i}`])] }));
    const before = withState(on, "production", { conditions: many });
    const added = buildCondition({ id: "c-last", name: "Added last", rules: [userIdIsOneOf("r-last", ["someone"])] });
    const body = slackOf(before, withState(on, "production", { conditions: [...many, added] }), "flag_state.updated");
    const code = body.blocks[0].text.text.split("```")[1].split("\n");
    const plus = code.filter((l) => l.startsWith("+ "));
    expect(plus.length).toBeGreaterThan(0);
    expect(plus.join("\n")).toContain("someone");
    expect(code.some((l) => l.startsWith("- "))).toBe(false);
    // Rule 0 is far from the change: it is not shown; at most one unchanged line stands on each side.
    expect(code.join("\n")).not.toContain("u0");
    expect(code.filter((l) => l.startsWith("  ")).length).toBeLessThanOrEqual(2);
    expect(body.text).toContain("rule *Added last* added");
  });

  it.each([
    ["one line changed", "a\nb\nc\nd\ne", "a\nb\nC\nd\ne", ["  b", "- c", "+ C", "  d"]],
    ["two distant changes", "a\nb\nc\nd\ne\nf\ng", "A\nb\nc\nd\ne\nf\nG", ["- a", "+ A", "  b", "…", "  f", "- g", "+ G"]],
    ["a created flag", "", "x\ny", ["+ x", "+ y"]],
    ["nothing changed", "same", "same", []],
  ])("a line diff: %s", (_, before, after, expected) => {
    expect(changedLines(before, after)).toEqual(expected);
  });

  it.each([
    ["huge values", { ...flag, variations: [{ ...LIVE, value: "x".repeat(9000) }, OFF] }],
    ["escape-heavy values", { ...flag, variations: [{ ...LIVE, value: "<&>".repeat(3000) }, OFF] }],
    [
      "a long name everywhere",
      {
        ...flag,
        variations: [
          { ...LIVE, name: "&".repeat(200) },
          { ...OFF, name: "<".repeat(200) },
        ],
      },
    ],
  ])("keeps within Slack's limits with %s", (_, base) => {
    const hugeCtx = { ...ctx, project: { ...ctx.project, name: "P&".repeat(100) }, actor: { ...ctx.actor, email: `${"<".repeat(300)}@x` } };
    const before = withState(base as Flag, "production", { enabled: true, default_variation_id: (base as Flag).variations[1].id });
    const after = withState(before, "production", { default_variation_id: (base as Flag).variations[0].id, conditions: [beta] });
    const body = slackOf(before, after, "flag_state.updated", 1, hugeCtx);
    expect(body.blocks.length).toBeLessThanOrEqual(SLACK_MAX_BLOCKS);
    expect(body.blocks[0].text.text.length).toBeLessThanOrEqual(SLACK_SECTION_TEXT_LIMIT);
    expect(body.text.length).toBeLessThanOrEqual(SLACK_TEXT_LIMIT);
    expect(body.blocks[0].text.text.startsWith(body.text)).toBe(true);
    // A cut never leaves half an escape behind, and the code block stays closed.
    expect(body.blocks[0].text.text).not.toMatch(/&[a-z]*…/);
    expect(body.blocks[0].text.text.split("```")).toHaveLength(3);
  });

  it("keeps a triple backtick in a value from closing the code block", () => {
    const ticks = { ...flag, variations: [{ ...LIVE, value: "```oops```" }, OFF] };
    const body = slackOf(ticks, withState(ticks, "production", { enabled: true }), "flag.toggled");
    expect(body.blocks[0].text.text.split("```")).toHaveLength(3);
  });

  it("escapes exactly the three characters Slack's markup reserves", () => {
    expect(escapeMarkup("a & b < c > d * _ ~ `")).toBe("a &amp; b &lt; c &gt; d * _ ~ `");
    expect(escapeSlack("a & b < c > d * _ ~ `")).toBe("a &amp; b &lt; c &gt; d * _ ~ `");
  });
});
