// `npm run bench:retention`: retention's prune on a database of over a million rows. Builds a SQLite
// file from migrations/ (D1 is SQLite), seeds deliveries, attempts and events spread over 60 days,
// then runs the exact statements of src/deliveries/lifecycle.ts (`pruned`) the way
// src/deliveries/retention.ts does, a batch at a time, and prints each query's plan and the figures.
// Local SQLite CPU only: D1 adds a round trip per batch (a few ms), which the figures below add back.
//
//   node --experimental-strip-types bench/retention.mjs [deliveries=1000000]
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { pruned } from "../src/deliveries/interventions.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const DELIVERIES = Number(process.argv[2] ?? 1_000_000);
const DAY = 86_400_000;
const BATCH = 500;
const D1_ROUND_TRIP_MS = 5;

/** A D1Database stand-in that only records the SQL and parameters `pruned` prepares. */
const recorder = { prepare: (sql) => ({ bind: (...params) => ({ sql, params }) }) };

function applyMigrations(db) {
  const dir = path.join(ROOT, "migrations");
  for (const file of fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".sql"))
    .sort()) {
    for (const statement of fs.readFileSync(path.join(dir, file), "utf8").split("--> statement-breakpoint")) {
      if (statement.trim()) db.exec(statement);
    }
  }
}

const body = (n) =>
  JSON.stringify({
    id: `evt-${n}`,
    event: "flag.toggled",
    changes: [{ __typename: "FlagActivated", oldActive: false, newActive: true }],
    pad: "x".repeat(300),
  });

function seed(db, now) {
  const events = Math.ceil(DELIVERIES / 2);
  const insertEvent = db.prepare(
    "INSERT INTO events (id, org_id, project_id, flag_id, environment_id, event, created_at, rollgate_body, tggl_body) VALUES (?, 'o', 'p', 'f', NULL, 'flag.toggled', ?, ?, ?)",
  );
  const insertDelivery = db.prepare(
    "INSERT INTO deliveries (id, webhook_id, org_id, project_id, event_id, event, format, status, attempt_count, next_attempt_at, final, created_at, completed_at) VALUES (?, ?, 'o', 'p', ?, 'flag.toggled', 'rollgate', ?, 1, ?, 0, ?, ?)",
  );
  const insertAttempt = db.prepare(
    "INSERT INTO attempts (delivery_id, number, started_at, duration_ms, request, response, error) VALUES (?, 1, ?, 12, ?, ?, NULL)",
  );
  const request = JSON.stringify({
    url: "https://hooks.example.com/flagpost",
    headers: { "Content-Type": "application/json", "X-Rollgate-Event": "flag.toggled", pad: "y".repeat(150) },
  });
  const response = JSON.stringify({ status_code: 200, headers: { "content-type": "text/plain" }, body: "ok" });
  const t0 = Date.now();
  db.exec("BEGIN");
  for (let e = 0; e < events; e++) {
    // Spread over the last 60 days, oldest first, as a real log grows.
    const createdAt = now - 60 * DAY + Math.floor((e / events) * 60 * DAY);
    insertEvent.run(`e${e}`, createdAt, body(e), body(e));
    for (let w = 0; w < 2 && e * 2 + w < DELIVERIES; w++) {
      const id = `d${e}-${w}`;
      // One in a hundred is still pending (a dead endpoint's retries): never pruned, nor its event.
      const pending = e % 100 === 7;
      insertDelivery.run(
        id,
        `w${w}`,
        `e${e}`,
        pending ? "pending" : e % 10 === 3 ? "failed" : "succeeded",
        pending ? now + DAY : null,
        createdAt,
        pending ? null : createdAt + 50,
      );
      insertAttempt.run(id, createdAt, request, response);
    }
    if (e % 50_000 === 49_999) {
      db.exec("COMMIT");
      db.exec("BEGIN");
    }
  }
  db.exec("COMMIT");
  return Date.now() - t0;
}

const count = (db, table) => db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get().n;

