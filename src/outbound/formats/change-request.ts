// The `change_request.opened` and `change_request.approved` notices (CONTRACT.md v1.2, "Changes that
// need a second person"), in the two formats that may subscribe to them: `rollgate` (JSON a receiver
// reads) and `slack` (a message a reviewer reads). Who proposes (or approved) what, where, and the
// preview's code-like text before and after. Pure: rendered once, when the request is opened or
// approved, and sent as stored.
import type { TgglChange } from "../../flags/model";
import type { NamedRef } from "../bodies";
import { changedLines, escapeMarkup, escapeSlack, SLACK_SECTION_TEXT_LIMIT, type SlackBody } from "./slack";

export const CHANGE_REQUEST_EVENTS = ["change_request.opened", "change_request.approved"] as const;
export type ChangeRequestEvent = (typeof CHANGE_REQUEST_EVENTS)[number];
export const CHANGE_REQUEST_FORMATS = ["rollgate", "slack"] as const;

export interface ChangeRequestNotice {
  noticeId: string;
  event: ChangeRequestEvent;
  timestamp: string;
  project: NamedRef;
  flag: NamedRef;
  environment: NamedRef;
  changeRequest: { id: string; comment: string | null; apply_at: string | null; base_version: number };
  proposedBy: { id: string; email: string };
  approvedBy: { id: string; email: string } | null;
  changes: TgglChange[];
  codeLikeBefore: string;
  codeLikeAfter: string;
}

export function renderChangeRequestNotice(format: (typeof CHANGE_REQUEST_FORMATS)[number], n: ChangeRequestNotice): string {
  if (format === "rollgate")
    return JSON.stringify({
      id: n.noticeId,
      event: n.event,
      timestamp: n.timestamp,
      project: n.project,
      flag: n.flag,
      environment: n.environment,
      change_request: { ...n.changeRequest, status: n.event === "change_request.opened" ? "open" : "approved" },
      proposed_by: n.proposedBy,
      approved_by: n.approvedBy,
      changes: n.changes,
      code_like_before: n.codeLikeBefore,
      code_like_after: n.codeLikeAfter,
    });
  const flag = `*${escapeSlack(n.flag.key.replace(/\*/g, ""))}*`;
  const where = `*${escapeSlack(n.environment.name.replace(/\*/g, ""))}*`;
  const project = `(${escapeSlack(n.project.name)})`;
  const text =
    n.event === "change_request.opened"
      ? `${escapeSlack(n.proposedBy.email)} asks to change ${flag} in ${where} ${project}: needs another person's approval`
      : `${escapeSlack(n.approvedBy?.email ?? "")} approved ${escapeSlack(n.proposedBy.email)}'s change of ${flag} in ${where} ${project}${n.changeRequest.apply_at ? `, to apply at ${escapeSlack(n.changeRequest.apply_at)}` : ""}`;
  const lines = changedLines(n.codeLikeBefore, n.codeLikeAfter).map((l) => escapeMarkup(l.replace(/```/g, "`\u200b``")));
  const said = n.changeRequest.comment ? `\n> ${escapeSlack(n.changeRequest.comment)}` : "";
  const head = `${text}${said}`.slice(0, SLACK_SECTION_TEXT_LIMIT / 2);
  const room = SLACK_SECTION_TEXT_LIMIT - head.length - 10;
  let code = lines.join("\n");
  if (code.length > room) code = `${code.slice(0, room - 2)}\n…`;
  const body: SlackBody = {
    text,
    blocks: [
      { type: "section", text: { type: "mrkdwn", text: code ? `${head}\n\`\`\`${code}\`\`\`` : head } },
      { type: "context", elements: [{ type: "mrkdwn", text: escapeSlack(`Flagpost · ${n.event} · ${n.changeRequest.id} · ${n.timestamp}`) }] },
    ],
  };
  return JSON.stringify(body);
}
