// OFREP's HTTP behaviour (CONTRACT.md v1.1): answers and metadata, the context-aware ETag and 304,
// error bodies, CORS on every answer and the preflight, 429 with Retry-After, bad input as 4xx in
// OFREP's shape, min_revision, and a compiled configuration built once per revision per isolate.
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../src/index";
import { compileCount, REVISION_TTL_MS } from "../src/serve/config";
import { OfrepBulkSchema, OfrepErrorSchema, OfrepEvaluationSchema } from "../src/serve/schemas";
import { json, newFlag, patchFlag, patchState, setup } from "./helpers";
import { newSdkKey, ofrep, root } from "./serve-helpers";

const CORS = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "POST, OPTIONS",
  "access-control-allow-headers": "Authorization, X-API-Key, Content-Type, If-None-Match",
  "access-control-expose-headers": "ETag",
};

function expectCors(res: Response) {
  for (const [k, v] of Object.entries(CORS)) expect(res.headers.get(k), k).toBe(v);
}

async function fixture() {
  const { tenant, project } = await setup();
  const flag = await newFlag(tenant, project.id, { key: "checkout" });
  await json(patchState(tenant, project.id, "checkout", "production", { enabled: true }), 200);
  const key = await newSdkKey(tenant, project.id);
  return { tenant, project, flag, key: key.key };
}

describe("single evaluation", () => {
  it("answers key, reason, variant, value and the metadata", async () => {
    const { flag, key } = await fixture();
    const res = await ofrep(key, "checkout", { context: { targetingKey: "u" } });
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expectCors(res);
    const body = OfrepEvaluationSchema.strict().parse(await json(res, 200));
    expect(body).toEqual({
      key: "checkout",
      reason: "STATIC",
      variant: "Live",
      value: true,
      metadata: { revision: 2, active: true, variation_id: flag.variations[0].id, flag_version: 1, state_version: 2 },
    });
  });

  it("refuses an unknown flag 404, odd keys and bad bodies 400, in OFREP's shape, with CORS", async () => {
    const { key } = await fixture();
    const cases: [string, unknown, number, string][] = [
      ["nope", { context: {} }, 404, "FLAG_NOT_FOUND"],
      ["Bad%20Key", { context: {} }, 400, "PARSE_ERROR"],
      ["checkout", "{not json", 400, "PARSE_ERROR"],
      ["checkout", "[1,2]", 400, "PARSE_ERROR"],
      ["checkout", { context: "user-1" }, 400, "INVALID_CONTEXT"],
      ["checkout", { context: [1] }, 400, "INVALID_CONTEXT"],
      ["checkout", { context: null }, 400, "INVALID_CONTEXT"],
      ["checkout", JSON.stringify({ context: JSON.parse("[".repeat(40) + "]".repeat(40)) }), 400, "PARSE_ERROR"],
    ];
    for (const [flagKey, body, status, code] of cases) {
      const res = await ofrep(key, flagKey, body);
      expect(res.status, `${flagKey} ${String(body).slice(0, 40)}`).toBe(status);
      expectCors(res);
      const parsed = OfrepErrorSchema.strict().parse(await res.json());
      expect(parsed.errorCode).toBe(code);
      expect(parsed.key).toBeDefined();
    }
  });

  it("takes a body of up to 1 MiB and refuses a larger one with 413", async () => {
    const { key } = await fixture();
    const big = { context: { plan: "pro" }, padding: "x".repeat(900 * 1024) };
    expect((await ofrep(key, "checkout", big)).status).toBe(200);
    const tooBig = await ofrep(key, "checkout", { context: {}, padding: "x".repeat(1024 * 1024) });
    expect(tooBig.status).toBe(413);
    expectCors(tooBig);
  });

  // v1.2: a context is at most 32 KiB of JSON, single and bulk alike (it was the body's 1 MiB).
  it.each(["checkout", null])("takes a context of 32 KiB and refuses a larger one with 413 (flag %s)", async (flag) => {
    const { key } = await fixture();
    const fits = { blob: "x".repeat(32 * 1024 - '{"blob":""}'.length) };
    expect((await ofrep(key, flag, { context: fits })).status).toBe(200);
    const tooBig = await ofrep(key, flag, { context: { ...fits, b: 1 } });
    expect(tooBig.status).toBe(413);
    expect(((await tooBig.json()) as { error: unknown }).error).toMatchObject({ code: "payload_too_large", message: expect.stringContaining("32768") });
    expectCors(tooBig);
    // UTF-8 bytes count, not characters.
    expect((await ofrep(key, flag, { context: { blob: "é".repeat(16 * 1024) } })).status).toBe(413);
  });
});

