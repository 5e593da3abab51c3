import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../src/index";
import { checkRateLimit } from "../src/auth/rate-limit";
import { newTenant } from "./helpers";

async function me(key: string, overrides: Record<string, unknown>) {
  const ctx = createExecutionContext();
  const res = await worker.fetch(
    new Request("http://flagpost.test/api/v1/me", { headers: { authorization: `Bearer ${key}` } }),
    { ...env, ...overrides } as Env,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return res;
}

describe("per-key rate limit", () => {
  it("the local fallback answers 429 with Retry-After once a key spends its minute", async () => {
    const tenant = await newTenant();
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await me(tenant.key, { RATE_LIMIT_PER_MINUTE: "3" })).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await me(tenant.key, { RATE_LIMIT_PER_MINUTE: "3" });
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect((await limited.json<{ error: { code: string } }>()).error.code).toBe("rate_limited");
    const other = await newTenant();
    expect((await me(other.key, { RATE_LIMIT_PER_MINUTE: "3" })).status).toBe(200);
  });

  it("the window resets each minute", async () => {
    const fakeEnv = { RATE_LIMIT_PER_MINUTE: "1" } as unknown as Env;
    const t0 = 1_800_000_000_000 - (1_800_000_000_000 % 60_000);
    await checkRateLimit(fakeEnv, "k-reset", t0);
    await expect(checkRateLimit(fakeEnv, "k-reset", t0 + 1000)).rejects.toMatchObject({ code: "rate_limited" });
    await expect(checkRateLimit(fakeEnv, "k-reset", t0 + 60_000)).resolves.toBeUndefined();
  });

  it("with the RATE_LIMITER binding, its answer decides", async () => {
    const tenant = await newTenant();
    const keys: string[] = [];
    const RATE_LIMITER = {
      limit: async ({ key }: { key: string }) => {
        keys.push(key);
        return { success: keys.length < 2 };
      },
    };
    expect((await me(tenant.key, { RATE_LIMITER })).status).toBe(200);
    const res = await me(tenant.key, { RATE_LIMITER });
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("60");
    expect(keys[0]).toMatch(/^[0-9a-f]{64}$/);
  });
});
