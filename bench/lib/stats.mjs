// Percentiles and the printed table.

/** The p-th percentile (0–100) of `values`, by linear interpolation between closest ranks. */
export function percentile(values, p) {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
}

/** p50 / p95 / p99 (and count, max) in milliseconds, rounded to 0.1 ms. */
export function summarize(values) {
  const r = (x) => (x === null ? null : Math.round(x * 10) / 10);
  return {
    n: values.length,
    p50: r(percentile(values, 50)),
    p95: r(percentile(values, 95)),
    p99: r(percentile(values, 99)),
    max: r(values.length ? Math.max(...values) : null),
  };
}

export const triple = (s) => (s ? `${s.p50} / ${s.p95} / ${s.p99}` : "—");
export const ratio = (a, b) => (a === null || a === undefined || !b ? null : Math.round((a / b) * 100) / 100);
export const mb = (bytes) => Math.round(bytes / 1024 / 1024);

/** A plain-text table: the first row is the header. */
export function renderTable(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i] ?? "").length)));
  const line = (r) => `| ${r.map((c, i) => String(c ?? "").padEnd(widths[i])).join(" | ")} |`;
  return [line(rows[0]), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.slice(1).map(line)].join("\n");
}
