// ProjectDO — the single writer of one project, and its retry clock.
//
// Guarantees:
// - Changes are staged one at a time, in arrival order, against the project as the object holds it
//   in memory (every change staged before applied, committed or not), and committed in groups: the
//   changes staged while a batch is in flight go together in the next one, each with its own
//   version, revision, events and deliveries (projects/group-commit.ts says the rules).
// - Each caller is answered when its own change is durable. A failed batch fails exactly its
//   changes, announces none, drops the in-memory copy, and what was staged on top is staged again
//   from what D1 holds.
// - The object is the only writer of its project's flags, so its copy should be exact; every write
//   in a batch is guarded by the version it expects, and the batch aborts if one did not land (a D1
//   restore, a manual fix, a briefly duplicated object): nothing of it is stored or announced, and
//   its callers are told to retry (409).
// - A change, its events and one pending delivery per matching webhook are in ONE D1 batch (with the
//   changes committed beside it). Queue messages go out after the commit; if that fails, the retry
//   clock re-sends.
// - The project's revision moves by exactly one per committed change, in that change's batch.
// - Every write method is a plan (projects/plans.ts: what the change would be, computed from the
//   state, writing nothing) handed to the group commit: a dry run can use the same plan.
// - The object hosts its project's retry clock (src/deliveries/clock.ts) as its alarm.
import { DurableObject } from "cloudflare:workers";
import { drizzle } from "drizzle-orm/d1";
import { requeueAfterMs, RetryClock, sendAttemptsNow } from "../deliveries/clock";
import { readSettings } from "../kernel/env";
import { fail, type ErrorCode, type Result } from "../kernel/errors";
import { abortUnlessOneRowChanged, isAbortedGuard, prepare } from "../kernel/db/statements";
import { addEnvironment } from "../flags/commands";
import type { Flag, FlagState } from "../flags/model";
import type { CreateFlagInput, UpdateFlagInput, UpdateFlagStateInput } from "../flags/schemas";
import { listEnvironments } from "../flags/store";
import { readRoutes, type WebhookRoute } from "../outbound/formats-in-use";
import { groupBatch, stageChange, type StagedChange } from "./commit";
import { GroupCommit, type Staged } from "./group-commit";
import { dryRunOf, planWrite, statePreview, type DryRun, type DryRunScope, type FlagWrite, type StatePreview } from "./dry-run";
import { planCreateFlag, planDeleteFlag, planUpdateFlag, planUpdateFlagState, type Planned } from "./plans";
import { ProjectState, type FlagChange } from "./project-state";
import { approvalRule, planRevert, type RevertAnswer } from "./revert";
import { revertRecords } from "./revision-store";
import { notifyStreams } from "./stream-notify";
import { approvalRefusal, laterPlan, NO_LONGER_WAITING, type LaterWrite } from "./later-writes";
import {
  appliedStatements as scheduleAppliedStatements,
  cancelSchedule,
  dueSchedules,
  findSchedule,
  finish as finishSchedule,
  nextScheduleAt,
  scheduleInsert,
  scheduleRow,
  scheduleView,
  type ScheduleRow,
  type ScheduleView,
} from "./schedules";
import { createdForAnnouncement, type Announcement } from "../deliveries/lifecycle";
import { requestAnnouncement, type NoticeScope } from "./change-request-notices";
import {
  approveStatement,
  approverOf,
  changeRequestInsert,
  changeRequestRow,
  changeRequestView,
  closeStatements,
  findChangeRequest,
  type ChangeRequestView,
  changeRequestsByIds,
  crAppliedStatements as requestAppliedStatements,
  crReason as requestReason,
  type ChangeRequestRow,
} from "./change-requests";
import { environmentInsert, environmentUpdate, projectById, statesForNewEnvironment } from "./store";
import type { Db } from "../kernel/app-env";
import type { Actor, ChangeOrigin } from "../kernel/app-env";
import type { Environment } from "../kernel/project-scope";

/** Who writes, and to which project: every method checks the project is the organization's. */
export interface WriteContext {
  orgId: string;
  projectId: string;
  actor: Actor;
  /** A comment, or the schedule or change request that made the change: kept with its events. */
  origin?: ChangeOrigin;
}

