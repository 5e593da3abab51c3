// After a commit, the writer tells the event streams of every environment the committed revisions
// changed (CONTRACT.md v1.2, "Changes pushed to SDKs"). It runs after the commit has been answered
// (the writer hands it to waitUntil) and never throws: a stream that misses a notice is a client that
// learns of the change at its next refetch, never a change that fails.
//
// Which environments a revision changed the writer already knows from the events it staged (no D1
// read): an event of an environment changed that environment; a flag-level event (no environment)
// changed every one.
import { allStreamsObjects } from "../kernel/streams";
import type { Environment } from "../kernel/project-scope";

export interface RevisionNotice {
  revision: number;
  /** Unix seconds of the commit. */
  lastModified: number;
}

export async function notifyStreams(
  env: Env,
  environments: Environment[],
  changes: { revision: number; touched: { environmentId: string | null; at: number }[] }[],
): Promise<void> {
  try {
    const rows = changes.flatMap((c) => c.touched.map((t) => ({ revision: c.revision, environment_id: t.environmentId, at: t.at })));
    const byEnvironment = noticesByEnvironment(rows, environments);
    const calls = [...byEnvironment].flatMap(([environmentId, notices]) => allStreamsObjects(env, environmentId).map((o) => o.notify(notices)));
    const failed = (await Promise.allSettled(calls)).filter((r) => r.status === "rejected");
    if (failed.length) console.warn("event streams: notices not delivered", failed.length, (failed[0] as PromiseRejectedResult).reason);
  } catch (err) {
    console.warn("event streams: could not notify", err);
  }
}

/** Each environment's revisions, in order, once each. */
export function noticesByEnvironment(
  rows: { revision: number; environment_id: string | null; at: number }[],
  environments: Environment[],
): Map<string, RevisionNotice[]> {
  const out = new Map<string, RevisionNotice[]>();
  for (const row of rows) {
    const targets = row.environment_id === null ? environments.map((e) => e.id) : [row.environment_id];
    for (const id of targets) {
      const list = out.get(id) ?? [];
      const notice = { revision: row.revision, lastModified: Math.floor(row.at / 1000) };
      const prev = list[list.length - 1];
      if (prev?.revision === notice.revision) prev.lastModified = Math.max(prev.lastModified, notice.lastModified);
      else list.push(notice);
      out.set(id, list);
    }
  }
  return out;
}
