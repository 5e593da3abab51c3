// The change log in D1. An event row keeps every format's webhook body exactly as rendered at commit; the
// rollgate body doubles as the change-log entry.
import { and, desc, eq, lt } from "drizzle-orm";
import { events } from "../db/schema";
import type { Db } from "../flags/store";

export interface EventRecord {
  id: string;
  orgId: string;
  projectId: string;
  flagId: string;
  environmentId: string | null;
  event: string;
  createdAt: number;
  rollgateBody: string;
  tgglBody: string;
  slackBody: string;
  sentryBody: string;
}

export function insertEvent(d1: D1Database, r: EventRecord): D1PreparedStatement {
  return d1
    .prepare(
      "INSERT INTO events (id, org_id, project_id, flag_id, environment_id, event, created_at, rollgate_body, tggl_body, slack_body, sentry_body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(r.id, r.orgId, r.projectId, r.flagId, r.environmentId, r.event, r.createdAt, r.rollgateBody, r.tgglBody, r.slackBody, r.sentryBody);
}

export async function listEvents(db: Db, projectId: string, after: number | null, limit: number) {
  const rows = await db
    .select({ seq: events.seq, body: events.rollgateBody })
    .from(events)
    .where(and(eq(events.projectId, projectId), after === null ? undefined : lt(events.seq, after)))
    .orderBy(desc(events.seq))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  return {
    entries: page.map((r) => {
      const { project: _project, ...entry } = JSON.parse(r.body) as Record<string, unknown>;
      return entry;
    }),
    last: rows.length > limit ? page[page.length - 1].seq : null,
  };
}
