// Retention prunes old logs in batches and never touches what is still pending.
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../src/index";
import { PRUNE_BATCH, pruneOlderThan } from "../src/deliveries/retention";

const DAY = 86_400_000;

async function seed(tag: string, count: number, createdAt: number, status: string) {
  const statements = [];
  for (let i = 0; i < count; i++) {
    const eventId = `${tag}-e${i}`;
    const deliveryId = `${tag}-d${i}`;
    statements.push(
      env.DB.prepare(
        "INSERT INTO events (id, org_id, project_id, flag_id, environment_id, event, created_at, rollgate_body, tggl_body) VALUES (?, 'o', ?, 'f', NULL, 'flag.created', ?, '{}', '{}')",
      ).bind(eventId, tag, createdAt),
      env.DB.prepare(
        "INSERT INTO deliveries (id, webhook_id, org_id, project_id, event_id, event, format, status, attempt_count, next_attempt_at, final, created_at) VALUES (?, ?, 'o', ?, ?, 'flag.created', 'rollgate', ?, 1, ?, 0, ?)",
      ).bind(deliveryId, `${tag}-w`, tag, eventId, status, status === "pending" ? createdAt + DAY : null, createdAt),
      env.DB.prepare(
        "INSERT INTO attempts (delivery_id, number, started_at, duration_ms, request, response, error) VALUES (?, 1, ?, 5, '{}', NULL, NULL)",
      ).bind(deliveryId, createdAt),
    );
  }
  await env.DB.batch(statements);
}

async function count(table: string, tag: string) {
  const column = table === "attempts" ? "delivery_id" : "id";
  return (await env.DB.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE ${column} LIKE ?`).bind(`${tag}-%`).first<{ n: number }>())!.n;
}

describe("retention", () => {
  it("deletes finished deliveries, their attempts and events past the cutoff, in batches, and keeps pending ones", async () => {
    const tag = `r${crypto.randomUUID().slice(0, 8)}`;
    const now = Date.now();
    await seed(`${tag}-old`, PRUNE_BATCH + 20, now - 40 * DAY, "succeeded");
    await seed(`${tag}-oldpending`, 3, now - 40 * DAY, "pending");
    await seed(`${tag}-new`, 5, now - 2 * DAY, "failed");
    const report = await pruneOlderThan(env.DB, now - 30 * DAY);
    expect(report.complete).toBe(true);
    expect(await count("deliveries", `${tag}-old`)).toBe(0);
    expect(await count("attempts", `${tag}-old`)).toBe(0);
    expect(await count("events", `${tag}-old`)).toBe(0);
    for (const table of ["deliveries", "attempts", "events"]) {
      expect(await count(table, `${tag}-oldpending`)).toBe(3);
      expect(await count(table, `${tag}-new`)).toBe(5);
    }
  });

  it("prunes the revisions' records of what they changed past the cutoff, in batches, and keeps newer ones", async () => {
    const project = `r${crypto.randomUUID().slice(0, 8)}`;
    const now = Date.now();
    const insert = (revision: number, createdAt: number) =>
      env.DB.prepare(
        "INSERT INTO revision_changes (project_id, revision, flag_id, flag_key, kind, before, created_at) VALUES (?, ?, 'f', 'k', 'updated', '{}', ?)",
      ).bind(project, revision, createdAt);
    const old = Array.from({ length: PRUNE_BATCH + 7 }, (_, i) => insert(i + 1, now - 40 * DAY));
    for (let i = 0; i < old.length; i += 90) await env.DB.batch(old.slice(i, i + 90));
    await env.DB.batch([insert(9001, now - 2 * DAY), insert(9002, now)]);
    const report = await pruneOlderThan(env.DB, now - 30 * DAY);
    expect(report.complete).toBe(true);
    expect(report.revisions).toBeGreaterThanOrEqual(PRUNE_BATCH + 7);
    const left = await env.DB.prepare("SELECT revision FROM revision_changes WHERE project_id = ? ORDER BY revision").bind(project).all<{ revision: number }>();
    expect(left.results.map((r) => r.revision)).toEqual([9001, 9002]);
  });

  it("the scheduled handler prunes with RETENTION_DAYS", async () => {
    const tag = `s${crypto.randomUUID().slice(0, 8)}`;
    await seed(tag, 2, Date.now() - 10 * DAY, "failed");
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ cron: "17 3 * * *" }), { ...env, RETENTION_DAYS: "7" } as Env, ctx);
    await waitOnExecutionContext(ctx);
    expect(await count("deliveries", tag)).toBe(0);
  });

  it("keeps going past forty batches until everything old is gone, and stops at its time budget", async () => {
    const tag = `b${crypto.randomUUID().slice(0, 8)}`;
    const old = Date.now() - 40 * DAY;
    const rows = 41 * PRUNE_BATCH + 7;
    // Seeded in SQL: a recursive count, so the test does not send twenty thousand statements.
    const n = `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${rows})`;
    await env.DB.batch([
      env.DB.prepare(
        `${n} INSERT INTO events (id, org_id, project_id, flag_id, environment_id, event, created_at, rollgate_body, tggl_body) SELECT ?1 || '-e' || i, 'o', ?1, 'f', NULL, 'flag.created', ?2, '{}', '{}' FROM n`,
      ).bind(tag, old),
      env.DB.prepare(
        `${n} INSERT INTO deliveries (id, webhook_id, org_id, project_id, event_id, event, format, status, attempt_count, final, created_at) SELECT ?1 || '-d' || i, ?1 || '-w', 'o', ?1, ?1 || '-e' || i, 'flag.created', 'rollgate', 'succeeded', 1, 0, ?2 FROM n`,
      ).bind(tag, old),
      env.DB.prepare(
        `${n} INSERT INTO attempts (delivery_id, number, started_at, duration_ms, request, response, error) SELECT ?1 || '-d' || i, 1, ?2, 5, '{}', NULL, NULL FROM n`,
      ).bind(tag, old),
    ]);
    const stopped = await pruneOlderThan(env.DB, Date.now() - 30 * DAY, 0);
    expect(stopped).toMatchObject({ complete: false, deliveries: 0 });
    const report = await pruneOlderThan(env.DB, Date.now() - 30 * DAY);
    expect(report.complete).toBe(true);
    expect(report.deliveries).toBeGreaterThanOrEqual(rows);
    for (const table of ["deliveries", "attempts", "events"]) expect(await count(table, tag), table).toBe(0);
  });
});
