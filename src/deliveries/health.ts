// A webhook's health as its owner sees it, and what happens when Flagpost disables a webhook: its
// waiting deliveries fail ("webhook disabled") and organization webhooks subscribed to
// `webhook.disabled` are told, all in the batch that records the attempt that decided it.
import { iso } from "../schemas";
import { createdForNotice, failedWithWebhook } from "./interventions";
import type { ClaimedDelivery } from "./lifecycle";

export const WEBHOOK_DISABLED_EVENT = "webhook.disabled" as const;
export type DisableReason = "gone" | "failing";

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

/** The body organization webhooks get when a webhook is disabled. */
export function renderDisabledNotice(row: ClaimedDelivery, reason: DisableReason, now: number): string {
  return JSON.stringify({
    id: crypto.randomUUID(),
    event: WEBHOOK_DISABLED_EVENT,
    timestamp: iso(now),
    webhook: { id: row.webhook_id, name: row.name, url: row.url, scope: row.webhook_project_id === null ? "organization" : "project", project_id: row.webhook_project_id },
    reason,
  });
}

/**
 * Disables the webhook (if it is still enabled), fails what it had waiting, and queues the notices
 * on the delivery's own clock. The notices exist only if this batch is the one that disabled it.
 */
export function disabledStatements(d1: D1Database, row: ClaimedDelivery, reason: DisableReason, now: number): D1PreparedStatement[] {
  return [
    d1
      .prepare(
        `UPDATE webhooks SET enabled = 0, disabled_reason = ?2, disabled_at = ?3, circuit = 'closed', probe_delivery_id = NULL, updated_at = ?3
         WHERE id = ?1 AND enabled = 1`,
      )
      .bind(row.webhook_id, reason, now),
    failedWithWebhook(d1, row.webhook_id, now),
    createdForNotice(d1, { orgId: row.org_id, clockId: row.project_id ?? "", event: WEBHOOK_DISABLED_EVENT, body: renderDisabledNotice(row, reason, now), exceptId: row.webhook_id, now }),
  ];
}
