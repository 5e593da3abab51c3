// Change requests in D1 (CONTRACT.md v1.2 "Changes that need a second person"). A request moves
// open → approved → applied, or to closed from open or approved; nothing leaves applied or closed.
// Applying is the writer's: the request becomes `applied` in the batch of the change it made, guarded
// so that it must still be `approved` there (the same for its schedule, when it had `apply_at`).
import { and, desc, eq, inArray, lt, type SQL } from "drizzle-orm";
import { changeRequests, schedules } from "../kernel/db/schema";
import { abortUnless, prepare } from "../kernel/db/statements";
import type { Actor, Db } from "../kernel/app-env";
import { iso } from "../kernel/schemas";
import type { UpdateFlagStateInput } from "../flags/schemas";
import type { DryRunEvent } from "./dry-run";

export type ChangeRequestStatus = "open" | "approved" | "applied" | "closed";
export type ChangeRequestRow = typeof changeRequests.$inferSelect;

export interface ChangeRequestView {
  id: string;
  status: ChangeRequestStatus;
  flag: string;
  environment: string;
  patch: UpdateFlagStateInput;
  comment: string | null;
  apply_at: string | null;
  base_version: number;
  created_by: Actor;
  created_at: string;
  preview: DryRunEvent[];
  approved_by: Actor | null;
  approved_at: string | null;
  revision: number | null;
  schedule_id: string | null;
  reason: string | null;
  finished_at: string | null;
}

export function changeRequestView(r: ChangeRequestRow): ChangeRequestView {
  return {
    id: r.id,
    status: r.status as ChangeRequestStatus,
    flag: r.flagKey,
    environment: r.environmentKey,
    patch: JSON.parse(r.patch),
    comment: r.comment,
    apply_at: r.applyAt === null ? null : iso(r.applyAt),
    base_version: r.baseVersion,
    created_by: { id: r.createdById, email: r.createdByEmail },
    created_at: iso(r.createdAt),
    preview: JSON.parse(r.preview),
    approved_by: approverOf(r) ?? null,
    approved_at: r.approvedAt === null ? null : iso(r.approvedAt),
    revision: r.revision,
    schedule_id: r.scheduleId,
    reason: r.reason,
    finished_at: r.finishedAt === null ? null : iso(r.finishedAt),
  };
}

export function approverOf(r: ChangeRequestRow): Actor | undefined {
  return r.approvedById && r.approvedByEmail ? { id: r.approvedById, email: r.approvedByEmail } : undefined;
}

export interface NewChangeRequest {
  id: string;
  orgId: string;
  projectId: string;
  flagId: string;
  flagKey: string;
  envKey: string;
  patch: UpdateFlagStateInput;
  comment: string | null;
  applyAt: number | null;
  baseVersion: number;
  preview: DryRunEvent[];
  createdBy: Actor;
}

/** The row a new request is stored as (its `seq` is given by D1). */
export function changeRequestRow(r: NewChangeRequest, now: number): ChangeRequestRow {
  return {
    seq: 0,
    id: r.id,
    orgId: r.orgId,
    projectId: r.projectId,
    flagId: r.flagId,
    flagKey: r.flagKey,
    environmentKey: r.envKey,
    patch: JSON.stringify(r.patch),
    comment: r.comment,
    applyAt: r.applyAt,
    status: "open",
    baseVersion: r.baseVersion,
    preview: JSON.stringify(r.preview),
    createdById: r.createdBy.id,
    createdByEmail: r.createdBy.email,
    createdAt: now,
    reason: null,
    revision: null,
    scheduleId: null,
    approvedById: null,
    approvedByEmail: null,
    approvedAt: null,
    finishedAt: null,
  };
}

export function changeRequestInsert(db: Db, { seq: _, ...row }: ChangeRequestRow) {
  return db.insert(changeRequests).values(row);
}

export async function findChangeRequest(db: Db, orgId: string, projectId: string, id: string): Promise<ChangeRequestRow | null> {
  const [row] = await db
    .select()
    .from(changeRequests)
    .where(and(eq(changeRequests.id, id), eq(changeRequests.orgId, orgId), eq(changeRequests.projectId, projectId)));
  return row ?? null;
}

