// What each revision changed, in D1 (revision_changes): written in the revision's own batch,
// read by revert.
import type { FieldValues, RevisionChange, RevisionKind } from "./revision-fields";

export function insertRevisionChange(d1: D1Database, projectId: string, change: RevisionChange, now: number): D1PreparedStatement {
  return d1
    .prepare("INSERT INTO revision_changes (project_id, revision, flag_id, flag_key, kind, before, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)")
    .bind(projectId, change.revision, change.flagId, change.flagKey, change.kind, JSON.stringify(change.before), now);
}

interface Row {
  revision: number;
  flag_id: string;
  flag_key: string;
  kind: string;
  before: string;
}

/**
 * The record of `revision` and those of the later revisions of the same flag, oldest first, in one
 * statement (none when the revision has no record: it was made before records were kept).
 */
export async function revisionAndLater(d1: D1Database, projectId: string, revision: number): Promise<RevisionChange[]> {
  const { results } = await d1
    .prepare(
      `SELECT revision, flag_id, flag_key, kind, before FROM revision_changes
       WHERE project_id = ?1 AND revision >= ?2 AND flag_id = (SELECT flag_id FROM revision_changes WHERE project_id = ?1 AND revision = ?2)
       ORDER BY revision`,
    )
    .bind(projectId, revision)
    .all<Row>();
  return results.map((r) => ({
    revision: r.revision,
    flagId: r.flag_id,
    flagKey: r.flag_key,
    kind: r.kind as RevisionKind,
    before: JSON.parse(r.before) as FieldValues,
  }));
}

/**
 * The records a revert of `revision` needs, committed or not. The writer's uncommitted records are
 * read before D1: a change that commits meanwhile is then in one or the other, never in neither.
 */
export async function revertRecords(d1: D1Database, projectId: string, revision: number, uncommitted: readonly RevisionChange[]) {
  const staged = [...uncommitted];
  const laterOf = (target: RevisionChange, skip: Set<number>) =>
    staged.filter((r) => r.revision > revision && r.flagId === target.flagId && !skip.has(r.revision));
  const held = staged.find((r) => r.revision === revision);
  if (held) return { target: held, later: laterOf(held, new Set()) };
  const [target, ...later] = await revisionAndLater(d1, projectId, revision);
  if (!target) return { target: undefined, later: [] };
  return { target, later: [...later, ...laterOf(target, new Set(later.map((r) => r.revision)))] };
}
