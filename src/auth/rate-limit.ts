// A per-key request budget. Deployed, the Workers rate-limiting binding (RATE_LIMITER) counts; a
// local run has no such binding and counts in the isolate instead (RATE_LIMIT_PER_MINUTE, 0 = off).
import { AppError } from "../kernel/errors";
import { MinuteCounter, rateLimited, type RateLimiterBinding } from "../kernel/rate-limit";

const LOCAL_DEFAULT_PER_MINUTE = 6000;
const counter = new MinuteCounter();

export async function checkRateLimit(env: Env, key: string, now = Date.now()): Promise<void> {
  const vars = env as unknown as { RATE_LIMITER?: RateLimiterBinding; RATE_LIMIT_PER_MINUTE?: string };
  const perMinute = vars.RATE_LIMIT_PER_MINUTE === undefined ? LOCAL_DEFAULT_PER_MINUTE : Number(vars.RATE_LIMIT_PER_MINUTE);
  const wait = await rateLimited(vars.RATE_LIMITER, counter, key, perMinute, now);
  if (wait !== null) throw new AppError("rate_limited", "too many requests for this API key; slow down", undefined, { "Retry-After": String(wait) });
}
