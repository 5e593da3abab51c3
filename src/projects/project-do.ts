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
import { isAbortedGuard, prepare } from "../kernel/db/statements";
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
type WriteRequest = { ctx: WriteContext; plan?: Plan; alone?: Alone };
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

  override async alarm(): Promise<void> {
    const clockId = this.ctx.id.name ?? (await this.ctx.storage.get<string>("projectId"));
    if (clockId) await this.clock.ring(clockId);
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
    this.ctx.waitUntil(notifyStreams(this.env, project, changes[0].revision, changes[changes.length - 1].revision)); // after the answer; never fails it
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

/** A person's state change on an environment that requires approval is refused: a change request does it. */
export function approvalRefusal(state: ProjectState, envKey: string): { ok: false; code: ErrorCode; message: string } | null {
  const environment = state.project.environments.find((e) => e.key === envKey);
  if (!environment?.requires_approval) return null;
  return fail("approval_required", `the environment "${envKey}" requires approval: propose the change as a change request`);
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
  | "revert";

/** The project's writer, typed as its methods: results carry `unknown` JSON values, which RPC types cannot express. */
export function projectWriter(env: Env, projectId: string): Pick<ProjectDO, WriterMethods> {
  return env.PROJECTS.getByName(projectId) as unknown as Pick<ProjectDO, WriterMethods>;
}
