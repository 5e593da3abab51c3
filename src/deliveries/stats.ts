// A webhook's delivery figures over a window, counted in attempts (reads only).
import { iso } from "../kernel/schemas";

export interface WebhookStats {
  window: "1h" | "24h" | "7d";
  attempts: number;
  succeeded: number;
  failed: number;
  success_rate: number;
  latency_ms: { p50: number | null; p95: number | null };
  last_success_at: string | null;
  last_failure_at: string | null;
}

const OK = "(a.error IS NULL AND json_extract(a.response, '$.status_code') BETWEEN 200 AND 299)";
const IN_WINDOW = "FROM attempts a JOIN deliveries d ON d.id = a.delivery_id WHERE d.webhook_id = ?1 AND a.started_at >= ?2";

export async function webhookStats(
  d1: D1Database,
  webhookId: string,
  window: WebhookStats["window"],
  windowMs: number,
  now = Date.now(),
): Promise<WebhookStats> {
  const from = now - windowMs;
  const [{ results: totals }] = await d1.batch<{ n: number; ok: number; last_ok: number | null; last_failed: number | null }>([
    d1
      .prepare(
        `SELECT COUNT(*) AS n, COALESCE(SUM(${OK}), 0) AS ok,
                MAX(CASE WHEN ${OK} THEN a.started_at END) AS last_ok, MAX(CASE WHEN NOT ${OK} THEN a.started_at END) AS last_failed
         ${IN_WINDOW}`,
      )
      .bind(webhookId, from),
  ]);
  const { n, ok, last_ok, last_failed } = totals[0];
  const percentile = async (p: number) =>
    n === 0
      ? null
      : ((
          await d1
            .prepare(`SELECT a.duration_ms AS ms ${IN_WINDOW} ORDER BY a.duration_ms LIMIT 1 OFFSET ?3`)
            .bind(webhookId, from, Math.min(n - 1, Math.floor(p * n)))
            .first<{ ms: number }>()
        )?.ms ?? null);
  const [p50, p95] = await Promise.all([percentile(0.5), percentile(0.95)]);
  return {
    window,
    attempts: n,
    succeeded: ok,
    failed: n - ok,
    success_rate: n === 0 ? 0 : ok / n,
    latency_ms: { p50, p95 },
    last_success_at: last_ok === null ? null : iso(last_ok),
    last_failure_at: last_failed === null ? null : iso(last_failed),
  };
}