type Plan = (state: ProjectState) => Promise<Planned<object>>;
type Alone = (state: ProjectState) => Promise<Result<object>>;
/** `marks`: statements that go in the change's batch after it (a schedule or change request recording what it made). */
type WriteRequest = { ctx: WriteContext; plan?: Plan; alone?: Alone; marks?: (revision: number) => D1PreparedStatement[] };
type Answer<T> = Result<T & { bookmark?: string }>;

export class ProjectDO extends DurableObject<Env> {
  private readonly db: Db = drizzle(this.env.DB);
  private state: ProjectState | null = null;
  /** Read once: settings parse on every call, and the commit path should not. */
  private readonly requeueAfter = requeueAfterMs(readSettings(this.env).deliveryTimeoutMs);
  private readonly clock = new RetryClock(this.ctx.storage, this.env, this.requeueAfter);
  /** The enabled webhooks as the last batch read them: which body formats a change renders (null: all). */
  private routes: WebhookRoute[] | null = null;
  /** The D1 bookmark of the last commit, handed back so the writer's client reads its own write. */
  private bookmark: string | null = null;
  /** Schedules and change requests being applied now: a second ring (or apply) of the same one is skipped, not staged twice. */
  private readonly applying = new Set<string>();
  /** Whether this object's life has armed the alarm from the schedules D1 holds. */
  private schedulesArmed = false;
  private readonly group = new GroupCommit<WriteRequest, StagedChange>({
    stage: (r) => this.stage(r),
    runAlone: (r) => this.runAlone(r),
    commit: (changes) => this.commit(changes),
    forget: () => {
      this.state = null;
    },
    failed: (err) => (isAbortedGuard(err) ? STALE : null),
  });

  createFlag(ctx: WriteContext, input: CreateFlagInput): Promise<Answer<{ flag: Flag }>> {
    return this.write(ctx, (state) => planCreateFlag(state, input));
  }

  updateFlag(ctx: WriteContext, flagKey: string, patch: UpdateFlagInput, expected?: number): Promise<Answer<{ flag: Flag }>> {
    return this.write(ctx, (state) => planUpdateFlag(state, flagKey, patch, expected));
  }

  /** Answers only the state: the route needs no more, and the whole flag would cross RPC on every toggle. */
  updateFlagState(ctx: WriteContext, flagKey: string, envKey: string, patch: UpdateFlagStateInput, expected?: number): Promise<Answer<{ state: FlagState }>> {
    return this.write(ctx, async (state) => approvalRefusal(state, envKey) ?? planUpdateFlagState(state, flagKey, envKey, patch, expected));
  }

  deleteFlag(ctx: WriteContext, flagKey: string, expected?: number): Promise<Answer<{ flag: Flag }>> {
    return this.write(ctx, (state) => planDeleteFlag(state, flagKey, expected));
  }

  /** Runs alone: after every change before it has committed, before any later one is staged. */
  createEnvironment(ctx: WriteContext, key: string, name: string): Promise<Answer<{ environment: Environment }>> {
    const alone: Alone = async (state) => {
      const project = state.project;
      if (project.environments.some((e) => e.key === key)) return fail("conflict", `an environment with key "${key}" already exists`);
      const environment = { id: crypto.randomUUID(), key, name, requires_approval: false };
      await this.primary([
        prepare(this.env.DB, environmentInsert(this.db, project.id, environment, project.environments.length)),
        statesForNewEnvironment(this.env.DB, project.id, environment.id),
      ]);
      project.environments = [...project.environments, environment];
      state.updateEach((flag) => addEnvironment(flag, key));
      return { ok: true, environment };
    };
    return this.group.submit({ ctx, alone }, true) as Promise<Answer<{ environment: Environment }>>;
  }

