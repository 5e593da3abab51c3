// The `webhook.disabled` notice, rendered in each format that may subscribe to it (rollgate, tggl,
// slack; a sentry webhook may not). It names the webhook, its scope and the reason, and only the
// origin of its URL: a webhook URL can itself be a credential (a Slack URL is), and other receivers
// must not learn it. Pure: rendered once, when the webhook is disabled, and sent as stored.
import { escapeSlack, type SlackBody } from "./slack";
import type { TgglBody } from "../bodies";

export const NOTICE_FORMATS = ["rollgate", "tggl", "slack"] as const;
export type NoticeFormat = (typeof NOTICE_FORMATS)[number];

export interface DisabledWebhook {
  id: string;
  name: string;
  url: string;
  /** Null for an organization webhook. */
  projectId: string | null;
}

export interface Notice {
  noticeId: string;
  timestamp: string;
  webhook: DisabledWebhook;
  reason: "gone" | "failing";
}

/** `scheme://host[:port]` of a URL, or "" when it is not one. */
export function originOf(url: string): string {
  try {
    const origin = new URL(url).origin;
    return origin === "null" ? "" : origin;
  } catch {
    return "";
  }
}

const WHY = { gone: "its endpoint answered 410 Gone", failing: "its attempts kept failing, with no success, for the auto-disable period" } as const;

function described(n: Notice) {
  const w = n.webhook;
  return { id: w.id, name: w.name, scope: w.projectId === null ? "organization" : "project", project_id: w.projectId, origin: originOf(w.url) };
}

export function renderNotice(format: NoticeFormat, n: Notice): string {
  const webhook = described(n);
  if (format === "rollgate") return JSON.stringify({ id: n.noticeId, event: "webhook.disabled", timestamp: n.timestamp, webhook, reason: n.reason });
  if (format === "tggl") {
    // Tggl's six keys and no others: no flag, the webhook's state as the code-like text, the rest in `changes`.
    const body: TgglBody = {
      flagSlug: "",
      userEmail: "",
      projectSlug: "",
      codeLikeBefore: `webhook "${webhook.name}": enabled`,
      codeLikeAfter: `webhook "${webhook.name}": disabled (${n.reason})`,
      changes: [{ __typename: "WebhookDisabled", webhook, reason: n.reason }],
    };
    return JSON.stringify(body);
  }
  const where = webhook.scope === "project" ? `project webhook` : `organization webhook`;
  const origin = webhook.origin ? ` (${escapeSlack(webhook.origin)})` : "";
  const text = `Flagpost disabled the ${where} *${escapeSlack(webhook.name.replace(/\*/g, ""))}*${origin}: ${WHY[n.reason]}.`;
  const body: SlackBody = {
    text,
    blocks: [
      { type: "section", text: { type: "mrkdwn", text } },
      { type: "context", elements: [{ type: "mrkdwn", text: escapeSlack(`Flagpost · webhook.disabled · ${n.timestamp}`) }] },
    ],
  };
  return JSON.stringify(body);
}
