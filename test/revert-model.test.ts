// Revert, as a property over random histories (CONTRACT.md v1.2, "A way back"). A history is a random
// sequence of flag and state patches (names, keys, tags, archived, variations added, renamed and
// removed; enabled, rollouts, rollout and default variations, conditions kept, edited and replaced, in
// two environments). The invariants, against an oracle that compares the history's snapshots itself:
// - reverting the last revision restores the flag as it was before it, exactly (versions aside);
// - reverting an earlier one either sets exactly its fields back (every other field as it is now), or
//   is refused with revert_conflict naming the first later revision that changed one of its fields.
// Checked on the pure plan (many histories) and end to end through the API (fewer, slower).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createFlag, updateFlag, updateFlagState } from "../src/flags/commands";
import type { Flag } from "../src/flags/model";
import { canonicalJson } from "../src/kernel/json";
import type { UpdateFlagInput, UpdateFlagStateInput } from "../src/flags/schemas";
import { revertedFlag } from "../src/projects/revert";
import { revisionChangeOf, type RevisionChange } from "../src/projects/revision-fields";
import { call, getFlag, json, newFlag, setup, type Tenant } from "./helpers";

const ENVS = ["development", "production"] as const;
const FLAG_FIELDS = ["key", "name", "description", "tags", "archived", "sharing", "variations"] as const;
const STATE_FIELDS = ["enabled", "rollout_percentage", "rollout_variation_id", "conditions", "default_variation_id"] as const;

type Op =
  | {
      t: "state";
      env: 0 | 1;
      enabled?: boolean;
      rollout?: number;
      rolloutVar?: number;
      defaultVar?: number;
      conditions?: { name: string; varIdx: number; keepId: boolean }[];
    }
  | { t: "flag"; name?: string; description?: string; tags?: string[]; archived?: boolean; key?: string }
  | { t: "variations"; kind: "rename" | "add" | "remove" | "recolor"; idx: number; name: string };

const pick = <T>(list: readonly T[], i: number): T => list[i % list.length];

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record(
    {
      t: fc.constant("state" as const),
      env: fc.constantFrom(0 as const, 1 as const),
      enabled: fc.boolean(),
      rollout: fc.constantFrom(0, 30, 100),
      rolloutVar: fc.nat(5),
      defaultVar: fc.nat(5),
      conditions: fc.array(fc.record({ name: fc.constantFrom("staff", "beta", "vip"), varIdx: fc.nat(5), keepId: fc.boolean() }), { maxLength: 2 }),
    },
    { requiredKeys: ["t", "env"] },
  ),
  fc.record(
    {
      t: fc.constant("flag" as const),
      name: fc.constantFrom("Checkout", "New checkout", "Checkout v2"),
      description: fc.constantFrom("", "the new flow"),
      tags: fc.subarray(["web", "beta", "team-a"]),
      archived: fc.boolean(),
      key: fc.constantFrom("checkout", "checkout-v2"),
    },
    { requiredKeys: ["t"] },
  ),
  fc.record({
    t: fc.constant("variations" as const),
    kind: fc.constantFrom("rename", "add", "remove", "recolor"),
    idx: fc.nat(5),
    name: fc.constantFrom("A", "B", "C"),
  }),
);

/** The write an op stands for, against the flag as it is. */
function writeOf(op: Op, flag: Flag): { kind: "state"; envKey: string; patch: UpdateFlagStateInput } | { kind: "flag"; patch: UpdateFlagInput } {
  const vs = flag.variations;
  if (op.t === "state") {
    const envKey = ENVS[op.env];
    const current = flag.environments[envKey].conditions;
    const patch: UpdateFlagStateInput = {};
    if (op.enabled !== undefined) patch.enabled = op.enabled;
    if (op.rollout !== undefined) patch.rollout_percentage = op.rollout;
    if (op.rolloutVar !== undefined) patch.rollout_variation_id = pick(vs, op.rolloutVar).id;
    if (op.defaultVar !== undefined) patch.default_variation_id = pick(vs, op.defaultVar).id;
    if (op.conditions)
      patch.conditions = op.conditions.map((c, i) => {
        const kept = c.keepId ? current[i] : undefined;
        return {
          ...(kept ? { id: kept.id } : {}),
          name: c.name,
          variation_id: pick(vs, c.varIdx).id,
          rules: [{ ...(kept ? { id: kept.rules[0].id } : {}), property: "plan", operator: "STR_EQUALS" as const, values: [c.name] }],
        };
      });
    return { kind: "state", envKey, patch };
  }
  if (op.t === "flag") {
    const { t: _t, ...patch } = op;
    return { kind: "flag", patch };
  }
  const inputs = vs.map(({ id, name, description, color, active, value }) => ({ id, name, description, color, active, value }));
  const i = op.idx % vs.length;
  if (op.kind === "rename") inputs[i] = { ...inputs[i], name: `${inputs[i].name}${op.name}` };
  if (op.kind === "recolor") inputs[i] = { ...inputs[i], color: inputs[i].color === "#000000" ? "#ffffff" : "#000000" };
  if (op.kind === "add") inputs.push({ name: op.name, description: "", color: "#123456", active: true, value: op.idx % 2 === 0 } as (typeof inputs)[number]);
  if (op.kind === "remove" && inputs.length > 2) inputs.splice(i, 1);
  return { kind: "flag", patch: { variations: inputs } };
}

