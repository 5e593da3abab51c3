// The receiver formats that are views of the rollgate body: Slack and Sentry. Both take the change's
// revision as an input, read from the rollgate body when it carries one (`revision`).
import { renderSentryBody } from "./sentry";
import { renderSlackBody } from "./slack";
import type { RollgateBody } from "../bodies";

export const RECEIVER_FORMATS = ["slack", "sentry"] as const;
export type ReceiverFormat = (typeof RECEIVER_FORMATS)[number];

export function isReceiverFormat(format: string): format is ReceiverFormat {
  return (RECEIVER_FORMATS as readonly string[]).includes(format);
}

/** The revision a rollgate body carries, or null for one rendered without it. */
export function revisionOf(body: RollgateBody): number | null {
  const revision = (body as { revision?: unknown }).revision;
  return typeof revision === "number" && Number.isInteger(revision) ? revision : null;
}

export function renderReceiverBody(format: ReceiverFormat, body: RollgateBody, revision: number | null = revisionOf(body)): string {
  return format === "slack" ? renderSlackBody(body, revision) : renderSentryBody(body, revision);
}