  /** An environment's settings; runs alone, so every change staged before it was judged by the old ones. */
  updateEnvironment(ctx: WriteContext, envKey: string, patch: EnvironmentPatch): Promise<Answer<{ environment: Environment }>> {
    const alone: Alone = async (state) => {
      const project = state.project;
      const current = project.environments.find((e) => e.key === envKey);
      if (!current) return fail("not_found", `no environment "${envKey}"`);
      const environment = { ...current, ...patch, requires_approval: patch.requires_approval ?? current.requires_approval ?? false };
      if (patch.name !== undefined || patch.requires_approval !== undefined)
        await this.primary([prepare(this.env.DB, environmentUpdate(this.db, current.id, patch))]);
      project.environments = project.environments.map((e) => (e.key === envKey ? environment : e));
      return { ok: true, environment };
    };
    return this.group.submit({ ctx, alone }, true) as Promise<Answer<{ environment: Environment }>>;
  }

  /**
   * Sets the fields `revision` changed back to what they were before it, as one new change (revert.ts);
   * with `dryRun`, answers what that change would be (as a write's dry run does) and writes nothing.
   */
  async revert(ctx: WriteContext, revision: number, dryRun = false): Promise<Answer<RevertAnswer & Partial<DryRun>>> {
    type Preview = { preview?: { scope: DryRunScope; change: FlagChange | null } };
    const planned = await this.write<RevertAnswer & Preview>(ctx, async (state) => {
      const records = await revertRecords(this.env.DB, state.project.id, revision, state.uncommitted);
      const plan = await planRevert(state, revision, records, approvalRule(state.project.environments));
      if (!plan.ok || !dryRun) return plan;
      const scope: DryRunScope = { orgId: state.project.orgId, projectId: state.project.id, environments: state.project.environments };
      return { ok: true, change: null, answer: { ...plan.answer, preview: { scope, change: plan.change } } };
    });
    if (!planned.ok || !planned.preview) return planned;
    const { preview, bookmark: _nothingWritten, ...answer } = planned;
    const { dry_run, events } = await dryRunOf(this.env.DB, preview.scope, { change: preview.change, result: answer.flag });
    return { ...answer, dry_run, events };
  }

  // ---- Dry runs: a write's own plan, staged in order with no change to commit (dry-run.ts) ------

  async dryRun(ctx: WriteContext, write: FlagWrite): Promise<Result<DryRun>> {
    const planned = await this.write(ctx, async (state) => {
      const refused = write.kind === "state" ? approvalRefusal(state, write.envKey) : null;
      if (refused) return refused;
      const plan = await planWrite(state, write);
      const scope: DryRunScope = { orgId: state.project.orgId, projectId: state.project.id, environments: state.project.environments };
      return plan.ok ? { ok: true, change: null, answer: { plan, scope } } : plan;
    });
    return planned.ok ? { ok: true, ...(await dryRunOf(this.env.DB, planned.scope, planned.plan)) } : planned;
  }

  /** A state PATCH's before and after, for the what-if preview. */
  async previewState(ctx: WriteContext, flagKey: string, envKey: string, patch: UpdateFlagStateInput, expected?: number): Promise<Result<StatePreview>> {
    const planned = await this.write(ctx, async (state) => {
      const plan = await planUpdateFlagState(state, flagKey, envKey, patch, expected);
      if (!plan.ok) return plan;
      const before = plan.change?.before ?? (await state.flag(flagKey))!; // planned, so the flag exists
      return { ok: true, change: null, answer: statePreview(before, plan.change?.after ?? before, envKey) };
    });
    if (!planned.ok) return planned;
    const { archived, before, after } = planned; // not the bookmark: nothing was written
    return { ok: true, archived, before, after };
  }

  /** Called by the consumer and the routes: make sure the retry clock rings by `at`. */
  async armRetry(at: number): Promise<void> {
    await this.clock.arm(at);
  }

  /**
   * One alarm, two clocks: the retry clock and the schedules. Every ring runs both; each does a bounded
   * share of its due work and re-arms the alarm with its own next time, and arming only ever moves
   * the alarm earlier, so it rings at the earliest of the two. Neither waits for the other: a long
   * backlog of schedules is taken SCHEDULES_PER_RING at a time, re-arming at once, and retries
   * still go out on every one of those rings (docs/architecture.md, "One alarm, two clocks").
   */
  override async alarm(): Promise<void> {
    const clockId = this.ctx.id.name ?? (await this.ctx.storage.get<string>("projectId"));
    if (!clockId) return;
    await Promise.all([this.clock.ring(clockId), this.ringSchedules(clockId)]);
  }

