// ProjectDO — the single writer of one project, and its retry clock.
//
// Guarantees:
// - Changes run one at a time: each starts when the last has committed (an explicit promise chain;
//   the input gate alone would let a second request run while this one awaits D1).
// - The object keeps the project and the flags it has written in memory. It is the only writer of
//   its project's flags, so that copy should be exact; every write in the batch is guarded by the
//   version it expects, and the batch aborts if one did not land (a D1 restore, a manual fix, a
//   briefly duplicated object): nothing is stored or announced, the copy is dropped, and the client
//   is told to retry. A failed commit drops the copy too; the next write reloads from D1.
// - A change, its events and one pending delivery per matching webhook are ONE D1 batch. Queue
//   messages go out after the commit; if that fails, the retry clock re-sends.
// - The object hosts its project's retry clock (src/deliveries/clock.ts) as its alarm.
// - The project's revision is kept in memory and moves by exactly one per committed change, in that
//   change's own batch; a failed batch leaves it (and the in-memory copy, reloaded) where it was.
import { DurableObject } from "cloudflare:workers";
import { drizzle } from "drizzle-orm/d1";
import { requeueAfterMs, RetryClock, sendAttemptsNow } from "../deliveries/clock";
import { createdForEvent } from "../deliveries/lifecycle";
import { readSettings } from "../env";
import { fail, type ErrorCode, type Result } from "../errors";
import { abortUnless, abortUnlessOneRowChanged, isAbortedGuard, prepare } from "../db/statements";
import { insertEvent } from "../events/store";
import { addEnvironment, createFlag, updateFlag, updateFlagState } from "../flags/commands";
import { diffFlag } from "../flags/diff";
import type { Environment, Flag, FlagState } from "../flags/model";
import type { CreateFlagInput, UpdateFlagInput, UpdateFlagStateInput } from "../flags/schemas";
import { dryRunOf, planWrite, statePreview, type DryRun, type FlagWrite, type StatePreview, type WriterView } from "./dry-run";
import { flagWrites, listEnvironments, loadFlag, type Db } from "../flags/store";
import { renderEventBodies } from "../webhooks/payload";
import { bumpRevision, environmentInsert, projectById, statesForNewEnvironment, type ProjectRecord } from "./store";

export interface Actor {
  id: string;
  email: string;
}

/** Who writes, and to which project: every method checks the project is the organization's. */
export interface WriteContext {
  orgId: string;
  projectId: string;
  actor: Actor;
}

interface Project extends ProjectRecord {
  environments: Environment[];
}

export class ProjectDO extends DurableObject<Env> {
  private readonly db: Db = drizzle(this.env.DB);
  private project: Project | null = null;
  private readonly flags = new Map<string, Flag>();
  private tail: Promise<unknown> = Promise.resolve();
  private readonly clock = new RetryClock(this.ctx.storage, this.env, requeueAfterMs(readSettings(this.env).deliveryTimeoutMs));
  /** The D1 bookmark of the last commit, handed back so the writer's client reads its own write. */
  private bookmark: string | null = null;

  createFlag(ctx: WriteContext, input: CreateFlagInput): Promise<Result<{ flag: Flag }>> {
    return this.exclusive(ctx, async (project): Promise<Result<{ flag: Flag }>> => {
      if (await this.currentFlag(project, input.key)) return fail("conflict", `a flag with key "${input.key}" already exists`);
      const created = createFlag(input, project.environments.map((e) => e.key), crypto.randomUUID(), new Date().toISOString());
      if (!created.ok) return created;
      return (await this.commit(project, ctx.actor, null, created.flag)) ?? { ok: true, flag: created.flag };
    });
  }

  updateFlag(ctx: WriteContext, flagKey: string, patch: UpdateFlagInput, expected?: number): Promise<Result<{ flag: Flag }>> {
    return this.withFlag(ctx, flagKey, expected, async (project, before) => {
      if (patch.key !== undefined && patch.key !== before.key && (await this.currentFlag(project, patch.key)))
        return fail("conflict", `a flag with key "${patch.key}" already exists`);
      const result = updateFlag(before, patch, new Date().toISOString());
      if (!result.ok) return result;
      const stale = result.changed ? await this.commit(project, ctx.actor, before, result.flag) : null;
      return stale ?? { ok: true, flag: result.flag };
    });
  }

