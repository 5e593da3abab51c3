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
//   min_revision above the primary's revision is the caller's mistake (`ahead`). One far above the
//   last revision this isolate read, further than the project's writer could have committed since
//   (MAX_REVISIONS_PER_SECOND), is `ahead` without reading at all: a client asking for revision
//   10^12 in a loop costs no D1 call after the first.
// - The cache is bounded by what it holds, not by how many environments: at most
//   `configCache.budgetBytes` in all, an environment weighing its flags' stored JSON plus
//   FLAG_OVERHEAD_BYTES a flag; the least recently served environment leaves first. The one just
//   built always stays, however large.
import { compileConfig, type CompiledConfig } from "../flags/compile";
import { readRevision, readServedFlags, type Reader } from "./store";

interface Entry {
  revision: number;
  config: Promise<CompiledConfig>;
  /** Its weight in bytes once built; 0 while the build is in flight. */
  weight: number;
}

/** Oldest served first: a hit moves its entry to the end. */
const cache = new Map<string, Entry>();
/**
 * What an isolate's cache may hold, all environments together, of the 128 MB an isolate may use. A
 * compiled flag with its share of the rendered /tggl/config text takes about its weight on the heap
 * (10,000 boolean flags: 3.9 MB after a full collection in `npm run bench:scale`, ≈ 0.39 KB a flag
 * against a weight of ≈ 0.4 KB): 32 MB is about 80,000 such flags, or eight environments of 10,000.
 */
export const configCache = { budgetBytes: 32 * 1024 * 1024 };
/** What a compiled flag costs beyond its stored JSON: its objects, its tggl-core shape, its map entry. */
export const FLAG_OVERHEAD_BYTES = 200;
let cachedWeight = 0;
/** How long a project's revision read in this isolate is taken as current. */
export const REVISION_TTL_MS = 1000;
const revisions = new Map<string, { revision: number; until: number }>();
/**
 * More revisions than one project's single writer can commit in a second, by far (it commits a few
 * hundred a second locally; each is a D1 batch).
 */
export const MAX_REVISIONS_PER_SECOND = 10_000;
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
    touch(target.environmentId, cached);
    return { ok: true, config: await cached.config };
  }
  // Seconds since that revision was read, plus one: what the writer could have committed since, at most.
  if (minRevision !== null && known && minRevision > known.revision + MAX_REVISIONS_PER_SECOND * ((now - known.until + REVISION_TTL_MS) / 1000 + 1))
    return { ok: false, reason: "ahead", revision: known.revision };
  let reader = session(db, "first-unconstrained");
  let revision = await readRevision(reader, target.projectId);
  if (revision === null) return { ok: false, reason: "gone" };
  if (minRevision !== null && revision < minRevision) {
    reader = session(db, "first-primary");
    revision = (await readRevision(reader, target.projectId)) ?? 0;
    if (revision < minRevision) {
      remember(target.projectId, revision, now);
      return { ok: false, reason: "ahead", revision };
    }
  }
  remember(target.projectId, revision, now);
  return { ok: true, config: await configAt(reader, target, revision) };
}

function remember(projectId: string, revision: number, now: number): void {
  if (revisions.size > 10_000) revisions.clear();
  revisions.set(projectId, { revision, until: now + REVISION_TTL_MS });
}

async function configAt(reader: Reader, target: Target, revision: number): Promise<CompiledConfig> {
  const cached = cache.get(target.environmentId);
  if (cached && cached.revision >= revision) {
    touch(target.environmentId, cached);
    return cached.config;
  }
  const entry: Entry = { revision, config: build(reader, target), weight: 0 };
  drop(target.environmentId);
  cache.set(target.environmentId, entry);
  try {
    const config = await entry.config;
    if (cache.get(target.environmentId) === entry) {
      // The batch may have read a later revision than the request did; later requests may use it.
      if (config.revision > entry.revision) entry.revision = config.revision;
      entry.weight = weights.get(config) ?? FLAG_OVERHEAD_BYTES;
      cachedWeight += entry.weight;
      evictBeyondBudget(entry);
    }
    return config;
  } catch (err) {
    if (cache.get(target.environmentId) === entry) drop(target.environmentId);
    throw err;
  }
}

/** Each built configuration's weight, for the entry that caches it. */
const weights = new WeakMap<CompiledConfig, number>();

async function build(reader: Reader, target: Target): Promise<CompiledConfig> {
  const { revision, flags, bytes } = await readServedFlags(reader, target.projectId, target.environmentId);
  compileCount.n++;
  const config = compileConfig(target.environmentId, revision, flags);
  weights.set(config, bytes + (flags.length + 1) * FLAG_OVERHEAD_BYTES);
  return config;
}

/** Marks an environment as served just now. */
function touch(environmentId: string, entry: Entry): void {
  cache.delete(environmentId);
  cache.set(environmentId, entry);
}

function drop(environmentId: string): void {
  cachedWeight -= cache.get(environmentId)?.weight ?? 0;
  cache.delete(environmentId);
}

/** Least recently served first, until the cache is within its budget; `kept` always stays. */
function evictBeyondBudget(kept: Entry): void {
  for (const [environmentId, entry] of cache) {
    if (cachedWeight <= configCache.budgetBytes) return;
    if (entry !== kept && entry.weight > 0) drop(environmentId);
  }
}

function session(db: D1Database, constraint: "first-unconstrained" | "first-primary"): Reader {
  return typeof db.withSession === "function" ? (db.withSession(constraint) as unknown as Reader) : db;
}