  // ---- Schedules and change requests: patches applied later (later-writes.ts) ------------------

  /** Validates a schedule's patch against the state now (what a state PATCH would answer), stores it, and arms the alarm for it. */
  async createSchedule(ctx: WriteContext, s: ScheduleInput): Promise<Answer<{ schedule: ScheduleView }>> {
    const planned = await this.write(ctx, async (state) => {
      const plan = await planUpdateFlagState(state, s.flagKey, s.envKey, s.patch);
      if (!plan.ok) return plan;
      const refused = approvalRefusal(state, s.envKey);
      if (refused) return fail(refused.code, `the environment "${s.envKey}" requires approval: propose a change request with apply_at`);
      return { ok: true, change: null, answer: { flagId: (await state.flag(s.flagKey))!.id } };
    });
    if (!planned.ok) return planned;
    const row = scheduleRow(
      { ...s, orgId: ctx.orgId, projectId: ctx.projectId, flagId: planned.flagId, createdBy: ctx.actor },
      crypto.randomUUID(),
      Date.now(),
    );
    await this.primary([prepare(this.env.DB, scheduleInsert(this.db, row))]);
    await this.clock.arm(row.at);
    return { ok: true, schedule: scheduleView(row), ...(this.bookmark ? { bookmark: this.bookmark } : {}) };
  }

  /** Cancels a waiting schedule, after every change staged before (so one being applied is applied first: 409). */
  cancelSchedule(ctx: WriteContext, scheduleId: string): Promise<Result<object>> {
    const alone: Alone = async () => {
      const row = await findSchedule(this.db, ctx.orgId, ctx.projectId, scheduleId);
      if (!row) return fail("not_found", "no such schedule");
      if (row.status === "cancelled") return { ok: true };
      if (row.status !== "scheduled" || !(await cancelSchedule(this.db, scheduleId, Date.now())))
        return fail("conflict", `the schedule is ${row.status === "scheduled" ? "being applied" : row.status}; only a waiting one can be cancelled`);
      return { ok: true };
    };
    return this.group.submit({ ctx, alone }, true) as Promise<Result<object>>;
  }

  /** Applies the schedules due at `now` (at most SCHEDULES_PER_RING, by time then creation), and arms the alarm for the next. Tests pass their own `now`. */
  async runSchedules(now = Date.now()): Promise<{ applied: number; failed: number }> {
    const projectId = this.ctx.id.name ?? (await this.ctx.storage.get<string>("projectId"));
    if (!projectId || projectId.startsWith("org:")) return { applied: 0, failed: 0 };
    const due = await dueSchedules(this.db, projectId, now, SCHEDULES_PER_RING);
    const requests = await changeRequestsByIds(
      this.db,
      due.flatMap((r) => (r.changeRequestId ? [r.changeRequestId] : [])),
    );
    // Submitted together, in order: the group commit stages them in that order, and batches them.
    const outcomes = await Promise.all(due.map((row) => this.applySchedule(row, row.changeRequestId ? requests.get(row.changeRequestId) : undefined)));
    const next = due.length === SCHEDULES_PER_RING || outcomes.includes("retry") ? Date.now() + 1000 : await nextScheduleAt(this.db, projectId);
    if (next !== null) await this.clock.arm(Math.max(next, Date.now()));
    return { applied: outcomes.filter((o) => o === "applied").length, failed: outcomes.filter((o) => o === "failed").length };
  }

