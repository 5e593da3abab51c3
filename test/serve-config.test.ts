// The configuration cache and min_revision against a lagging replica, with a D1 stand-in whose
// sessions answer differently: "first-unconstrained" is a replica behind the primary.
import { describe, expect, it } from "vitest";
import { compileCount, configCache, FLAG_OVERHEAD_BYTES, REVISION_TTL_MS, servedConfig } from "../src/serve/config";

function fakeDb(replicaRevision: number, primaryRevision: number, flagRows: object[] = []) {
  const reads: string[] = [];
  const session = (name: string, revision: number) => ({
    prepare: (sql: string) => ({
      bind: () => ({
        sql,
        first: async () => {
          reads.push(`${name}:revision`);
          return { revision };
        },
      }),
    }),
    batch: async () => {
      reads.push(`${name}:flags`);
      return [{ results: [{ revision }] }, { results: flagRows }];
    },
  });
  const db = {
    withSession: (constraint: string) => (constraint === "first-primary" ? session("primary", primaryRevision) : session("replica", replicaRevision)),
  };
  return { db: db as unknown as D1Database, reads };
}

describe("servedConfig", () => {
  it("reads the replica when it is recent enough", async () => {
    const { db, reads } = fakeDb(5, 5);
    const served = await servedConfig(db, { projectId: crypto.randomUUID(), environmentId: crypto.randomUUID() }, 5);
    expect(served).toMatchObject({ ok: true, config: { revision: 5 } });
    expect(reads).toEqual(["replica:revision", "replica:flags"]);
  });

  it("falls back to the primary when the replica lags behind min_revision", async () => {
    const { db, reads } = fakeDb(3, 7);
    const served = await servedConfig(db, { projectId: crypto.randomUUID(), environmentId: crypto.randomUUID() }, 6);
    expect(served).toMatchObject({ ok: true, config: { revision: 7 } });
    expect(reads).toEqual(["replica:revision", "primary:revision", "primary:flags"]);
  });

  it("refuses a min_revision above the primary's", async () => {
    const { db } = fakeDb(3, 7);
    expect(await servedConfig(db, { projectId: crypto.randomUUID(), environmentId: crypto.randomUUID() }, 8)).toEqual({
      ok: false,
      reason: "ahead",
      revision: 7,
    });
  });

  it("never serves a cached configuration older than the revision just read, and reuses a newer one", async () => {
    const target = { projectId: crypto.randomUUID(), environmentId: crypto.randomUUID() };
    const before = compileCount.n;
    let t = 1_000_000;
    expect(await servedConfig(fakeDb(4, 4).db, target, null, t)).toMatchObject({ config: { revision: 4 } });
    t += REVISION_TTL_MS + 1;
    expect(await servedConfig(fakeDb(5, 5).db, target, null, t)).toMatchObject({ config: { revision: 5 } });
    // A replica behind the cache: the cache's newer configuration is served, nothing is rebuilt.
    t += REVISION_TTL_MS + 1;
    expect(await servedConfig(fakeDb(3, 5).db, target, null, t)).toMatchObject({ config: { revision: 5 } });
    expect(compileCount.n - before).toBe(2);
  });

  it("reads nothing within REVISION_TTL_MS of the last read, unless min_revision asks for more than the cache has", async () => {
    const target = { projectId: crypto.randomUUID(), environmentId: crypto.randomUUID() };
    const t = 2_000_000;
    await servedConfig(fakeDb(4, 4).db, target, null, t);
    const quiet = fakeDb(9, 9);
    expect(await servedConfig(quiet.db, target, null, t + REVISION_TTL_MS - 1)).toMatchObject({ config: { revision: 4 } });
    expect(await servedConfig(quiet.db, target, 4, t + 10 * REVISION_TTL_MS)).toMatchObject({ config: { revision: 4 } });
    expect(quiet.reads).toEqual([]);
    expect(await servedConfig(quiet.db, target, 5, t + 1)).toMatchObject({ config: { revision: 9 } });
    expect(quiet.reads).toEqual(["replica:revision", "replica:flags"]);
    expect(await servedConfig(fakeDb(9, 9).db, target, null, t + REVISION_TTL_MS + 5)).toMatchObject({ config: { revision: 9 } });
  });

  it("keeps at most its budget of bytes, the least recently served environment leaving first", async () => {
    const budget = configCache.budgetBytes;
    // An environment of no flags weighs FLAG_OVERHEAD_BYTES: the budget holds three of them.
    configCache.budgetBytes = 3 * FLAG_OVERHEAD_BYTES;
    try {
      const [a, b, c, d] = Array.from({ length: 4 }, () => ({ projectId: crypto.randomUUID(), environmentId: crypto.randomUUID() }));
      const t = 3_000_000;
      const serve = async (target: typeof a) => {
        const before = compileCount.n;
        await servedConfig(fakeDb(1, 1).db, target, null, t);
        return compileCount.n - before;
      };
      expect([await serve(a), await serve(b), await serve(c)]).toEqual([1, 1, 1]);
      expect(await serve(a)).toBe(0); // served from the cache, and now the most recent
      expect(await serve(d)).toBe(1); // over the budget: b, the least recently served, leaves
      expect([await serve(a), await serve(c), await serve(d)]).toEqual([0, 0, 0]);
      expect(await serve(b)).toBe(1);
      // The environment just built stays even when it alone is over the budget.
      configCache.budgetBytes = 0;
      expect(await serve(c)).toBe(0);
      const e = { projectId: crypto.randomUUID(), environmentId: crypto.randomUUID() };
      expect([await serve(e), await serve(e)]).toEqual([1, 0]);
      expect(await serve(c)).toBe(1);
    } finally {
      configCache.budgetBytes = budget;
    }
  });

  it("weighs an environment by its flags' stored JSON", async () => {
    const budget = configCache.budgetBytes;
    configCache.budgetBytes = 5 * FLAG_OVERHEAD_BYTES;
    try {
      const t = 4_000_000;
      const targets = Array.from({ length: 3 }, () => ({ projectId: crypto.randomUUID(), environmentId: crypto.randomUUID() }));
      const serve = async (target: (typeof targets)[number], rows: object[] = []) => {
        const before = compileCount.n;
        await servedConfig(fakeDb(1, 1, rows).db, target, null, t);
        return compileCount.n - before;
      };
      for (const target of targets) expect(await serve(target)).toBe(1);
      // One flag whose variations' JSON takes 321 bytes weighs 2 × 200 + 321 + 2 ("[]") + 3 (its key)
      // = 726: of the three environments before it (200 each), only the last still fits beside it.
      const on = crypto.randomUUID();
      const variations = JSON.stringify([{ id: on, key: "on", name: "x".repeat(300 - 60), value: true }]);
      const row = {
        id: crypto.randomUUID(),
        key: "big",
        version: 1,
        variations,
        enabled: 1,
        rollout_percentage: 100,
        rollout_variation_id: on,
        conditions: "[]",
        default_variation_id: on,
        state_version: 1,
      };
      const big = { projectId: crypto.randomUUID(), environmentId: crypto.randomUUID() };
      expect(await serve(big, [row])).toBe(1);
      expect([await serve(targets[2]), await serve(big)]).toEqual([0, 0]);
      expect([await serve(targets[0]), await serve(targets[1])]).toEqual([1, 1]);
    } finally {
      configCache.budgetBytes = budget;
    }
  });
});
