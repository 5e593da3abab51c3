// Which webhooks an event reaches. One predicate, used both by the INSERT … SELECT that creates a
// committed change's deliveries and by the dry run that names them, so the two cannot disagree:
// the project's webhooks and the organization's, enabled, whose `events` hold the event and whose
// `environments` (when set) hold the event's environment. Flag-level events have no environment,
// and no environment filter narrows them.
import type { WebhookFormat } from "./bodies";

/** The SQL placeholders (`?1`, …) a statement binds each value to. */
export interface MatchPlaceholders {
  orgId: string;
  projectId: string;
  event: string;
  /** Bound to null for flag-level events. */
  envKey: string;
}

/**
 * The project's and its organization's webhooks, as a condition on `webhooks w` (SQL parameters
 * named). Two lookups of the (org_id, project_id) index: written as one OR, SQLite reads every
 * webhook of the organization (up to 100 per project) to find them.
 */
export function webhooksOfProject(orgParam: string, projectParam: string): string {
  return `w.seq IN (SELECT seq FROM webhooks WHERE org_id = ${orgParam} AND project_id = ${projectParam}
                    UNION ALL SELECT seq FROM webhooks WHERE org_id = ${orgParam} AND project_id IS NULL)`;
}

/** The predicate over `webhooks w`, with the caller's placeholders. */
export function webhookMatches(p: MatchPlaceholders): string {
  return `${webhooksOfProject(p.orgId, p.projectId)} AND w.enabled = 1
         AND EXISTS (SELECT 1 FROM json_each(w.events) WHERE value = ${p.event})
         AND (${p.envKey} IS NULL OR w.environments IS NULL
              OR EXISTS (SELECT 1 FROM json_each(w.environments) WHERE value = ${p.envKey}))`;
}

export interface EventTarget {
  orgId: string;
  projectId: string;
  event: string;
  envKey: string | null;
}

export interface MatchedWebhook {
  id: string;
  name: string;
  format: WebhookFormat;
}

/** The webhooks an event would reach now, in the order its deliveries would be created. Reads only. */
export function matchingWebhooks(d1: D1Database, t: EventTarget): D1PreparedStatement {
  return d1
    .prepare(
      `SELECT w.id, w.name, w.format FROM webhooks w WHERE ${webhookMatches({ orgId: "?1", projectId: "?2", event: "?3", envKey: "?4" })} ORDER BY w.seq`,
    )
    .bind(t.orgId, t.projectId, t.event, t.envKey);
}