  /** Proposes a state change: the dry run's events are its preview, the state's version its base; webhooks hear `change_request.opened`. */
  async openChangeRequest(ctx: WriteContext, input: ChangeRequestInput): Promise<Answer<{ changeRequest: ChangeRequestView }>> {
    const { flagKey, envKey, patch } = input;
    const planned = await this.write(ctx, async (state) => {
      const plan = await planWrite(state, { kind: "state", flagKey, envKey, patch });
      if (!plan.ok) return plan;
      const flag = (await state.flag(flagKey))!;
      const scope: DryRunScope = { orgId: state.project.orgId, projectId: state.project.id, environments: state.project.environments };
      return {
        ok: true,
        change: null,
        answer: { plan, scope, notice: this.noticeScope(state, flag, envKey), flagId: flag.id, baseVersion: flag.environments[envKey].version },
      };
    });
    if (!planned.ok) return planned;
    const preview = (await dryRunOf(this.env.DB, planned.scope, planned.plan)).events;
    const now = Date.now();
    const row = changeRequestRow(
      {
        ...input,
        id: crypto.randomUUID(),
        orgId: ctx.orgId,
        projectId: ctx.projectId,
        flagId: planned.flagId,
        baseVersion: planned.baseVersion,
        preview,
        createdBy: ctx.actor,
      },
      now,
    );
    await this.announced(
      [prepare(this.env.DB, changeRequestInsert(this.db, row))],
      requestAnnouncement("change_request.opened", planned.notice, row, null, now),
    );
    return { ok: true, changeRequest: changeRequestView(row), ...(this.bookmark ? { bookmark: this.bookmark } : {}) };
  }

  /** Approval by another user of the organization; with `apply_at`, the request becomes a schedule. Webhooks hear `change_request.approved`. */
  approveChangeRequest(ctx: WriteContext, id: string): Promise<Answer<{ changeRequest: ChangeRequestView }>> {
    const alone: Alone = async (state) => {
      const row = await findChangeRequest(this.db, ctx.orgId, ctx.projectId, id);
      if (!row) return fail("not_found", "no such change request");
      if (row.status !== "open") return fail("conflict", `the change request is ${row.status}; only an open one can be approved`);
      if (row.createdById === ctx.actor.id) return fail("forbidden", "a change request needs another person: its author cannot approve it");
      const now = Date.now();
      const scheduleId = row.applyAt === null ? null : crypto.randomUUID();
      const approved: ChangeRequestRow = {
        ...row,
        status: "approved",
        approvedById: ctx.actor.id,
        approvedByEmail: ctx.actor.email,
        approvedAt: now,
        scheduleId,
      };
      const statements = [
        prepare(this.env.DB, approveStatement(this.db, id, ctx.actor, scheduleId, now)),
        abortUnlessOneRowChanged(this.env.DB, `change request ${id}`),
      ];
      if (scheduleId !== null && row.applyAt !== null) {
        const author = { id: row.createdById, email: row.createdByEmail };
        const s = scheduleRow(
          {
            orgId: row.orgId,
            projectId: row.projectId,
            flagId: row.flagId,
            flagKey: row.flagKey,
            envKey: row.environmentKey,
            at: row.applyAt,
            patch: JSON.parse(row.patch),
            comment: row.comment,
            createdBy: author,
            changeRequestId: id,
          },
          scheduleId,
          now,
        );
        statements.push(prepare(this.env.DB, scheduleInsert(this.db, s)));
      }
      const notice = this.noticeScope(state, (await state.flag(row.flagKey)) ?? { id: row.flagId, key: row.flagKey, name: row.flagKey }, row.environmentKey);
      await this.announced(statements, requestAnnouncement("change_request.approved", notice, approved, ctx.actor, now));
      if (row.applyAt !== null) await this.clock.arm(Math.max(row.applyAt, now));
      return { ok: true, changeRequest: changeRequestView(approved) };
    };
    return this.group.submit({ ctx, alone }, true) as Promise<Answer<{ changeRequest: ChangeRequestView }>>;
  }

