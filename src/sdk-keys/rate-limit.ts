// SDK keys' own request budget, apart from API keys' (CONTRACT.md v1.1 and v1.2). Deployed, the
// Workers rate-limiting binding SDK_RATE_LIMITER counts, SDK_RATE_LIMIT_PER_MINUTE a key in each
// Cloudflare location (wrangler.toml [env.production] and deploy/terraform set both, to the same
// number). A local run has no such binding and counts in the isolate, in fixed one-minute windows,
// when SDK_RATE_LIMIT_PER_MINUTE is set (off when unset or 0, the local default).
const windows = new Map<string, { window: number; count: number }>();
const BINDING_PERIOD_SECONDS = 60;

interface RateLimiter {
  limit(options: { key: string }): Promise<{ success: boolean }>;
}

/** Null when the request may go on; otherwise the seconds to wait (for Retry-After). */
export async function sdkRateLimit(env: Env, keyId: string, now = Date.now()): Promise<number | null> {
  const vars = env as unknown as { SDK_RATE_LIMITER?: RateLimiter; SDK_RATE_LIMIT_PER_MINUTE?: string };
  if (vars.SDK_RATE_LIMITER) return (await vars.SDK_RATE_LIMITER.limit({ key: keyId })).success ? null : BINDING_PERIOD_SECONDS;
  const perMinute = Number(vars.SDK_RATE_LIMIT_PER_MINUTE ?? 0);
  if (!(perMinute > 0)) return null;
  const window = Math.floor(now / 60_000);
  const slot = windows.get(keyId);
  if (!slot || slot.window !== window) {
    if (windows.size > 10_000) windows.clear();
    windows.set(keyId, { window, count: 1 });
    return null;
  }
  if (++slot.count <= perMinute) return null;
  return Math.max(1, Math.ceil(((window + 1) * 60_000 - now) / 1000));
}
