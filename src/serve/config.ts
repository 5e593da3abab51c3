// The compiled configuration of an environment, cached per isolate by revision.
//
// Guarantees:
// - Without min_revision, an answer reflects every change committed more than REVISION_TTL_MS
//   before the request: the isolate re-reads a project's revision (one indexed row) at most that
//   often, so the hot path usually does no I/O at all (the bench's figure 6 is why).
// - With min_revision N, an answer reflects revision N or later, always: a cached configuration at N
//   or later is served as is, anything older is read again.
// - One revision of one environment is compiled at most once per isolate: concurrent requests
//   share the build in flight.
// - min_revision: a read that is behind it (a lagging replica) is repeated on the primary; a
//   min_revision above the primary's revision is the caller's mistake (`ahead`).
import { compileConfig, type CompiledConfig } from "./compile";
import { readRevision, readServedFlags, type Reader } from "./store";

const cache = new Map<string, { revision: number; config: Promise<CompiledConfig> }>();
/** How long a project's revision read in this isolate is taken as current. */
export const REVISION_TTL_MS = 1000;
const revisions = new Map<string, { revision: number; until: number }>();
/** How many configurations this isolate compiled: tests and the bench read it. */
export const compileCount = { n: 0 };

export type ServedConfig = { ok: true; config: CompiledConfig } | { ok: false; reason: "ahead"; revision: number } | { ok: false; reason: "gone" };

export interface Target {
  projectId: string;
  environmentId: string;
}

export async function servedConfig(db: D1Database, target: Target, minRevision: number | null, now = Date.now()): Promise<ServedConfig> {
  const cached = cache.get(target.environmentId);
  const known = revisions.get(target.projectId);
  if (cached && (minRevision === null ? known !== undefined && known.until > now && cached.revision >= known.revision : cached.revision >= minRevision)) {
    return { ok: true, config: await cached.config };
  }
  let reader = session(db, "first-unconstrained");
  let revision = await readRevision(reader, target.projectId);
  if (revision === null) return { ok: false, reason: "gone" };
  if (minRevision !== null && revision < minRevision) {
    reader = session(db, "first-primary");
    revision = (await readRevision(reader, target.projectId)) ?? 0;
    if (revision < minRevision) return { ok: false, reason: "ahead", revision };
  }
  if (revisions.size > 10_000) revisions.clear();
  revisions.set(target.projectId, { revision, until: now + REVISION_TTL_MS });
  return { ok: true, config: await configAt(reader, target, revision) };
}

async function configAt(reader: Reader, target: Target, revision: number): Promise<CompiledConfig> {
  const cached = cache.get(target.environmentId);
  if (cached && cached.revision >= revision) return cached.config;
  const entry = { revision, config: build(reader, target) };
  cache.set(target.environmentId, entry);
  try {
    const config = await entry.config;
    // The batch may have read a later revision than the request did; later requests may use it.
    if (cache.get(target.environmentId) === entry && config.revision > entry.revision) entry.revision = config.revision;
    return config;
  } catch (err) {
    if (cache.get(target.environmentId) === entry) cache.delete(target.environmentId);
    throw err;
  }
}

async function build(reader: Reader, target: Target): Promise<CompiledConfig> {
  const { revision, flags } = await readServedFlags(reader, target.projectId, target.environmentId);
  compileCount.n++;
  if (cache.size > 10_000) cache.clear();
  return compileConfig(target.environmentId, revision, flags);
}

function session(db: D1Database, constraint: "first-unconstrained" | "first-primary"): Reader {
  return typeof db.withSession === "function" ? (db.withSession(constraint) as unknown as Reader) : db;
}
