// Group commit under a failing batch: changes that arrive together share a D1 batch, so when one of
// them cannot land the whole batch fails. Every change of that batch must be refused (409) and
// neither stored nor announced; every change answered 200 must be stored and delivered once; and the
// project's writer, having dropped its copy, goes on from what D1 holds.
import { fault, finish, project } from "./kit.mjs";

const FLAGS = 24;

/**
 * Rounds of 24 concurrent toggles, one per flag, after f0's rows were changed behind the writer's
 * back (f0 held in its memory just before, so its write is guarded by the version it no longer has):
 * f0's toggle is sent in the middle, so it is staged with others that queued behind a batch in
 * flight, and their batch aborts. Rounds repeat until one failed batch carried several changes (at
 * most 5: how many share a batch depends on how the requests arrive).
 */
async function batchFailsWithSeveralChanges(ctx) {
  const name = "group-commit-batch-fails";
  const p = await project(ctx, name, ["ok"], { flags: FLAGS });
  const keys = Array.from({ length: FLAGS }, (_, i) => `f${i}`);
  const stored = new Map(keys.map((k) => [k, false]));
  const patch = (key, enabled) => ctx.api.call("PATCH", `/projects/${p.id}/flags/${key}/environments/production`, { enabled });
  const problems = [];
  let accepted = 0;
  // The writer reads every flag once, so the round below stages from memory.
  for (const key of keys) {
    if ((await patch(key, true)).status !== 200) problems.push(`warm-up toggle of ${key} refused`);
    stored.set(key, true);
    accepted++;
  }
  let largestFailedBatch = 0;
  let rounds = 0;
  while (largestFailedBatch < 2 && rounds < 5) {
    rounds++;
    // A failed round dropped the writer's copy: a change of f0 puts it back in memory first.
    if ((await patch("f0", !stored.get("f0"))).status === 200) {
      stored.set("f0", !stored.get("f0"));
      accepted++;
    } else problems.push(`round ${rounds}: f0's change before the fault was refused`);
    await fault(ctx, "stale-flag", { project_id: p.id, flag_key: "f0" });
    const others = keys.slice(1);
    const order = [...others.slice(0, others.length / 2), "f0", ...others.slice(others.length / 2)];
    const answers = await Promise.all(order.map((key) => patch(key, !stored.get(key)).then((res) => ({ key, status: res.status }))));
    let refused = 0;
    for (const { key, status } of answers) {
      const flag = (await ctx.api.call("GET", `/projects/${p.id}/flags/${key}`, undefined, { expect: 200 })).body;
      const now = flag.environments.production.enabled;
      if (status === 200) {
        accepted++;
        if (now === stored.get(key)) problems.push(`round ${rounds}: ${key} answered 200 but its change is not stored`);
      } else if (status === 409) {
        refused++;
        if (now !== stored.get(key)) problems.push(`round ${rounds}: ${key} answered 409 but its change was stored`);
      } else problems.push(`round ${rounds}: ${key} answered ${status}`);
      stored.set(key, now);
    }
    if (!answers.some((a) => a.key === "f0" && a.status === 409)) problems.push(`round ${rounds}: the stale flag's change was not refused`);
    largestFailedBatch = Math.max(largestFailedBatch, refused);
  }
  if (largestFailedBatch < 2) problems.push(`in ${rounds} rounds no failed batch carried more than the stale flag's change`);
  // After the failures the writer goes on from what D1 holds: one more change of each flag lands.
  for (const key of keys) {
    const res = await patch(key, !stored.get(key));
    if (res.status === 200) {
      accepted++;
      stored.set(key, !stored.get(key));
    } else problems.push(`after the failures, ${key} answered ${res.status}`);
  }
  // The audit: every committed change has exactly one delivery, each sent once; nothing refused was announced.
  return finish(ctx, name, p, { changes: accepted, problems, extra: { rounds, refused_together: largestFailedBatch } });
}

export const groupCommitScenarios = [["a batch of several changes fails: all refused, none stored or announced", batchFailsWithSeveralChanges]];