  /** Answers only the state: the route needs no more, and the whole flag would cross RPC on every toggle. */
  updateFlagState(ctx: WriteContext, flagKey: string, envKey: string, patch: UpdateFlagStateInput, expected?: number): Promise<Result<{ state: FlagState }>> {
    return this.exclusive(ctx, async (project): Promise<Result<{ state: FlagState }>> => {
      const before = await this.currentFlag(project, flagKey);
      if (!before || !before.environments[envKey]) return fail("not_found", before ? `no environment "${envKey}"` : `no flag "${flagKey}"`);
      if (expected !== undefined && expected !== before.environments[envKey].version)
        return fail("version_conflict", `the state is at version ${before.environments[envKey].version}, not ${expected}`);
      const result = updateFlagState(before, envKey, patch, new Date().toISOString());
      if (!result.ok) return result;
      const stale = result.changed ? await this.commit(project, ctx.actor, before, result.flag) : null;
      return stale ?? { ok: true, state: result.flag.environments[envKey] };
    });
  }

  deleteFlag(ctx: WriteContext, flagKey: string, expected?: number): Promise<Result<{ flag: Flag }>> {
    return this.withFlag(ctx, flagKey, expected, async (project, before) => {
      return (await this.commit(project, ctx.actor, before, null)) ?? { ok: true, flag: before };
    });
  }

  /** A write as it would go, on the state the writer holds: the same checks and commands, nothing committed (dry-run.ts). */
  dryRun(ctx: WriteContext, write: FlagWrite): Promise<Result<DryRun>> {
    return this.exclusive(ctx, async (project) => {
      const view = this.writerView(project);
      const plan = await planWrite(view, write, new Date().toISOString());
      return plan.ok ? { ok: true, ...(await dryRunOf(this.env.DB, view, plan)) } : plan;
    });
  }

  /** A state PATCH's before and after, for the what-if preview; nothing committed. */
  previewState(ctx: WriteContext, flagKey: string, envKey: string, patch: UpdateFlagStateInput, expected?: number): Promise<Result<StatePreview>> {
    return this.exclusive(ctx, async (project) => {
      const plan = await planWrite(this.writerView(project), { kind: "state", flagKey, envKey, patch, expected }, new Date().toISOString());
      return plan.ok ? { ok: true, ...statePreview(plan, envKey) } : plan;
    });
  }

  private writerView(project: Project): WriterView {
    return { orgId: project.orgId, projectId: project.id, environments: project.environments, flag: (key) => this.currentFlag(project, key) };
  }

  createEnvironment(ctx: WriteContext, key: string, name: string): Promise<Result<{ environment: Environment }>> {
    return this.exclusive(ctx, async (project) => {
      if (project.environments.some((e) => e.key === key)) return fail("conflict", `an environment with key "${key}" already exists`);
      const environment = { id: crypto.randomUUID(), key, name };
      await this.primary().batch([
        prepare(this.env.DB, environmentInsert(this.db, project.id, environment, project.environments.length)),
        statesForNewEnvironment(this.env.DB, project.id, environment.id),
      ]);
      project.environments = [...project.environments, environment];
      for (const [k, flag] of this.flags) this.flags.set(k, addEnvironment(flag, key));
      return { ok: true, environment };
    });
  }

  /** Called by the consumer and the routes: make sure the retry clock rings by `at`. */
  async armRetry(at: number): Promise<void> {
    await this.clock.arm(at);
  }

  override async alarm(): Promise<void> {
    const clockId = this.ctx.id.name ?? (await this.ctx.storage.get<string>("projectId"));
    if (clockId) await this.clock.ring(clockId);
  }

  private withFlag(
    ctx: WriteContext,
    flagKey: string,
    expected: number | undefined,
    fn: (project: Project, flag: Flag) => Promise<Result<{ flag: Flag }>>,
  ): Promise<Result<{ flag: Flag }>> {
    return this.exclusive(ctx, async (project) => {
      const flag = await this.currentFlag(project, flagKey);
      if (!flag) return fail("not_found", `no flag "${flagKey}"`);
      if (expected !== undefined && expected !== flag.version) return fail("version_conflict", `the flag is at version ${flag.version}, not ${expected}`);
      return fn(project, flag);
    });
  }

