// Scheduled changes in D1 (CONTRACT.md v1.2 "Scheduled changes"). D1 is the truth: the writer's
// alarm is armed from the earliest `scheduled` row, and a schedule becomes `applied` in the same
// batch as the change it made (a guard aborts that batch unless the row was still `scheduled`), so a
// restart between the two can neither lose nor repeat it.
import { and, asc, desc, eq, lt, lte, type SQL } from "drizzle-orm";
import { schedules } from "../kernel/db/schema";
import { abortUnless, prepare } from "../kernel/db/statements";
import type { Actor, Db } from "../kernel/app-env";
import { iso } from "../kernel/schemas";
import type { UpdateFlagStateInput } from "../flags/schemas";

export type ScheduleStatus = "scheduled" | "applied" | "failed" | "cancelled";
export type ScheduleRow = typeof schedules.$inferSelect;
type Row = ScheduleRow;

export interface NewSchedule {
  orgId: string;
  projectId: string;
  flagId: string;
  flagKey: string;
  envKey: string;
  at: number;
  patch: UpdateFlagStateInput;
  comment: string | null;
  createdBy: Actor;
  changeRequestId?: string;
}

/** A schedule as the API shows it. */
export interface ScheduleView {
  id: string;
  flag: string;
  environment: string;
  at: string;
  patch: UpdateFlagStateInput;
  comment: string | null;
  status: ScheduleStatus;
  reason: string | null;
  revision: number | null;
  change_request_id: string | null;
  created_by: Actor;
  created_at: string;
  finished_at: string | null;
}

export function scheduleView(r: Row): ScheduleView {
  return {
    id: r.id,
    flag: r.flagKey,
    environment: r.environmentKey,
    at: iso(r.at),
    patch: JSON.parse(r.patch),
    comment: r.comment,
    status: r.status as ScheduleStatus,
    reason: r.reason,
    revision: r.revision,
    change_request_id: r.changeRequestId,
    created_by: { id: r.createdById, email: r.createdByEmail },
    created_at: iso(r.createdAt),
    finished_at: r.finishedAt === null ? null : iso(r.finishedAt),
  };
}

/** The row a new schedule is stored as (its `seq` is given by D1). */
export function scheduleRow(s: NewSchedule, id: string, now: number): Row {
  return {
    seq: 0,
    id,
    orgId: s.orgId,
    projectId: s.projectId,
    flagId: s.flagId,
    flagKey: s.flagKey,
    environmentKey: s.envKey,
    at: s.at,
    patch: JSON.stringify(s.patch),
    comment: s.comment,
    status: "scheduled",
    changeRequestId: s.changeRequestId ?? null,
    createdById: s.createdBy.id,
    createdByEmail: s.createdBy.email,
    createdAt: now,
    reason: null,
    revision: null,
    finishedAt: null,
  };
}

export function scheduleInsert(db: Db, { seq: _, ...row }: Row) {
  return db.insert(schedules).values(row);
}

export async function findSchedule(db: Db, orgId: string, projectId: string, id: string): Promise<Row | null> {
  const [row] = await db
    .select()
    .from(schedules)
    .where(and(eq(schedules.id, id), eq(schedules.orgId, orgId), eq(schedules.projectId, projectId)));
  return row ?? null;
}

export interface ScheduleFilter {
  status?: ScheduleStatus;
  flag?: string;
  environment?: string;
}

/** Newest first, by creation. */
export async function listSchedules(db: Db, orgId: string, projectId: string, filter: ScheduleFilter, after: number | null, limit: number) {
  const where: (SQL | undefined)[] = [eq(schedules.orgId, orgId), eq(schedules.projectId, projectId)];
  if (filter.status) where.push(eq(schedules.status, filter.status));
  if (filter.flag) where.push(eq(schedules.flagKey, filter.flag));
  if (filter.environment) where.push(eq(schedules.environmentKey, filter.environment));
  if (after !== null) where.push(lt(schedules.seq, after));
  const rows = await db
    .select()
    .from(schedules)
    .where(and(...where))
    .orderBy(desc(schedules.seq))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  return { schedules: page.map(scheduleView), last: rows.length > limit ? page[page.length - 1].seq : null };
}

/** The project's schedules due at `now`, in the order they are applied: by time, then creation. */
export function dueSchedules(db: Db, projectId: string, now: number, limit: number) {
  return db
    .select()
    .from(schedules)
    .where(and(eq(schedules.projectId, projectId), eq(schedules.status, "scheduled"), lte(schedules.at, now)))
    .orderBy(asc(schedules.at), asc(schedules.seq))
    .limit(limit);
}

/** When the project's next schedule is due (null: none is waiting). */
export async function nextScheduleAt(db: Db, projectId: string): Promise<number | null> {
  const [row] = await db
    .select({ at: schedules.at })
    .from(schedules)
    .where(and(eq(schedules.projectId, projectId), eq(schedules.status, "scheduled")))
    .orderBy(asc(schedules.at))
    .limit(1);
  return row?.at ?? null;
}

/** Whether the schedule is still waiting (read when its change is staged: a cancel before it wins). */
export async function stillScheduled(db: Db, id: string): Promise<boolean> {
  const [row] = await db.select({ status: schedules.status }).from(schedules).where(eq(schedules.id, id));
  return row?.status === "scheduled";
}

/** In the batch of the change it made: aborts the batch unless the schedule is still waiting, then marks it applied. */
export function appliedStatements(d1: D1Database, db: Db, id: string, revision: number | null, now: number): D1PreparedStatement[] {
  return [
    abortUnless(d1, "EXISTS (SELECT 1 FROM schedules WHERE id = ? AND status = 'scheduled')", [id], `schedule ${id}`),
    prepare(d1, db.update(schedules).set({ status: "applied", revision, finishedAt: now }).where(eq(schedules.id, id))),
  ];
}

/** A schedule that needed no batch: applied without a change, or failed with its reason. */
export function finish(db: Db, id: string, outcome: { status: "applied" | "failed"; reason?: string }, now: number) {
  return db
    .update(schedules)
    .set({ status: outcome.status, reason: outcome.reason ?? null, finishedAt: now })
    .where(and(eq(schedules.id, id), eq(schedules.status, "scheduled")));
}

/** Cancels a waiting schedule; answers false when it was no longer waiting. */
export async function cancelSchedule(db: Db, id: string, now: number): Promise<boolean> {
  const rows = await db
    .update(schedules)
    .set({ status: "cancelled", finishedAt: now })
    .where(and(eq(schedules.id, id), eq(schedules.status, "scheduled")))
    .returning({ id: schedules.id });
  return rows.length === 1;
}
