// What each SDK key was served, for propagation (CONTRACT.md v1.2, "Propagation: who holds a
// revision"), recorded without a D1 write on any evaluation's answer:
//
// - An evaluation (any route, a 304 included) only updates this isolate's buffer: per key, the
//   highest revision served and when it was last served. A Map write, nothing awaited.
// - The first record after a flush arms one flush, SERVED_FLUSH_SECONDS later (default 5), in the
//   request's waitUntil: one D1 batch per isolate at most every 5 s, however many evaluations, each
//   key's row moved only forward (MAX of what it held and what was served).
// - A propagation read flushes its own isolate's buffer first. Figures from other isolates are at
//   most SERVED_FLUSH_SECONDS (plus one D1 write) old; an isolate evicted while its flush waits loses
//   those seconds of records, which the key's next evaluation writes again.
import { afterAnswer, type Holder } from "../kernel/background";

interface Served {
  revision: number;
  at: number;
}

const pending = new Map<string, Served>();
let armed = false;
let inflight: Promise<void> = Promise.resolve();

export const DEFAULT_SERVED_FLUSH_SECONDS = 5;

export function recordServed(c: Holder & { env: Env }, keyId: string, revision: number, now = Date.now()): void {
  const prev = pending.get(keyId);
  if (prev) {
    if (revision > prev.revision) prev.revision = revision;
    prev.at = now;
  } else pending.set(keyId, { revision, at: now });
  if (armed) return;
  armed = true;
  const raw = Number((c.env as unknown as Record<string, string | undefined>).SERVED_FLUSH_SECONDS);
  const seconds = Number.isFinite(raw) && raw >= 0 ? raw : DEFAULT_SERVED_FLUSH_SECONDS;
  const db = c.env.DB;
  afterAnswer(
    c,
    new Promise((resolve) => setTimeout(resolve, seconds * 1000)).then(() => {
      armed = false;
      return flushServed(db);
    }),
  );
}

/** Writes what this isolate has buffered (after any flush in flight). */
export function flushServed(db: D1Database): Promise<void> {
  inflight = inflight.then(async () => {
    if (!pending.size) return;
    const rows = [...pending];
    pending.clear();
    const statement = db.prepare(
      `UPDATE sdk_keys SET last_revision = MAX(COALESCE(last_revision, 0), ?2), last_seen_at = MAX(COALESCE(last_seen_at, 0), ?3) WHERE id = ?1`,
    );
    try {
      for (let i = 0; i < rows.length; i += 100) await db.batch(rows.slice(i, i + 100).map(([id, s]) => statement.bind(id, s.revision, s.at)));
    } catch (err) {
      console.warn("served revisions not recorded", err); // the keys' next evaluations record them again
    }
  });
  return inflight;
}