  /** Applies an approved request now, through the writer: `triggered_by` its author, `approved_by` in the change log; a state that moved since it was proposed → 409 stale_change_request. */
  async applyChangeRequest(ctx: WriteContext, id: string): Promise<Answer<{ changeRequest: ChangeRequestView }>> {
    const row = await findChangeRequest(this.db, ctx.orgId, ctx.projectId, id);
    if (!row) return fail("not_found", "no such change request");
    if (row.status !== "approved")
      return fail("conflict", row.status === "open" ? "the change request is not approved yet" : `the change request is ${row.status}`);
    if (this.applying.has(id)) return fail("conflict", "the change request is being applied");
    this.applying.add(id);
    try {
      const approvedBy = approverOf(row);
      const write: LaterWrite = {
        flagId: row.flagId,
        flagKey: row.flagKey,
        envKey: row.environmentKey,
        patch: JSON.parse(row.patch),
        changeRequest: { id, baseVersion: row.baseVersion },
      };
      const actor = { id: row.createdById, email: row.createdByEmail };
      const origin = { change_request_id: id, approved_by: approvedBy, comment: row.comment ?? undefined };
      const { result, revision } = await this.applyLater({ ...ctx, actor, origin }, write, (rev, now) =>
        requestAppliedStatements(this.env.DB, this.db, id, rev, now, false),
      );
      if (!result.ok) return result;
      const now = Date.now();
      if (revision === null) await this.primary(requestAppliedStatements(this.env.DB, this.db, id, null, now, false).slice(1));
      return {
        ok: true,
        changeRequest: changeRequestView({ ...row, status: "applied", revision, finishedAt: now }),
        ...(this.bookmark ? { bookmark: this.bookmark } : {}),
      };
    } finally {
      this.applying.delete(id);
    }
  }

  /** Closes an open or approved request (and cancels the schedule an approval made for it). */
  closeChangeRequest(ctx: WriteContext, id: string): Promise<Answer<{ changeRequest: ChangeRequestView }>> {
    const alone: Alone = async () => {
      const row = await findChangeRequest(this.db, ctx.orgId, ctx.projectId, id);
      if (!row) return fail("not_found", "no such change request");
      if (row.status !== "open" && row.status !== "approved")
        return fail("conflict", `the change request is ${row.status}; only an open or approved one can be closed`);
      const now = Date.now();
      await this.primary(closeStatements(this.env.DB, this.db, id, now));
      return { ok: true, changeRequest: changeRequestView({ ...row, status: "closed", finishedAt: now }) };
    };
    return this.group.submit({ ctx, alone }, true) as Promise<Answer<{ changeRequest: ChangeRequestView }>>;
  }

  private noticeScope(state: ProjectState, flag: { id: string; key: string; name: string }, envKey: string): NoticeScope {
    const env = state.project.environments.find((e) => e.key === envKey) ?? { id: "", key: envKey, name: envKey };
    const { project } = state;
    return {
      orgId: project.orgId,
      project: { id: project.id, key: project.key, name: project.name },
      flag: { id: flag.id, key: flag.key, name: flag.name },
      environment: { id: env.id, key: env.key, name: env.name },
    };
  }

  /** Statements, then the announcement's deliveries in the same batch, sent through the delivery machine (the clock armed first, as a commit does). */
  private async announced(statements: D1PreparedStatement[], announcement: Announcement): Promise<void> {
    await this.clock.arm(Date.now() + this.requeueAfter);
    const results = await this.primary<{ id: string; held: number }>([...statements, createdForAnnouncement(this.env.DB, announcement)]);
    const due = results[results.length - 1].results.filter((r) => !r.held).map((r) => ({ delivery_id: String(r.id), attempt: 1 }));
    if (due.length) this.ctx.waitUntil(this.send(due));
  }

  private async ringSchedules(clockId: string): Promise<void> {
    if (clockId.startsWith("org:")) return;
    try {
      await this.runSchedules();
    } catch (err) {
      console.error("applying due schedules failed; ringing again shortly", String(err));
      await this.clock.arm(Date.now() + 5000);
    }
  }

  /** On the object's first use: the alarm is armed from D1, the truth (a restart, a lost alarm). */
  private async armFromSchedules(projectId: string): Promise<void> {
    const next = await nextScheduleAt(this.db, projectId);
    if (next !== null) await this.clock.arm(Math.max(next, Date.now()));
  }

