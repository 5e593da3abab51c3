// The change log in D1. An event row keeps its webhook bodies exactly as rendered at commit (the
// rollgate body always: it doubles as the change-log entry; the others when a webhook wanted them).
import { and, asc, desc, eq, gt, lt } from "drizzle-orm";
import { events } from "../kernel/db/schema";
import type { ChangeOrigin, Db } from "../kernel/app-env";
import { projectOfOrganization } from "../kernel/project-scope";

export interface EventRecord {
  id: string;
  orgId: string;
  projectId: string;
  flagId: string;
  environmentId: string | null;
  event: string;
  createdAt: number;
  rollgateBody: string;
  /** "" when no webhook wanted it at commit (see EventBodies). */
  tgglBody: string;
  slackBody: string | null;
  sentryBody: string | null;
  revision: number;
  /** The change's ChangeOrigin as JSON (comment, schedule, change request, approver), or null. */
  origin: string | null;
}

export function insertEvent(d1: D1Database, r: EventRecord): D1PreparedStatement {
  return d1
    .prepare(
      "INSERT INTO events (id, org_id, project_id, flag_id, environment_id, event, created_at, rollgate_body, tggl_body, slack_body, sentry_body, revision, origin) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(
      r.id,
      r.orgId,
      r.projectId,
      r.flagId,
      r.environmentId,
      r.event,
      r.createdAt,
      r.rollgateBody,
      r.tgglBody,
      r.slackBody,
      r.sentryBody,
      r.revision,
      r.origin,
    );
}

/**
 * A page of an organization's project's change log, read in one D1 call with the check that the
 * project is the organization's ("no project" when it is not, there): newest first, or — with
 * `sinceRevision` — the events of later revisions, oldest first, which is how a receiver catches up.
 * The cursor is the last served row's `seq` either way (a project's events get increasing `seq` and
 * revisions together).
 */
export async function listEventsOfOrganization(db: Db, orgId: string, projectId: string, after: number | null, limit: number, sinceRevision?: number) {
  const catchUp = sinceRevision !== undefined;
  const [project, rows] = await db.batch([
    projectOfOrganization(db, orgId, projectId),
    db
      .select({ seq: events.seq, body: events.rollgateBody, revision: events.revision, origin: events.origin })
      .from(events)
      .where(
        and(
          eq(events.projectId, projectId),
          catchUp ? gt(events.revision, sinceRevision) : undefined,
          after === null ? undefined : catchUp ? gt(events.seq, after) : lt(events.seq, after),
        ),
      )
      .orderBy(catchUp ? asc(events.seq) : desc(events.seq))
      .limit(limit + 1),
  ]);
  if (!project.length) return "no project" as const;
  const page = rows.slice(0, limit);
  return {
    entries: page.map((r) => {
      const { project: _project, ...entry } = JSON.parse(r.body) as Record<string, unknown>;
      // Events older than revisions have none in their body; the column has the migration's number.
      return { ...entry, revision: r.revision, ...originFields(r.origin) };
    }),
    last: rows.length > limit ? page[page.length - 1].seq : null,
  };
}

/** The change-log fields of a change's origin: always present, null where they do not apply. */
export function originFields(json: string | null) {
  const o = (json ? JSON.parse(json) : {}) as ChangeOrigin;
  return { comment: o.comment ?? null, schedule_id: o.schedule_id ?? null, change_request_id: o.change_request_id ?? null, approved_by: o.approved_by ?? null };
}
