// The compiled configuration of an environment, cached per isolate by revision.
//
// Guarantees:
// - An answer reflects the project's revision as read for this request, or a later one: the cache
//   serves an entry only when it is at least that recent.
// - One revision of one environment is compiled at most once per isolate: concurrent requests
//   share the build in flight.
// - min_revision: a read that is behind it (a lagging replica) is repeated on the primary; a
//   min_revision above the primary's revision is the caller's mistake (`ahead`).
import { compileConfig, type CompiledConfig } from "./compile";
import { readRevision, readServedFlags, type Reader } from "./store";

const cache = new Map<string, { revision: number; config: Promise<CompiledConfig> }>();
/** How many configurations this isolate compiled: tests and the bench read it. */
export const compileCount = { n: 0 };

export type ServedConfig = { ok: true; config: CompiledConfig } | { ok: false; reason: "ahead"; revision: number } | { ok: false; reason: "gone" };

export interface Target {
  projectId: string;
  environmentId: string;
}

export async function servedConfig(db: D1Database, target: Target, minRevision: number | null): Promise<ServedConfig> {
  let reader = session(db, "first-unconstrained");
  let revision = await readRevision(reader, target.projectId);
  if (revision === null) return { ok: false, reason: "gone" };
  if (minRevision !== null && revision < minRevision) {
    reader = session(db, "first-primary");
    revision = (await readRevision(reader, target.projectId)) ?? 0;
    if (revision < minRevision) return { ok: false, reason: "ahead", revision };
  }
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
