// A webhook's health as its owner sees it, and the disabling Flagpost decides (410, or failing too
// long: judged at an attempt and by the clock), with its notices rendered in each subscriber's format.
import { iso } from "../kernel/schemas";
import { NOTICE_FORMATS, renderNotice, type DisabledWebhook } from "../outbound/formats/notice";
import type { DisableReason, Disabling, NoticeBodies } from "./circuit";

export interface HealthColumns {
  enabled: boolean;
  consecutiveFailures: number;
  circuit: string;
  lastSuccessAt: number | null;
  lastFailureAt: number | null;
  disabledReason: string | null;
  disabledAt: number | null;
}

export interface Health {
  state: "healthy" | "failing" | "circuit_open" | "disabled";
  consecutive_failures: number;
  last_success_at: string | null;
  last_failure_at: string | null;
  disabled_reason: DisableReason | null;
  disabled_at: string | null;
}

export function healthOf(w: HealthColumns): Health {
  const state = !w.enabled ? "disabled" : w.circuit === "open" ? "circuit_open" : w.consecutiveFailures > 0 ? "failing" : "healthy";
  const at = (t: number | null) => (t === null ? null : iso(t));
  return {
    state,
    consecutive_failures: w.consecutiveFailures,
    last_success_at: at(w.lastSuccessAt),
    last_failure_at: at(w.lastFailureAt),
    disabled_reason: w.disabledReason as DisableReason | null,
    disabled_at: at(w.disabledAt),
  };
}

/** Where a webhook's health is judged by the clock: its project's, or its organization's for an organization webhook. */
export function healthClockOf(w: { projectId: string | null; orgId: string }): string {
  return w.projectId ?? `org:${w.orgId}`;
}

/** Failing with no success for this long since `failingSince`: disabled ("failing"). */
export function failingPastDeadline(failingSince: number | null, now: number, autoDisableSeconds: number): boolean {
  return failingSince !== null && now - failingSince >= autoDisableSeconds * 1000;
}

/** What disabledByFlagpost (circuit.ts) needs: the webhook, the reason, the clock and the notices. */
export function disablingOf(w: DisabledWebhook & { orgId: string }, reason: DisableReason, clockId: string, now: number): Disabling {
  const notice = { noticeId: crypto.randomUUID(), timestamp: iso(now), webhook: w, reason };
  const notices = Object.fromEntries(NOTICE_FORMATS.map((f) => [f, renderNotice(f, notice)])) as unknown as NoticeBodies;
  return { webhookId: w.id, orgId: w.orgId, projectId: w.projectId, clockId, reason, notices, now };
}