  private async applySchedule(row: ScheduleRow, request: ChangeRequestRow | undefined): Promise<"applied" | "failed" | "skipped" | "retry"> {
    const approvedBy = request && approverOf(request);
    const ctx: WriteContext = {
      orgId: row.orgId,
      projectId: row.projectId,
      actor: { id: row.createdById, email: row.createdByEmail },
      origin: { schedule_id: row.id, comment: row.comment ?? undefined, change_request_id: request?.id, approved_by: approvedBy },
    };
    const write: LaterWrite = {
      flagId: row.flagId,
      flagKey: row.flagKey,
      envKey: row.environmentKey,
      patch: JSON.parse(row.patch),
      scheduleId: row.id,
      changeRequest: request && { id: request.id, baseVersion: request.baseVersion },
    };
    const claimed = [row.id, ...(request ? [request.id] : [])];
    if (claimed.some((id) => this.applying.has(id))) return "skipped";
    for (const id of claimed) this.applying.add(id);
    try {
      return await this.settleSchedule(row, request, ctx, write);
    } finally {
      for (const id of claimed) this.applying.delete(id);
    }
  }

  private async settleSchedule(row: ScheduleRow, request: ChangeRequestRow | undefined, ctx: WriteContext, write: LaterWrite) {
    const { result, revision } = await this.applyLater(ctx, write, (rev, now) => [
      ...scheduleAppliedStatements(this.env.DB, this.db, row.id, rev, now),
      ...(request ? requestAppliedStatements(this.env.DB, this.db, request.id, rev, now, true) : []),
    ]);
    if (revision !== null) return "applied";
    if (!result.ok && (result.message === NO_LONGER_WAITING || result.message === STALE.message)) return result.message === STALE.message ? "retry" : "skipped";
    const now = Date.now();
    const outcome = result.ok ? { status: "applied" as const } : { status: "failed" as const, reason: result.message };
    const statements = [prepare(this.env.DB, finishSchedule(this.db, row.id, outcome, now))];
    if (request && result.ok) statements.push(...requestAppliedStatements(this.env.DB, this.db, request.id, null, now, true).slice(1));
    if (request && !result.ok) statements.push(prepare(this.env.DB, requestReason(this.db, request.id, result.message)));
    await this.primary(statements);
    return outcome.status;
  }

  /** A later write through the group commit, staged in arrival order; `marks` join its batch. Answers the revision it made (null: none). */
  private applyLater(
    ctx: WriteContext,
    write: LaterWrite,
    marks: (revision: number, now: number) => D1PreparedStatement[],
  ): Promise<{ result: Answer<{ state: FlagState }>; revision: number | null }> {
    let revision: number | null = null;
    const submitted = this.group.submit({
      ctx,
      plan: laterPlan(this.db, write) as Plan,
      marks: (rev) => {
        revision = rev;
        return marks(rev, Date.now());
      },
    }) as Promise<Answer<{ state: FlagState }>>;
    return submitted.then((result) => ({ result, revision: result.ok ? revision : null }));
  }

  private write<T>(ctx: WriteContext, plan: (state: ProjectState) => Promise<Planned<T>>): Promise<Answer<T>> {
    return this.group.submit({ ctx, plan: plan as Plan }) as Promise<Answer<T>>;
  }

  /** Plans a request against the state and applies its change there; builds the change's statements. */
  private async stage(r: WriteRequest): Promise<Staged<StagedChange>> {
    const state = await this.loadState(r.ctx);
    if (!state) return { answer: fail("not_found", "no such project"), change: null };
    const planned = await r.plan!(state);
    if (!planned.ok) return { answer: planned, change: null };
    const answer = { ok: true as const, ...planned.answer };
    if (!planned.change) return { answer, change: null };
    const staged = stageChange(this.env.DB, state.project, planned.change, r.ctx, state.project.revision + 1, Date.now(), this.routes);
    if (r.marks) staged.statements.push(...r.marks(staged.revision));
    state.apply(planned.change);
    state.uncommitted.push(staged.record);
    return { answer, change: staged };
  }

  private async runAlone(r: WriteRequest): Promise<Result<unknown>> {
    const state = await this.loadState(r.ctx);
    if (!state) return fail("not_found", "no such project");
    const result = await r.alone!(state);
    return result.ok && this.bookmark ? ({ ...result, bookmark: this.bookmark } as Result<object>) : result;
  }

