// The v1.1 migration numbers events written before revisions existed: each change (its events share
// the flag and the commit time, next to each other) gets the next revision of its project, and the
// project's revision is its last change's. Applied to a database at 0000 that holds such events.
import { applyD1Migrations } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { env } from "./helpers";

const db = () => env.FRESH_DB;

async function reset() {
  const { results } = await db()
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'")
    .all<{ name: string }>();
  for (const r of results) await db().prepare(`DROP TABLE IF EXISTS "${r.name}"`).run();
}

describe("migration 0001 on existing events", () => {
  it("gives each earlier change its own revision, oldest first, per project", async () => {
    await reset();
    const [first, ...rest] = env.TEST_MIGRATIONS;
    expect(first.name).toMatch(/^0000/);
    await applyD1Migrations(db(), [first]);
    await db().prepare("INSERT INTO orgs (id, name, created_at) VALUES ('o', 'Org', 0)").run();
    for (const p of ["p1", "p2", "p3"])
      await db().prepare("INSERT INTO projects (id, org_id, key, name, created_at) VALUES (?, 'o', ?, 'P', 0)").bind(p, p).run();
    // p1: created (t=1), a double change (t=2, two events), a change of another flag at the same time (t=2), one more (t=3).
    const rows = [
      ["e1", "p1", "f1", 1],
      ["e2", "p1", "f1", 2],
      ["e3", "p1", "f1", 2],
      ["e4", "p1", "f2", 2],
      ["e5", "p2", "f9", 5],
      ["e6", "p1", "f1", 3],
    ] as const;
    for (const [id, project, flag, at] of rows)
      await db()
        .prepare(
          "INSERT INTO events (id, org_id, project_id, flag_id, environment_id, event, created_at, rollgate_body, tggl_body) VALUES (?, 'o', ?, ?, NULL, 'flag.updated', ?, '{}', '{}')",
        )
        .bind(id, project, flag, at)
        .run();
    await applyD1Migrations(db(), [first, ...rest]);
    const events = await db().prepare("SELECT id, revision FROM events ORDER BY seq").all<{ id: string; revision: number }>();
    expect(events.results.map((e) => [e.id, e.revision])).toEqual([
      ["e1", 1],
      ["e2", 2],
      ["e3", 2],
      ["e4", 3],
      ["e5", 1],
      ["e6", 4],
    ]);
    const projects = await db().prepare("SELECT id, revision FROM projects ORDER BY id").all<{ id: string; revision: number }>();
    expect(projects.results.map((p) => [p.id, p.revision])).toEqual([
      ["p1", 4],
      ["p2", 1],
      ["p3", 0],
    ]);
  });
});