export async function changeRequestById(db: Db, id: string): Promise<ChangeRequestRow | null> {
  const [row] = await db.select().from(changeRequests).where(eq(changeRequests.id, id));
  return row ?? null;
}

/** Requests by id, for the schedules due together. */
export async function changeRequestsByIds(db: Db, ids: string[]): Promise<Map<string, ChangeRequestRow>> {
  if (!ids.length) return new Map();
  const rows = await db.select().from(changeRequests).where(inArray(changeRequests.id, ids));
  return new Map(rows.map((r) => [r.id, r]));
}

export interface ChangeRequestFilter {
  status?: ChangeRequestStatus;
  flag?: string;
  environment?: string;
}

/** Newest first. */
export async function listChangeRequests(db: Db, orgId: string, projectId: string, filter: ChangeRequestFilter, after: number | null, limit: number) {
  const where: (SQL | undefined)[] = [eq(changeRequests.orgId, orgId), eq(changeRequests.projectId, projectId)];
  if (filter.status) where.push(eq(changeRequests.status, filter.status));
  if (filter.flag) where.push(eq(changeRequests.flagKey, filter.flag));
  if (filter.environment) where.push(eq(changeRequests.environmentKey, filter.environment));
  if (after !== null) where.push(lt(changeRequests.seq, after));
  const rows = await db
    .select()
    .from(changeRequests)
    .where(and(...where))
    .orderBy(desc(changeRequests.seq))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  return { changeRequests: page.map(changeRequestView), last: rows.length > limit ? page[page.length - 1].seq : null };
}

/** Approval: only an open request; answers the row as it now is, or null when it was not open. */
export function approveStatement(db: Db, id: string, approver: Actor, scheduleId: string | null, now: number) {
  return db
    .update(changeRequests)
    .set({ status: "approved", approvedById: approver.id, approvedByEmail: approver.email, approvedAt: now, scheduleId })
    .where(and(eq(changeRequests.id, id), eq(changeRequests.status, "open")));
}

/** Closing: an open or approved request, and the schedule an approval made for it. */
export function closeStatements(d1: D1Database, db: Db, id: string, now: number): D1PreparedStatement[] {
  return [
    prepare(
      d1,
      db
        .update(changeRequests)
        .set({ status: "closed", finishedAt: now })
        .where(and(eq(changeRequests.id, id), eq(changeRequests.status, "open")))
        .returning({ id: changeRequests.id }),
    ),
    prepare(
      d1,
      db
        .update(changeRequests)
        .set({ status: "closed", finishedAt: now })
        .where(and(eq(changeRequests.id, id), eq(changeRequests.status, "approved")))
        .returning({ id: changeRequests.id }),
    ),
    prepare(
      d1,
      db
        .update(schedules)
        .set({ status: "cancelled", finishedAt: now })
        .where(and(eq(schedules.changeRequestId, id), eq(schedules.status, "scheduled"))),
    ),
  ];
}

/** In the batch of the change it made: aborts unless the request is still approved, then marks it applied (and its schedule's waiting row cancelled). */
export function crAppliedStatements(d1: D1Database, db: Db, id: string, revision: number | null, now: number, viaSchedule: boolean): D1PreparedStatement[] {
  const statements = [
    abortUnless(d1, "EXISTS (SELECT 1 FROM change_requests WHERE id = ? AND status = 'approved')", [id], `change request ${id}`),
    prepare(
      d1,
      db
        .update(changeRequests)
        .set({ status: "applied", revision, finishedAt: now })
        .where(and(eq(changeRequests.id, id), eq(changeRequests.status, "approved"))),
    ),
  ];
  if (!viaSchedule)
    statements.push(
      prepare(
        d1,
        db
          .update(schedules)
          .set({ status: "cancelled", finishedAt: now })
          .where(and(eq(schedules.changeRequestId, id), eq(schedules.status, "scheduled"))),
      ),
    );
  return statements;
}

/** Why a request's scheduled apply did not happen (it stays approved; applying by hand says the same). */
export function crReason(db: Db, id: string, reason: string) {
  return db.update(changeRequests).set({ reason }).where(eq(changeRequests.id, id));
}
