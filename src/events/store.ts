// The change log in D1. An event row keeps both webhook bodies exactly as rendered at commit; the
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
}

export function insertEvent(db: Db, record: EventRecord) {
  return db.insert(events).values(record);
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
