// Settings read from bindings. A local run takes them from environment variables (scripts/start.sh
// passes them as vars); deployed, they are vars and secrets of the Worker.
export interface Settings {
  retrySchedule: number[];
  deliveryTimeoutMs: number;
  allowInsecureUrls: boolean;
  adminToken: string;
  secretsKeyring: string;
  retentionDays: number;
  /** Hosts Flagpost is reached at besides the request's own (PUBLIC_URL, comma-separated URLs): webhooks may not target them. */
  publicHosts: string[];
  /** A webhook failing with no success for this long is disabled (v1.1). */
  autoDisableSeconds: number;
}

const DEFAULT_SCHEDULE = [60, 300, 1800, 7200, 43200];

export function readSettings(env: Env): Settings {
  const vars = env as unknown as Record<string, string | undefined>;
  return {
    retrySchedule: parseSchedule(vars.RETRY_SCHEDULE_SECONDS),
    deliveryTimeoutMs: positiveInt(vars.DELIVERY_TIMEOUT_MS, 30_000),
    allowInsecureUrls: vars.ALLOW_INSECURE_WEBHOOK_URLS === "true",
    adminToken: vars.ADMIN_TOKEN ?? "",
    secretsKeyring: vars.WEBHOOK_SECRETS_KEY ?? "",
    retentionDays: positiveInt(vars.RETENTION_DAYS, 30),
    publicHosts: hostsOf(vars.PUBLIC_URL),
    autoDisableSeconds: positiveInt(vars.WEBHOOK_AUTO_DISABLE_SECONDS, 432_000),
  };
}

function parseSchedule(raw: string | undefined): number[] {
  if (!raw) return DEFAULT_SCHEDULE;
  const parts = raw.split(",").map((s) => Number(s.trim()));
  return parts.every((n) => Number.isFinite(n) && n >= 0) && parts.length > 0 ? parts : DEFAULT_SCHEDULE;
}

function hostsOf(raw: string | undefined): string[] {
  return (raw ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .flatMap((s) => {
      try {
        return [new URL(s).host];
      } catch {
        return [];
      }
    });
}

function positiveInt(raw: string | undefined, fallback: number): number {
  const n = Number(raw);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

export const FLAGPOST_VERSION = "1.0.0";
