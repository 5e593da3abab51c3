// The recipe of docs/receiving-webhooks.md for a receiver that keeps an exact local copy: on each webhook, re-read the
// configuration with min_revision = its X-Flagpost-Revision, keep the newest; after downtime, catch
// up with since_revision. Across a burst of concurrent changes, no re-read is ever older than the
// webhook that triggered it, and the copy ends exactly at the project's last revision.
import { describe, expect, it } from "vitest";
import { call, json, newFlag, patchFlag, patchState, setup } from "./helpers";
import { newSdkKey, tggl } from "./serve-helpers";
import { eventually, newWebhook, received, receiverUrl } from "./webhook-helpers";

describe("a receiver following the documented recipe", () => {
  it("never holds a configuration older than a webhook it got, and ends exact", async () => {
    const { tenant, project } = await setup();
    const url = receiverUrl("ok");
    await newWebhook(tenant, project.id, { url, environments: ["production"] });
    const key = (await newSdkKey(tenant, project.id)).key;
    const flags = ["alpha", "beta", "gamma"];
    for (const f of flags) await newFlag(tenant, project.id, { key: f });
    // Warm the isolate's cache at an early revision, so a re-read without min_revision could be stale.
    await json(tggl(key, "/config"), 200);

    const writes = await Promise.all([
      ...flags.map((f) => patchState(tenant, project.id, f, "production", { enabled: true })),
      ...flags.map((f, i) => patchState(tenant, project.id, f, "production", { rollout_percentage: 10 * (i + 1) })),
      patchFlag(tenant, project.id, "beta", { archived: true }),
      ...flags.map((f, i) => patchState(tenant, project.id, f, "development", { rollout_percentage: 50 + i })),
    ]);
    for (const w of writes) expect(w.status).toBe(200);
    const finalRevision = (await json(call(`/projects/${project.id}`, { token: tenant.key }), 200)).revision;
    expect(finalRevision).toBe(3 + writes.length);

    const deliveries = await eventually(async () => {
      const seen = await received(url);
      // Every event except development's, which the webhook's environment filter leaves out.
      const events = (await json(call(`/projects/${project.id}/events?limit=200`, { token: tenant.key }), 200)).data;
      const expected = events.filter((e: { environment: { key: string } | null }) => e.environment === null || e.environment.key === "production").length;
      expect(seen).toHaveLength(expected);
      return seen;
    }, 15_000);

    let copy: { revision: number; config: unknown } = { revision: 0, config: null };
    for (const d of deliveries) {
      const told = Number(d.headers["x-flagpost-revision"]);
      expect(told).toBeGreaterThan(0);
      const res = await tggl(key, `/config?min_revision=${told}`);
      const revision = Number(res.headers.get("x-flagpost-revision"));
      const config = await json(res, 200);
      expect(revision).toBeGreaterThanOrEqual(told);
      if (revision > copy.revision) copy = { revision, config };
    }
    expect(copy.revision).toBe(finalRevision);
    const truth = await json(tggl(key, `/config?min_revision=${finalRevision}`), 200);
    expect(copy.config).toEqual(truth);
    expect((truth as { slug: string }[]).map((f) => f.slug).sort()).toEqual(["alpha", "gamma"]);

    // After downtime: catch up from an old revision, oldest first, to the same last revision.
    const missed = await json(call(`/projects/${project.id}/events?since_revision=3&limit=200`, { token: tenant.key }), 200);
    const revisions = missed.data.map((e: { revision: number }) => e.revision);
    expect(revisions).toEqual([...revisions].sort((a: number, b: number) => a - b));
    expect(revisions[0]).toBe(4);
    expect(revisions.at(-1)).toBe(finalRevision);
    expect(new Set(revisions).size).toBe(writes.length);
  });
});
