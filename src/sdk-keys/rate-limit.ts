// SDK keys' own request budget, apart from API keys': SDK_RATE_LIMIT_PER_MINUTE per key (off when
// unset or 0, which is the local default). Counted per isolate in fixed one-minute windows.
const windows = new Map<string, { window: number; count: number }>();

/** Null when the request may go on; otherwise the seconds to wait (for Retry-After). */
export function sdkRateLimit(env: Env, keyId: string, now = Date.now()): number | null {
  const perMinute = Number((env as unknown as { SDK_RATE_LIMIT_PER_MINUTE?: string }).SDK_RATE_LIMIT_PER_MINUTE ?? 0);
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