/** The flag without bookkeeping: what revert promises to restore. */
function content(flag: Flag) {
  const { version: _v, updated_at: _u, created_at: _c, environments, ...rest } = flag;
  return { ...rest, environments: Object.fromEntries(Object.entries(environments).map(([k, { version: _sv, ...s }]) => [k, s])) };
}

/**
 * The oracle's own diff: the fields that differ between two snapshots, named as revert names them.
 * Blind to key order: a write that only reorders a rule's keys moves the version and changes nothing.
 */
function fieldsChanged(a: Flag, b: Flag): string[] {
  const same = (x: unknown, y: unknown) => canonicalJson(x) === canonicalJson(y);
  return [
    ...FLAG_FIELDS.filter((f) => !same(a[f], b[f])),
    ...ENVS.flatMap((e) => STATE_FIELDS.filter((f) => !same(a.environments[e][f], b.environments[e][f])).map((f) => `${e}.${f}`)),
  ];
}

/** What reverting revision k (1-based among the history's changes) must give, per the snapshots. */
function expectedRevert(snapshots: Flag[], k: number): { conflict: number } | { nothing: true } | { flag: ReturnType<typeof content> } {
  const fields = fieldsChanged(snapshots[k - 1], snapshots[k]);
  if (!fields.length) return { nothing: true }; // nothing to set back: not_revertible
  for (let j = k + 1; j < snapshots.length; j++) if (fieldsChanged(snapshots[j - 1], snapshots[j]).some((f) => fields.includes(f))) return { conflict: j };
  const now = structuredClone(content(snapshots[snapshots.length - 1])) as Record<string, any>;
  const was = content(snapshots[k - 1]) as Record<string, any>;
  for (const f of fields) {
    const [a, b] = f.split(".");
    if (b) now.environments[a][b] = was.environments[a][b];
    else now[a] = was[a];
  }
  return { flag: now as ReturnType<typeof content> };
}

function initialFlag(): Flag {
  const created = createFlag(
    { key: "checkout", name: "Checkout", description: "", type: "boolean", tags: [] },
    [...ENVS],
    crypto.randomUUID(),
    "2026-01-01T00:00:00.000Z",
  );
  if (!created.ok) throw new Error("fixture");
  return created.flag;
}

/** A history applied with the pure commands: the snapshots (0 = as created) and each revision's record. */
function history(ops: Op[]) {
  const snapshots = [initialFlag()];
  const records: RevisionChange[] = [];
  for (const op of ops) {
    const before = snapshots[snapshots.length - 1];
    const w = writeOf(op, before);
    const result =
      w.kind === "state" ? updateFlagState(before, w.envKey, w.patch, "2026-01-02T00:00:00.000Z") : updateFlag(before, w.patch, "2026-01-02T00:00:00.000Z");
    if (!result.ok || !result.changed) continue;
    snapshots.push(result.flag);
    records.push(revisionChangeOf({ before, after: result.flag }, snapshots.length - 1));
  }
  return { snapshots, records };
}