  /** Runs `fn` after every earlier change has finished, for a caller of the project's organization. */
  private exclusive<T>(ctx: WriteContext, fn: (project: Project) => Promise<Result<T>>): Promise<Result<T & { bookmark?: string }>> {
    const run = this.tail.then(async () => {
      const project = await this.loadProject(ctx.projectId);
      if (!project || project.orgId !== ctx.orgId) return fail("not_found", "no such project");
      const result = await fn(project);
      return result.ok && this.bookmark ? { ...result, bookmark: this.bookmark } : result;
    });
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async loadProject(projectId: string): Promise<Project | null> {
    if (this.project) return this.project;
    const record = await projectById(this.db, projectId);
    if (!record) return null;
    this.project = { ...record, environments: await listEnvironments(this.db, projectId) };
    await this.ctx.storage.put("projectId", projectId);
    return this.project;
  }

  private async currentFlag(project: Project, key: string): Promise<Flag | null> {
    const cached = this.flags.get(key);
    if (cached) return cached;
    const flag = await loadFlag(this.db, project.id, key, project.environments);
    if (flag) this.flags.set(key, flag);
    return flag;
  }

  /**
   * The one batch of a change, then its queue messages. Answers a failure (and stores nothing) when
   * a write of the batch did not land on the state it was computed from.
   */
  private async commit(project: Project, actor: Actor, before: Flag | null, after: Flag | null): Promise<StaleWrite | null> {
    const now = Date.now();
    const revision = project.revision + 1;
    const statements = [this.projectStillOurs(project), ...this.guardedFlagWrites(project, before, after), bumpRevision(this.env.DB, project.id, revision)];
    const flag = (after ?? before)!;
    const ref = { flag: { id: flag.id, key: flag.key, name: flag.name }, project: { id: project.id, key: project.key, name: project.name }, actor, revision };
    const created: number[] = [];
    for (const event of diffFlag(before, after, project.environments)) {
      const payload = { eventId: crypto.randomUUID(), timestamp: new Date(now).toISOString(), ...ref };
      const environmentId = event.environment?.id ?? null;
      const bodies = renderEventBodies(event, payload);
      statements.push(insertEvent(this.env.DB, { id: payload.eventId, orgId: project.orgId, projectId: project.id, flagId: flag.id, environmentId, event: event.event, createdAt: now, ...bodies, revision }));
      created.push(statements.length);
      statements.push(createdForEvent(this.env.DB, { orgId: project.orgId, projectId: project.id, eventId: payload.eventId, event: event.event, envKey: event.environment?.key ?? null, now }));
    }
    // Armed before the commit: if this object dies between commit and send, the sweep still comes.
    await this.clock.arm(now + requeueAfterMs(readSettings(this.env).deliveryTimeoutMs));
    let results: D1Result<{ id: string; held: number }>[];
    try {
      results = await this.primary().batch<{ id: string; held: number }>(statements);
    } catch (err) {
      // The flags and the revision are read again from D1 by the next change.
      this.forget();
      if (isAbortedGuard(err)) return STALE;
      throw err;
    }
    project.revision = revision;
    if (before) this.flags.delete(before.key);
    if (after) this.flags.set(after.key, after);
    const due = created.flatMap((i) => results[i].results.filter((row) => !row.held).map((row) => ({ delivery_id: row.id, attempt: 1 })));
    if (due.length) this.ctx.waitUntil(this.send(due));
    return null;
  }

  /** The flag's writes, each followed by a guard that aborts the batch if it changed no row. */
  private guardedFlagWrites(project: Project, before: Flag | null, after: Flag | null): D1PreparedStatement[] {
    const writes = flagWrites(this.env.DB, project.id, before, after, project.environments);
    const what = `flag "${(after ?? before)!.key}"`;
    // A deletion's first statement removes however many states there are; its last removes the flag.
    if (!after) return [...writes, abortUnlessOneRowChanged(this.env.DB, what)];
    return writes.flatMap((w) => [w, abortUnlessOneRowChanged(this.env.DB, what)]);
  }

  private projectStillOurs(project: Project): D1PreparedStatement {
    return abortUnless(this.env.DB, "EXISTS (SELECT 1 FROM projects WHERE id = ? AND org_id = ?)", [project.id, project.orgId], "the project");
  }

  /** Drops the in-memory copy: the next change reads the project and its flags from D1. */
  private forget(): void {
    this.flags.clear();
    this.project = null;
  }

  /** Writes go to the primary; the session's bookmark is what a reader needs to see them. */
  private primary(): Pick<D1Database, "batch"> {
    if (typeof this.env.DB.withSession !== "function") return this.env.DB;
    const session = this.env.DB.withSession("first-primary");
    return {
      batch: async <T>(statements: D1PreparedStatement[]) => {
        const results = await session.batch<T>(statements);
        this.bookmark = session.getBookmark();
        return results;
      },
    };
  }

  private async send(messages: { delivery_id: string; attempt: number }[]): Promise<void> {
    if (await sendAttemptsNow(this.env, messages)) await this.clock.arm(Date.now() + 1000);
  }
}

type StaleWrite = { ok: false; code: ErrorCode; message: string };
const STALE: StaleWrite = fail("conflict", "the project changed outside its writer, so nothing was stored or sent; retry the request");

type WriterMethods = "createFlag" | "updateFlag" | "updateFlagState" | "deleteFlag" | "createEnvironment" | "armRetry" | "dryRun" | "previewState";

/** The project's writer, typed as its methods: results carry `unknown` JSON values, which RPC types cannot express. */
export function projectWriter(env: Env, projectId: string): Pick<ProjectDO, WriterMethods> {
  return env.PROJECTS.getByName(projectId) as unknown as Pick<ProjectDO, WriterMethods>;
}