  /** The project for a caller of its organization (null otherwise), read from D1 when not held. */
  private async loadState(ctx: WriteContext): Promise<ProjectState | null> {
    if (!this.state) {
      const record = await projectById(this.db, ctx.projectId);
      if (!record) return null;
      this.state = await ProjectState.load(this.db, { ...record, environments: await listEnvironments(this.db, ctx.projectId) });
      await this.ctx.storage.put("projectId", ctx.projectId);
      if (!this.schedulesArmed) {
        this.schedulesArmed = true;
        this.ctx.waitUntil(this.armFromSchedules(ctx.projectId).catch((err) => console.error("arming from schedules failed", String(err))));
      }
    }
    return this.state.project.orgId === ctx.orgId ? this.state : null;
  }

  /** One batch for a group of staged changes, then their queue messages. */
  private async commit(changes: StagedChange[]): Promise<Record<string, unknown>> {
    const project = this.state!.project;
    // Armed before the commit: if this object dies between commit and send, the sweep still comes.
    await this.clock.arm(Date.now() + this.requeueAfter);
    const { statements, deliveryReads, routesRead } = groupBatch(this.env.DB, project, changes);
    const results = await this.primary<Record<string, unknown>>(statements);
    this.state?.settle(changes[changes.length - 1].revision);
    this.routes = readRoutes(results[routesRead].results as Parameters<typeof readRoutes>[0]);
    // Deliveries held by an open circuit wait for it; the others are due now.
    const due = deliveryReads.flat().flatMap((i) => results[i].results.filter((row) => !row.held).map((row) => ({ delivery_id: String(row.id), attempt: 1 })));
    if (due.length) this.ctx.waitUntil(this.send(due));
    this.ctx.waitUntil(notifyStreams(this.env, project.environments, changes)); // after the answer; never fails it
    return this.bookmark ? { bookmark: this.bookmark } : {};
  }

  /** Writes go to the primary; the session's bookmark is what a reader needs to see them. */
  private async primary<T>(statements: D1PreparedStatement[]): Promise<D1Result<T>[]> {
    if (typeof this.env.DB.withSession !== "function") return this.env.DB.batch<T>(statements);
    const session = this.env.DB.withSession("first-primary");
    const results = await session.batch<T>(statements);
    this.bookmark = session.getBookmark();
    return results;
  }

  private async send(messages: { delivery_id: string; attempt: number }[]): Promise<void> {
    if (await sendAttemptsNow(this.env, messages)) await this.clock.arm(Date.now() + 1000);
  }
}

/** What an environment's PATCH may change. */
export interface EnvironmentPatch {
  name?: string;
  requires_approval?: boolean;
}

/** Schedules applied per ring at most; a longer backlog re-arms the alarm at once, so retries keep their turn. */
export const SCHEDULES_PER_RING = 25;

/** A change request as its route hands it to the writer. */
export interface ChangeRequestInput {
  flagKey: string;
  envKey: string;
  patch: UpdateFlagStateInput;
  comment: string | null;
  applyAt: number | null;
}

/** A schedule as its route hands it to the writer. */
export interface ScheduleInput {
  flagKey: string;
  envKey: string;
  at: number;
  patch: UpdateFlagStateInput;
  comment: string | null;
}

type StaleWrite = { ok: false; code: ErrorCode; message: string };
const STALE: StaleWrite = fail("conflict", "the project changed outside its writer, so nothing was stored or sent; retry the request");

type WriterMethods =
  | "createFlag"
  | "updateFlag"
  | "updateFlagState"
  | "deleteFlag"
  | "createEnvironment"
  | "updateEnvironment"
  | "armRetry"
  | "dryRun"
  | "previewState"
  | "createSchedule"
  | "cancelSchedule"
  | "runSchedules"
  | "openChangeRequest"
  | "approveChangeRequest"
  | "applyChangeRequest"
  | "closeChangeRequest"
  | "revert";

/** The project's writer, typed as its methods: results carry `unknown` JSON values, which RPC types cannot express. */
export function projectWriter(env: Env, projectId: string): Pick<ProjectDO, WriterMethods> {
  return env.PROJECTS.getByName(projectId) as unknown as Pick<ProjectDO, WriterMethods>;
}