describe("revert over random histories (the plan)", () => {
  it("reverting the last revision restores the flag before it, exactly", () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 12 }), (ops) => {
        const { snapshots, records } = history(ops);
        fc.pre(records.length > 0);
        const last = records[records.length - 1];
        const reverted = revertedFlag(last.revision, { target: last, later: [] }, snapshots[snapshots.length - 1], "2026-01-03T00:00:00.000Z");
        if (!fieldsChanged(snapshots[snapshots.length - 2], snapshots[snapshots.length - 1]).length) {
          expect(reverted).toMatchObject({ ok: false, code: "not_revertible" });
          return;
        }
        expect(reverted.ok).toBe(true);
        if (reverted.ok) expect(content(reverted.flag)).toEqual(content(snapshots[snapshots.length - 2]));
      }),
      { numRuns: 1500 },
    );
  });

  it("reverting an earlier revision sets exactly its fields back, or names the first later revision of the same fields", () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 2, maxLength: 12 }), fc.nat(), (ops, seed) => {
        const { snapshots, records } = history(ops);
        fc.pre(records.length > 1);
        const k = 1 + (seed % records.length);
        const reverted = revertedFlag(k, { target: records[k - 1], later: records.slice(k) }, snapshots[snapshots.length - 1], "2026-01-03T00:00:00.000Z");
        const expected = expectedRevert(snapshots, k);
        if ("nothing" in expected) {
          expect(reverted).toMatchObject({ ok: false, code: "not_revertible" });
        } else if ("conflict" in expected) {
          expect(reverted).toMatchObject({ ok: false, code: "revert_conflict", details: { revision: expected.conflict } });
        } else {
          expect(reverted.ok).toBe(true);
          if (reverted.ok) expect(content(reverted.flag)).toEqual(expected.flag);
        }
      }),
      { numRuns: 1500 },
    );
  });
});

async function apiWrite(t: Tenant, projectId: string, key: string, op: Op, flag: Flag): Promise<Response> {
  const w = writeOf(op, flag);
  const path = `/projects/${projectId}/flags/${key}${w.kind === "state" ? `/environments/${w.envKey}` : ""}`;
  return call(path, { token: t.key, method: "PATCH", body: w.patch });
}

describe("revert over random histories (end to end)", () => {
  it("through the API: the last revision's revert restores the flag; an earlier one's restores its fields or answers revert_conflict", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 2, maxLength: 6 }), fc.nat(), async (ops, seed) => {
        const { tenant, project } = await setup();
        await newFlag(tenant, project.id, { key: "checkout", name: "Checkout" });
        const base = (await json(call(`/projects/${project.id}`, { token: tenant.key }), 200)).revision as number;
        const snapshots: Flag[] = [await getFlag(tenant, project.id, "checkout")];
        for (const op of ops) {
          const now = snapshots[snapshots.length - 1];
          const res = await apiWrite(tenant, project.id, now.key, op, now);
          if (!res.ok) continue; // refused (a variation in use): no revision
          const flag = await getFlag(tenant, project.id, op.t === "flag" && op.key ? op.key : now.key);
          if (totalVersion(flag) !== totalVersion(now)) snapshots.push(flag);
        }
        fc.pre(snapshots.length > 2);
        const changes = snapshots.length - 1;
        const k = 1 + (seed % (changes - 1)); // an earlier one, then the last
        const expected = expectedRevert(snapshots, k);
        const early = await call(`/projects/${project.id}/revisions/${base + k}/revert`, { token: tenant.key, method: "POST" });
        if ("nothing" in expected) {
          expect(early.status).toBe(409);
        } else if ("conflict" in expected) {
          expect(early.status).toBe(409);
          expect((await early.json<{ error: { details: { revision: number } } }>()).error.details.revision).toBe(base + expected.conflict);
          const last = await call(`/projects/${project.id}/revisions/${base + changes}/revert`, { token: tenant.key, method: "POST" });
          if (!fieldsChanged(snapshots[changes - 1], snapshots[changes]).length) expect(last.status).toBe(409);
          else expect(content((await json(last, 200)).flag)).toEqual(content(snapshots[changes - 1]));
        } else if (danglingVariation(expected.flag)) {
          expect(early.status).toBe(422); // the restored fields would name a variation the flag no longer has
        } else {
          const body = await json(early, 200);
          expect(content(body.flag)).toEqual(expected.flag);
          expect(content(await getFlag(tenant, project.id, body.flag.key))).toEqual(expected.flag);
        }
      }),
      { numRuns: 12 },
    );
  }, 120_000);
});

function danglingVariation(flag: ReturnType<typeof content>): boolean {
  const ids = new Set(flag.variations.map((v) => v.id));
  return Object.values(flag.environments).some(
    (s) => !ids.has(s.rollout_variation_id) || !ids.has(s.default_variation_id) || s.conditions.some((c) => !ids.has(c.variation_id)),
  );
}

function totalVersion(flag: Flag): number {
  return flag.version + Object.values(flag.environments).reduce((n, s) => n + s.version, 0);
}
