// /tggl (CONTRACT.md v1.1, "Tggl's SDKs"): config with ETag, X-Flagpost-Revision and 304; flags for
// one context or up to 1,000; report → 204; bad input as a 4xx.
import { evalFlag } from "tggl-core";
import { describe, expect, it } from "vitest";
import { TgglConfigSchema } from "../src/serve/schemas";
import { expectError, json, newFlag, patchState, setup } from "./helpers";
import { newSdkKey, tggl } from "./serve-helpers";

async function fixture() {
  const { tenant, project } = await setup();
  const flag = await newFlag(tenant, project.id, { key: "checkout" });
  await json(patchState(tenant, project.id, "checkout", "production", { enabled: true, rollout_percentage: 50 }), 200);
  const key = (await newSdkKey(tenant, project.id)).key;
  return { tenant, project, flag, key };
}

describe("GET /tggl/config", () => {
  it("answers tggl-core's shapes with ETag and X-Flagpost-Revision, and 304 to a matching If-None-Match", async () => {
    const { tenant, project, flag, key } = await fixture();
    const res = await tggl(key, "/config");
    expect(res.headers.get("x-flagpost-revision")).toBe("2");
    const config = TgglConfigSchema.parse(await json(res, 200));
    expect(config).toEqual([
      {
        slug: "checkout",
        conditions: [
          {
            rules: [{ key: "userId", operator: "PERCENTAGE", rangeStart: 0, rangeEnd: 0.5, seed: parseInt(flag.id.replaceAll("-", "").slice(0, 8), 16) }],
            variation: { active: true, value: true },
          },
        ],
        defaultVariation: { active: false, value: false },
      },
    ]);
    const etag = res.headers.get("etag")!;
    const cached = await tggl(key, "/config", { headers: { "if-none-match": etag } });
    expect(cached.status).toBe(304);
    expect(cached.headers.get("x-flagpost-revision")).toBe("2");
    await json(patchState(tenant, project.id, "checkout", "production", { enabled: false }), 200);
    const fresh = await tggl(key, "/config?min_revision=3", { headers: { "if-none-match": etag } });
    expect(fresh.status).toBe(200);
    expect(await fresh.json()).toEqual([{ slug: "checkout", conditions: [], defaultVariation: { active: false, value: false } }]);
  });

  it("min_revision: at or below the project's revision answers, above it is a 400", async () => {
    const { key } = await fixture();
    expect((await tggl(key, "/config?min_revision=2")).status).toBe(200);
    await expectError(tggl(key, "/config?min_revision=3"), 400, "validation_failed");
    await expectError(tggl(key, "/config", { headers: { "x-flagpost-min-revision": "nope" } }), 400, "validation_failed");
  });
});

describe("POST /tggl/flags", () => {
  it("answers {slug: value} for active variations only, for one context or an array", async () => {
    const { key } = await fixture();
    const config = await json(tggl(key, "/config"), 200);
    const users = Array.from({ length: 50 }, (_, i) => ({ userId: `user-${i}` }));
    const answers = await json(tggl(key, "/flags", { body: users }), 200);
    expect(answers).toHaveLength(50);
    answers.forEach((a: Record<string, unknown>, i: number) => {
      const v = evalFlag(users[i], config[0]);
      expect(a).toEqual(v === undefined ? {} : { checkout: v });
    });
    // Off is inactive: whoever is outside the rollout gets no value at all.
    expect(answers.some((a: object) => Object.keys(a).length === 0)).toBe(true);
    expect(answers.some((a: { checkout?: unknown }) => a.checkout === true)).toBe(true);
    expect(await json(tggl(key, "/flags", { body: users[0] }), 200)).toEqual(answers[0]);
  });

  it("takes up to 1,000 contexts, and refuses more, scalars and arrays of non-objects with 400", async () => {
    const { key } = await fixture();
    expect(await json(tggl(key, "/flags", { body: Array.from({ length: 1000 }, () => ({})) }), 200)).toHaveLength(1000);
    await expectError(tggl(key, "/flags", { body: Array.from({ length: 1001 }, () => ({})) }), 400, "validation_failed");
    for (const body of ["5", '"x"', "null", "[1]", "[{}, []]", "{bad"]) await expectError(tggl(key, "/flags", { body }), 400, "validation_failed");
  });
});

describe("POST /tggl/report", () => {
  it("answers 204", async () => {
    const { key } = await fixture();
    const res = await tggl(key, "/report", { body: { clients: [{ id: "x" }] } });
    expect(res.status).toBe(204);
  });
});