describe("bulk evaluation", () => {
  it("answers every served flag with the revision, and a 304 to its own ETag", async () => {
    const { tenant, project, key } = await fixture();
    await newFlag(tenant, project.id, { key: "second" });
    const first = await ofrep(key, null, { context: { targetingKey: "a" } });
    const body = OfrepBulkSchema.strict().parse(await json(first, 200));
    expect(body.flags.map((f) => f.key)).toEqual(["checkout", "second"]);
    expect(body.metadata).toEqual({ revision: 3 });
    const etag = first.headers.get("etag")!;
    expect(etag).toMatch(/^"[^"]+"$/);
    expectCors(first);

    const again = await ofrep(key, null, { context: { targetingKey: "a" } }, { "if-none-match": etag });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe("");
    expectCors(again);
    expect(again.headers.get("etag")).toBe(etag);
    expect((await ofrep(key, null, { context: { targetingKey: "a" } }, { "if-none-match": `W/${etag}, "other"` })).status).toBe(304);

    // Another context, or a new revision, gets a new ETag and a full answer.
    const other = await ofrep(key, null, { context: { targetingKey: "b" } }, { "if-none-match": etag });
    expect(other.status).toBe(200);
    expect(other.headers.get("etag")).not.toBe(etag);
    await json(patchState(tenant, project.id, "second", "production", { enabled: true }), 200);
    const changed = await ofrep(key, null, { context: { targetingKey: "a" } }, { "if-none-match": etag, "x-flagpost-min-revision": "4" });
    expect(changed.status).toBe(200);
    expect(((await changed.json()) as any).metadata.revision).toBe(4);
  });

  it.each(["abc", '"unterminated', "W/abc", '"a" "b"'])("refuses a malformed If-None-Match %s with 400 PARSE_ERROR", async (header) => {
    const { key } = await fixture();
    const res = await ofrep(key, null, { context: {} }, { "if-none-match": header });
    expect(res.status).toBe(400);
    const body = OfrepErrorSchema.strict().parse(await res.json());
    expect(body).toEqual({ errorCode: "PARSE_ERROR", errorDetails: expect.any(String) });
  });

  it("refuses a context that is not an object with INVALID_CONTEXT and no key", async () => {
    const { key } = await fixture();
    const res = await ofrep(key, null, { context: 5 });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ errorCode: "INVALID_CONTEXT", errorDetails: expect.any(String) });
  });
});

describe("CORS", () => {
  it.each(["/ofrep/v1/evaluate/flags", "/ofrep/v1/evaluate/flags/checkout"])("answers the preflight of %s with 204", async (path) => {
    const res = await root(path, {
      method: "OPTIONS",
      headers: { origin: "https://app.example", "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type" },
    });
    expect(res.status).toBe(204);
    expectCors(res);
  });

  it("sends CORS on a 401", async () => {
    const res = await ofrep(null, "checkout");
    expect(res.status).toBe(401);
    expectCors(res);
  });
});

describe("min_revision", () => {
  it("answers at the revision asked for, and refuses one above the project's with PARSE_ERROR", async () => {
    const { key } = await fixture();
    expect((await json(ofrep(key, null, { context: {} }, {}, "?min_revision=2"), 200)).metadata.revision).toBe(2);
    expect((await json(ofrep(key, null, { context: {} }, { "x-flagpost-min-revision": "1" }), 200)).metadata.revision).toBe(2);
    const ahead = await ofrep(key, "checkout", { context: {} }, {}, "?min_revision=3");
    expect(ahead.status).toBe(400);
    expect(await ahead.json()).toEqual({ key: "checkout", errorCode: "PARSE_ERROR", errorDetails: expect.stringContaining("above") });
    for (const bad of ["-1", "x", "1.5", ""]) {
      const res = await ofrep(key, null, { context: {} }, {}, `?min_revision=${bad}`);
      expect(res.status, bad).toBe(400);
      expect(((await res.json()) as { errorCode: string }).errorCode).toBe("PARSE_ERROR");
    }
  });

  it("a reader told about revision N by a webhook never sees less than N, across a burst of changes", async () => {
    const { tenant, project, key } = await fixture();
    for (let i = 1; i <= 15; i++) {
      const res = await patchState(tenant, project.id, "checkout", "production", { rollout_percentage: i });
      expect(res.status).toBe(200);
      const revision = 2 + i;
      const answer = await json(ofrep(key, "checkout", { context: { userId: "u" } }, {}, `?min_revision=${revision}`), 200);
      expect(answer.metadata.revision).toBeGreaterThanOrEqual(revision);
      expect(answer.metadata.state_version).toBe(2 + i);
    }
  });
});