function plans(db, statements) {
  const out = {};
  for (const [name, s] of Object.entries(statements)) {
    out[name] = db
      .prepare(`EXPLAIN QUERY PLAN ${s.sql}`)
      .all(...s.params)
      .map((r) => r.detail);
  }
  return out;
}

function prune(db, cutoff) {
  const statements = pruned(recorder, cutoff, BATCH);
  const [attempts, deliveries] = statements.deliveries.map((s) => db.prepare(s.sql));
  const events = db.prepare(statements.events.sql);
  const report = { attempts: 0, deliveries: 0, events: 0, batches: 0, slowestBatchMs: 0 };
  const t0 = performance.now();
  for (;;) {
    const b0 = performance.now();
    db.exec("BEGIN");
    report.attempts += attempts.run(cutoff).changes;
    const n = deliveries.run(cutoff).changes;
    db.exec("COMMIT");
    report.deliveries += n;
    report.batches++;
    report.slowestBatchMs = Math.max(report.slowestBatchMs, performance.now() - b0);
    if (n < BATCH) break;
  }
  for (;;) {
    const b0 = performance.now();
    const n = events.run(cutoff).changes;
    report.events += n;
    report.batches++;
    report.slowestBatchMs = Math.max(report.slowestBatchMs, performance.now() - b0);
    if (n < BATCH) break;
  }
  report.ms = performance.now() - t0;
  return report;
}

function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flagpost-retention-"));
  const file = path.join(dir, "d1.sqlite");
  const db = new DatabaseSync(file);
  try {
    db.exec("PRAGMA journal_mode = WAL");
    applyMigrations(db);
    const now = Date.now();
    const seedMs = seed(db, now);
    const before = { deliveries: count(db, "deliveries"), attempts: count(db, "attempts"), events: count(db, "events") };
    const cutoff = now - 30 * DAY;
    const pendingBefore = db.prepare("SELECT COUNT(*) AS n FROM deliveries WHERE status = 'pending'").get().n;
    const statements = pruned(recorder, cutoff, BATCH);
    const queryPlans = plans(db, { attempts: statements.deliveries[0], deliveries: statements.deliveries[1], events: statements.events });
    const report = prune(db, cutoff);
    const after = { deliveries: count(db, "deliveries"), attempts: count(db, "attempts"), events: count(db, "events") };
    const rows = report.attempts + report.deliveries + report.events;
    const withRoundTrips = report.ms + report.batches * D1_ROUND_TRIP_MS;
    console.log(
      JSON.stringify(
        {
          rows_before: before,
          rows_after: after,
          seed_seconds: Math.round(seedMs / 100) / 10,
          database_mb: Math.round(fs.statSync(file).size / 1e6),
          pruned: { attempts: report.attempts, deliveries: report.deliveries, events: report.events },
          batches: report.batches,
          prune_seconds: Math.round(report.ms / 100) / 10,
          slowest_batch_ms: Math.round(report.slowestBatchMs * 10) / 10,
          rows_per_second: Math.round(rows / (report.ms / 1000)),
          rows_per_second_with_d1_round_trips: Math.round(rows / (withRoundTrips / 1000)),
          query_plans: queryPlans,
        },
        null,
        2,
      ),
    );
    // Nothing pending may go, nothing finished and too old may stay, no attempt may lose its delivery.
    const pendingLeft = db.prepare("SELECT COUNT(*) AS n FROM deliveries WHERE status = 'pending'").get().n;
    const orphanAttempts = db.prepare("SELECT COUNT(*) AS n FROM attempts a WHERE NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.id = a.delivery_id)").get().n;
    const tooOld = db.prepare("SELECT COUNT(*) AS n FROM deliveries WHERE status != 'pending' AND created_at < ?").get(cutoff).n;
    const checks = { pending_kept: pendingLeft === pendingBefore, orphan_attempts: orphanAttempts, finished_older_than_cutoff: tooOld };
    console.log(JSON.stringify(checks));
    if (!checks.pending_kept || orphanAttempts !== 0 || tooOld !== 0) process.exitCode = 1;
  } finally {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main();
