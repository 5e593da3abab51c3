// The reads of the evaluation path: a project's revision (one indexed row, on every request) and an
// environment's served flags with the revision they reflect (one batch, so both come from one
// snapshot; only when the isolate has no compiled configuration that recent).
import type { Condition, Variation } from "../flags/model";
import type { ServedFlag } from "../flags/compile";

/** Reads on a D1 session where there are sessions (deployed), else the database itself. */
export type Reader = Pick<D1Database, "prepare" | "batch">;

export async function readRevision(db: Reader, projectId: string): Promise<number | null> {
  const row = await db.prepare("SELECT revision FROM projects WHERE id = ?").bind(projectId).first<{ revision: number }>();
  return row?.revision ?? null;
}

interface ServedRow {
  id: string;
  key: string;
  version: number;
  variations: string;
  enabled: number;
  rollout_percentage: number;
  rollout_variation_id: string;
  conditions: string;
  default_variation_id: string;
  state_version: number;
}

/**
 * The environment's served flags, the revision they reflect, and `bytes`: the size of their stored
 * JSON (variations and conditions) and keys, which the configuration cache weighs them by.
 */
export async function readServedFlags(db: Reader, projectId: string, environmentId: string): Promise<{ revision: number; flags: ServedFlag[]; bytes: number }> {
  const [revision, rows] = await db.batch([
    db.prepare("SELECT revision FROM projects WHERE id = ?").bind(projectId),
    db
      .prepare(
        `SELECT f.id, f.key, f.version, f.variations, s.enabled, s.rollout_percentage, s.rollout_variation_id,
                s.conditions, s.default_variation_id, s.version AS state_version
         FROM flags f JOIN flag_states s ON s.flag_id = f.id AND s.environment_id = ?2
         WHERE f.project_id = ?1 AND f.archived = 0
         ORDER BY f.key`,
      )
      .bind(projectId, environmentId),
  ]);
  let bytes = 0;
  const flags = (rows.results as ServedRow[]).map((r): ServedFlag => {
    bytes += r.key.length + r.variations.length + r.conditions.length;
    return {
      id: r.id,
      key: r.key,
      version: r.version,
      variations: JSON.parse(r.variations) as Variation[],
      state: {
        enabled: r.enabled === 1,
        rollout_percentage: r.rollout_percentage,
        rollout_variation_id: r.rollout_variation_id,
        conditions: JSON.parse(r.conditions) as Condition[],
        default_variation_id: r.default_variation_id,
        version: r.state_version,
      },
    };
  });
  return { revision: (revision.results[0] as { revision: number } | undefined)?.revision ?? 0, flags, bytes };
}
