// Counting requests per key and minute: deployed, the platform's rate-limiting binding counts (per
// Cloudflare location, over 60 s); a local run has no binding and counts in the isolate, in fixed
// one-minute windows. The failed-authentication limit counts the same way, always in the isolate.

export interface RateLimiterBinding {
  limit(options: { key: string }): Promise<{ success: boolean }>;
}

const BINDING_PERIOD_SECONDS = 60;

/** Counts per key in fixed one-minute windows, in the isolate (at most `maxKeys` keys at once). */
export class MinuteCounter {
  private readonly windows = new Map<string, { window: number; count: number }>();

  constructor(private readonly maxKeys = 10_000) {}

  /** Counts one more for `key`: null while the minute's count is within `limit`, else the seconds left in the minute. */
  count(key: string, limit: number, now = Date.now()): number | null {
    const window = Math.floor(now / 60_000);
    const slot = this.windows.get(key);
    if (!slot || slot.window !== window) {
      if (this.windows.size > this.maxKeys) this.windows.clear();
      this.windows.set(key, { window, count: 1 });
      return null;
    }
    if (++slot.count <= limit) return null;
    return Math.max(1, Math.ceil(((window + 1) * 60_000 - now) / 1000));
  }
}

/**
 * Null when the request may go on; otherwise the seconds to wait (for Retry-After). The binding
 * decides when there is one; without it the isolate's counter does, when `perMinute` is above 0.
 */
export async function rateLimited(
  binding: RateLimiterBinding | undefined,
  counter: MinuteCounter,
  key: string,
  perMinute: number,
  now = Date.now(),
): Promise<number | null> {
  if (binding) return (await binding.limit({ key })).success ? null : BINDING_PERIOD_SECONDS;
  return perMinute > 0 ? counter.count(key, perMinute, now) : null;
}
