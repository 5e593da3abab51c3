// What a group of staged changes writes: for each change, in order, its flag rows, its event rows
// (bodies rendered here, once) and one pending delivery per matching webhook; for the group, one
// statement that moves the project's revision across all of them. The statements are built when a
// change is staged, while the batch before it is still in flight, so the next batch is ready the
// moment the last one answers.
import { createdForEvent } from "../deliveries/lifecycle";
import { abortUnless, abortUnlessOneRowChanged } from "../kernel/db/statements";
import { insertEvent } from "../events/store";
import { diffFlag } from "../flags/diff";
import { flagWrites } from "../flags/store";
import { formatsFor, routesStatement, type WebhookRoute } from "../outbound/formats-in-use";
import { renderEventBodies } from "../outbound/payload";
import { advanceRevision } from "./store";
import { revisionChangeOf, type RevisionChange } from "./revision-fields";
import { insertRevisionChange } from "./revision-store";
import type { FlagChange, Project } from "./project-state";
import type { Actor, ChangeOrigin } from "../kernel/app-env";

/** A change ready to commit: its statements, and which of them answer the new delivery ids. */
export interface StagedChange {
  revision: number;
  statements: D1PreparedStatement[];
  /** Indexes into `statements` of the INSERT … RETURNING id, held of the change's deliveries. */
  deliveryReads: number[];
  /** What the change changed, field by field, as revert reads it (recorded in the same batch). */
  record: RevisionChange;
  /** For the event streams: each event's environment (null: a flag-level event), and when it was made. */
  touched: { environmentId: string | null; at: number }[];
}

/** The statements of one change that commits as `revision`. */
export function stageChange(
  d1: D1Database,
  project: Project,
  change: FlagChange,
  { actor, origin }: { actor: Actor; origin?: ChangeOrigin },
  revision: number,
  now: number,
  routes: readonly WebhookRoute[] | null,
): StagedChange {
  const { before, after } = change;
  const statements = guardedFlagWrites(d1, project, change);
  const record = revisionChangeOf(change, revision);
  statements.push(insertRevisionChange(d1, project.id, record, now));
  const deliveryReads: number[] = [];
  const touched: StagedChange["touched"] = [];
  const flag = (after ?? before)!;
  const ref = { flag: { id: flag.id, key: flag.key, name: flag.name }, project: { id: project.id, key: project.key, name: project.name }, actor, revision };
  const timestamp = new Date(now).toISOString();
  const originJson = origin && Object.values(origin).some((v) => v !== undefined && v !== "") ? JSON.stringify(origin) : null;
  for (const event of diffFlag(before, after, project.environments)) {
    const payload = { eventId: crypto.randomUUID(), timestamp, ...ref };
    const environmentId = event.environment?.id ?? null;
    const envKey = event.environment?.key ?? null;
    touched.push({ environmentId, at: now });
    const bodies = renderEventBodies(event, payload, formatsFor(routes, event.event, envKey));
    statements.push(
      insertEvent(d1, {
        id: payload.eventId,
        orgId: project.orgId,
        projectId: project.id,
        flagId: flag.id,
        environmentId,
        event: event.event,
        createdAt: now,
        ...bodies,
        revision,
        origin: originJson,
      }),
    );
    deliveryReads.push(statements.length);
    statements.push(createdForEvent(d1, { orgId: project.orgId, projectId: project.id, eventId: payload.eventId, event: event.event, envKey, now }));
  }
  return { revision, statements, deliveryReads, record, touched };
}

/**
 * One batch for a group of changes, in the order they were staged, and where each change's delivery
 * ids will be in its results. It aborts unless the project is still the organization's. The revision moves once, from the one before the first change to the
 * last change's, and only from there: a writer that lost track fails the whole batch. The batch ends
 * by reading the enabled webhooks, so the next changes render the formats they need.
 */
export function groupBatch(d1: D1Database, project: Project, changes: StagedChange[]) {
  const first = changes[0].revision;
  const last = changes[changes.length - 1].revision;
  const statements: D1PreparedStatement[] = [projectStillOurs(d1, project), advanceRevision(d1, project.id, first - 1, last)];
  const deliveryReads = changes.map((c) => {
    const offset = statements.length;
    statements.push(...c.statements);
    return c.deliveryReads.map((i) => i + offset);
  });
  statements.push(routesStatement(d1, project.orgId, project.id));
  return { statements, deliveryReads, routesRead: statements.length - 1 };
}

/** The flag's writes, each followed by a guard that aborts the batch if it changed no row. */
function guardedFlagWrites(d1: D1Database, project: Project, { before, after }: FlagChange): D1PreparedStatement[] {
  const writes = flagWrites(d1, project.id, before, after, project.environments);
  const what = `flag "${(after ?? before)!.key}"`;
  // A deletion's first statement removes however many states there are; its last removes the flag.
  if (!after) return [...writes, abortUnlessOneRowChanged(d1, what)];
  return writes.flatMap((w) => [w, abortUnlessOneRowChanged(d1, what)]);
}

function projectStillOurs(d1: D1Database, project: Project): D1PreparedStatement {
  return abortUnless(d1, "EXISTS (SELECT 1 FROM projects WHERE id = ? AND org_id = ?)", [project.id, project.orgId], "the project");
}
