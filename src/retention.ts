// Retention: D1 holds at most 10 GB and delivery logs are what grows. The daily cron deletes
// attempts, deliveries and events older than RETENTION_DAYS in bounded batches. A pending delivery
// is never touched, nor its attempts, nor the event it still has to send.
import { readSettings } from "./env";

export const PRUNE_BATCH = 500;
const MAX_ROUNDS = 40;

export interface PruneReport {
  attempts: number;
  deliveries: number;
  events: number;
  complete: boolean;
}

const STATEMENTS = {
  attempts: `DELETE FROM attempts WHERE rowid IN (
      SELECT a.rowid FROM attempts a JOIN deliveries d ON d.id = a.delivery_id
      WHERE d.status != 'pending' AND d.created_at < ?1 LIMIT ${PRUNE_BATCH})`,
  deliveries: `DELETE FROM deliveries WHERE seq IN (
      SELECT d.seq FROM deliveries d
      WHERE d.status != 'pending' AND d.created_at < ?1
        AND NOT EXISTS (SELECT 1 FROM attempts a WHERE a.delivery_id = d.id)
      LIMIT ${PRUNE_BATCH})`,
  events: `DELETE FROM events WHERE seq IN (
      SELECT e.seq FROM events e
      WHERE e.created_at < ?1 AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id)
      LIMIT ${PRUNE_BATCH})`,
} as const;

/** Deletes what is older than the cutoff, oldest layers first, until done or the round budget is spent. */
export async function pruneOlderThan(d1: D1Database, cutoff: number): Promise<PruneReport> {
  const report: PruneReport = { attempts: 0, deliveries: 0, events: 0, complete: false };
  for (const table of ["attempts", "deliveries", "events"] as const) {
    for (let round = 0; ; round++) {
      if (round >= MAX_ROUNDS) return report;
      const { meta } = await d1.prepare(STATEMENTS[table]).bind(cutoff).run();
      report[table] += meta.changes;
      if (meta.changes < PRUNE_BATCH) break;
    }
  }
  report.complete = true;
  return report;
}

export async function runRetention(env: Env, now = Date.now()): Promise<PruneReport> {
  const cutoff = now - readSettings(env).retentionDays * 86_400_000;
  const report = await pruneOlderThan(env.DB, cutoff);
  console.log("retention", { cutoff: new Date(cutoff).toISOString(), ...report });
  return report;
}
