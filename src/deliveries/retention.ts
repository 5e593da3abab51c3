// Retention: D1 holds at most 10 GB and delivery logs are what grows. The daily cron deletes
// finished deliveries with their attempts, then events, then revisions' change records, older than RETENTION_DAYS, a bounded batch
// at a time, until nothing is left to prune or its time budget is spent. A pending delivery is
// never touched, nor its attempts, nor the event it still has to send.
import { readSettings } from "../kernel/env";
import { pruned } from "./interventions";

export const PRUNE_BATCH = 500;
/** Scheduled handlers may run 15 minutes; retention stops well before and finishes tomorrow. */
export const PRUNE_BUDGET_MS = 10 * 60_000;

export interface PruneReport {
  attempts: number;
  deliveries: number;
  events: number;
  /** Revisions' records of what they changed (revert's memory). */
  revisions: number;
  complete: boolean;
}

/** Deletes what is older than the cutoff, deliveries (with attempts) first, until done or out of time. */
export async function pruneOlderThan(d1: D1Database, cutoff: number, budgetMs = PRUNE_BUDGET_MS, batch = PRUNE_BATCH): Promise<PruneReport> {
  const report: PruneReport = { attempts: 0, deliveries: 0, events: 0, revisions: 0, complete: false };
  const deadline = Date.now() + budgetMs;
  const statements = pruned(d1, cutoff, batch);
  for (;;) {
    if (Date.now() >= deadline) return report;
    const [attempts, deliveries] = await d1.batch(statements.deliveries);
    report.attempts += attempts.meta.changes;
    report.deliveries += deliveries.meta.changes;
    if (deliveries.meta.changes < batch) break;
  }
  for (;;) {
    if (Date.now() >= deadline) return report;
    const { meta } = await statements.events.run();
    report.events += meta.changes;
    if (meta.changes < batch) break;
  }
  for (;;) {
    if (Date.now() >= deadline) return report;
    const { meta } = await statements.revisionChanges.run();
    report.revisions += meta.changes;
    if (meta.changes < batch) break;
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
