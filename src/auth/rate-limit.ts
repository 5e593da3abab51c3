// A per-key request budget. Deployed, the Workers rate-limiting binding (RATE_LIMITER) counts; a
// local run has no such binding and counts in the isolate instead (RATE_LIMIT_PER_MINUTE, 0 = off).
import { AppError } from "../kernel/errors";

const LOCAL_DEFAULT_PER_MINUTE = 6000;
const BINDING_PERIOD_SECONDS = 60;
const windows = new Map<string, { window: number; count: number }>();

interface RateLimiter {
  limit(options: { key: string }): Promise<{ success: boolean }>;
}

export async function checkRateLimit(env: Env, key: string, now = Date.now()): Promise<void> {
  const vars = env as unknown as { RATE_LIMITER?: RateLimiter; RATE_LIMIT_PER_MINUTE?: string };
  if (vars.RATE_LIMITER) {
    const { success } = await vars.RATE_LIMITER.limit({ key });
    if (!success) throw limited(BINDING_PERIOD_SECONDS);
    return;
  }
  const perMinute = vars.RATE_LIMIT_PER_MINUTE === undefined ? LOCAL_DEFAULT_PER_MINUTE : Number(vars.RATE_LIMIT_PER_MINUTE);
  if (!(perMinute > 0)) return;
  const window = Math.floor(now / 60_000);
  const slot = windows.get(key);
  if (!slot || slot.window !== window) {
    if (windows.size > 10_000) windows.clear();
    windows.set(key, { window, count: 1 });
    return;
  }
  if (++slot.count > perMinute) throw limited(Math.max(1, Math.ceil(((window + 1) * 60_000 - now) / 1000)));
}

function limited(retryAfterSeconds: number): AppError {
  return new AppError("rate_limited", "too many requests for this API key; slow down", undefined, { "Retry-After": String(retryAfterSeconds) });
}
