// SDK keys' own request budget, apart from API keys' (CONTRACT.md v1.1 and v1.2). Deployed, the
// Workers rate-limiting binding SDK_RATE_LIMITER counts, SDK_RATE_LIMIT_PER_MINUTE a key in each
// Cloudflare location (wrangler.toml [env.production] and deploy/terraform set both, to the same
// number). A local run has no such binding and counts in the isolate, in fixed one-minute windows,
// when SDK_RATE_LIMIT_PER_MINUTE is set (off when unset or 0, the local default).
import { MinuteCounter, rateLimited, type RateLimiterBinding } from "../kernel/rate-limit";

const counter = new MinuteCounter();

/** Null when the request may go on; otherwise the seconds to wait (for Retry-After). */
export async function sdkRateLimit(env: Env, keyId: string, now = Date.now()): Promise<number | null> {
  const vars = env as unknown as { SDK_RATE_LIMITER?: RateLimiterBinding; SDK_RATE_LIMIT_PER_MINUTE?: string };
  return rateLimited(vars.SDK_RATE_LIMITER, counter, keyId, Number(vars.SDK_RATE_LIMIT_PER_MINUTE ?? 0), now);
}