describe("the compiled configuration", () => {
  it("is built once per revision in an isolate, however many requests and contexts", async () => {
    const { tenant, project, key } = await fixture();
    await json(ofrep(key, null, { context: {} }), 200);
    const before = compileCount.n;
    await Promise.all(Array.from({ length: 20 }, (_, i) => json(ofrep(key, i % 2 ? null : "checkout", { context: { userId: `u${i}` } }), 200)));
    expect(compileCount.n).toBe(before);
    await json(patchFlag(tenant, project.id, "checkout", { name: "Renamed" }), 200);
    await Promise.all(Array.from({ length: 10 }, () => json(ofrep(key, null, { context: {} }, {}, "?min_revision=3"), 200)));
    expect(compileCount.n).toBe(before + 1);
    // Without min_revision too, once the isolate's revision read is more than REVISION_TTL_MS old.
    await json(patchFlag(tenant, project.id, "checkout", { name: "Renamed again" }), 200);
    await new Promise((r) => setTimeout(r, REVISION_TTL_MS + 50));
    expect((await json(ofrep(key, null, { context: {} }), 200)).metadata.revision).toBe(4);
    expect(compileCount.n).toBe(before + 2);
  });

  it("stops serving a flag once it is archived", async () => {
    const { tenant, project, key } = await fixture();
    expect((await ofrep(key, "checkout")).status).toBe(200);
    await json(patchFlag(tenant, project.id, "checkout", { archived: true }), 200);
    expect((await ofrep(key, "checkout", { context: {} }, {}, "?min_revision=3")).status).toBe(404);
    expect((await json(ofrep(key, null, { context: {} }, {}, "?min_revision=3"), 200)).flags).toEqual([]);
  });
});

describe("min_revision far ahead (v1.2: it cost two uncached D1 reads every time)", () => {
  it("is refused from what the isolate last read, with no D1 call, when the writer cannot have got there since", async () => {
    const { key } = await fixture();
    let calls = 0;
    const counting = new Proxy(env.DB, {
      get(target, prop) {
        if (prop === "prepare" || prop === "batch" || prop === "withSession") calls++;
        const value = Reflect.get(target, prop);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const send = async (min: number) => {
      const ctx = createExecutionContext();
      const req = new Request(`http://flagpost.test/ofrep/v1/evaluate/flags/checkout?min_revision=${min}`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: "{}",
      });
      const res = await worker.fetch(req, { ...env, DB: counting } as unknown as Env, ctx);
      await waitOnExecutionContext(ctx);
      return res;
    };
    expect((await send(1)).status).toBe(200); // the key and the revision, read once
    calls = 0;
    for (let i = 0; i < 5; i++) {
      const res = await send(1_000_000_000_000);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { errorCode: string }).errorCode).toBe("PARSE_ERROR");
    }
    expect(calls).toBe(0);
    // Just above the revision, the primary still decides (a commit may have landed a moment ago).
    expect((await send(3)).status).toBe(400);
    expect(calls).toBeGreaterThan(0);
  });
});

describe("the SDK keys' request budget", () => {
  it("answers 429 with Retry-After past SDK_RATE_LIMIT_PER_MINUTE (300 in tests), key by key", async () => {
    const { tenant, project, key } = await fixture();
    let limited: Response | null = null;
    for (let i = 0; i < 310 && !limited; i++) {
      const res = await ofrep(key, "checkout");
      if (res.status === 429) limited = res;
      else await res.arrayBuffer();
    }
    expect(limited).not.toBeNull();
    expect(Number(limited!.headers.get("retry-after"))).toBeGreaterThan(0);
    expectCors(limited!);
    const fresh = await newSdkKey(tenant, project.id);
    expect((await ofrep(fresh.key, "checkout")).status).toBe(200);
  });

  it("deployed, asks the platform's rate limiter (SDK_RATE_LIMITER) by key, and answers 429 when it says no", async () => {
    const { tenant, project, key } = await fixture();
    const asked: string[] = [];
    let allow = true;
    const limiter = {
      limit: async ({ key: k }: { key: string }) => {
        asked.push(k);
        return { success: allow };
      },
    };
    const send = async () => {
      const ctx = createExecutionContext();
      const req = new Request("http://flagpost.test/ofrep/v1/evaluate/flags/checkout", {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: "{}",
      });
      const res = await worker.fetch(req, { ...env, SDK_RATE_LIMITER: limiter } as unknown as Env, ctx);
      await waitOnExecutionContext(ctx);
      return res;
    };
    expect((await send()).status).toBe(200);
    allow = false;
    const limited = await send();
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("60");
    const keys = await json(
      root(`/api/v1/projects/${project.id}/environments/production/sdk-keys`, { headers: { authorization: `Bearer ${tenant.key}` } }),
      200,
    );
    expect(new Set(asked)).toEqual(new Set([keys.data[0].id]));
  });
});
