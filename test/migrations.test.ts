// migrations/ applied to an empty database builds exactly the schema that src/kernel/db/schema.ts
// declares: the same tables, columns (type, NOT NULL, primary key), and indexes. A column added to
// schema.ts without a migration, or a migration edited by hand, fails here.
import { applyD1Migrations } from "cloudflare:test";
import { getTableConfig, type SQLiteTable } from "drizzle-orm/sqlite-core";
import { beforeAll, describe, expect, it } from "vitest";
import * as schema from "../src/kernel/db/schema";
import { env } from "./helpers";

const db = () => env.FRESH_DB;
const tables = (Object.values(schema) as unknown[]).filter((v): v is SQLiteTable => typeof v === "object" && v !== null && Symbol.for("drizzle:Name") in v);

async function userTables(): Promise<string[]> {
  const { results } = await db()
    .prepare(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name != 'd1_migrations' ORDER BY name",
    )
    .all<{ name: string }>();
  return results.map((r) => r.name);
}

beforeAll(async () => {
  // The binding is this file's own; drop whatever an earlier run may have left, so we start from nothing.
  for (const name of await userTables()) await db().prepare(`DROP TABLE IF EXISTS "${name}"`).run();
  await db().prepare("DROP TABLE IF EXISTS d1_migrations").run();
  expect(await userTables()).toEqual([]);
  await applyD1Migrations(db(), env.TEST_MIGRATIONS);
});

describe("migrations from an empty database", () => {
  it("are recorded once each, and applying them again changes nothing", async () => {
    const applied = await db().prepare("SELECT name FROM d1_migrations ORDER BY id").all<{ name: string }>();
    expect(applied.results.map((r) => r.name)).toEqual(env.TEST_MIGRATIONS.map((m) => m.name));
    const before = await userTables();
    await applyD1Migrations(db(), env.TEST_MIGRATIONS);
    expect(await userTables()).toEqual(before);
    expect((await db().prepare("SELECT count(*) AS n FROM d1_migrations").first<{ n: number }>())?.n).toBe(env.TEST_MIGRATIONS.length);
  });

  it("create every table of src/kernel/db/schema.ts, and no other", async () => {
    expect(tables.length).toBeGreaterThanOrEqual(10);
    expect(await userTables()).toEqual(tables.map((t) => getTableConfig(t).name).sort());
  });

  it.each(tables.map((t) => [getTableConfig(t).name, t] as const))("build %s with the declared columns", async (name, table) => {
    const config = getTableConfig(table);
    const compositeKey = new Set(config.primaryKeys.flatMap((pk) => pk.columns.map((c) => c.name)));
    const declared = config.columns
      .map((c) => ({ name: c.name, type: c.getSQLType().toUpperCase(), notnull: c.notNull || c.primary, pk: c.primary || compositeKey.has(c.name) }))
      .sort((x, y) => x.name.localeCompare(y.name));
    const { results } = await db()
      .prepare(`SELECT name, type, "notnull", pk FROM pragma_table_info(?)`)
      .bind(name)
      .all<{ name: string; type: string; notnull: number; pk: number }>();
    const actual = results
      .map((c) => ({ name: c.name, type: c.type.toUpperCase(), notnull: c.notnull === 1, pk: c.pk > 0 }))
      .sort((x, y) => x.name.localeCompare(y.name));
    expect(actual).toEqual(declared);
  });

  it.each(tables.map((t) => [getTableConfig(t).name, t] as const))("index %s as declared", async (name, table) => {
    const declared = getTableConfig(table)
      .indexes.map((i) => ({ name: i.config.name, unique: Boolean(i.config.unique), columns: i.config.columns.map((c) => (c as { name: string }).name) }))
      .sort((x, y) => x.name.localeCompare(y.name));
    const { results } = await db()
      .prepare(`SELECT name, "unique" FROM pragma_index_list(?) WHERE origin = 'c' ORDER BY name`)
      .bind(name)
      .all<{ name: string; unique: number }>();
    const actual = [];
    for (const index of results) {
      const cols = await db().prepare("SELECT name FROM pragma_index_info(?) ORDER BY seqno").bind(index.name).all<{ name: string }>();
      actual.push({ name: index.name, unique: index.unique === 1, columns: cols.results.map((c) => c.name) });
    }
    expect(actual).toEqual(declared);
  });

  it("enforce the uniqueness the API relies on", async () => {
    const now = Date.now();
    await db().prepare("INSERT INTO orgs (id, name, created_at) VALUES ('o1', 'Org', ?)").bind(now).run();
    await db().prepare("INSERT INTO projects (id, org_id, key, name, created_at) VALUES ('p1', 'o1', 'web', 'Web', ?)").bind(now).run();
    await expect(
      db().prepare("INSERT INTO projects (id, org_id, key, name, created_at) VALUES ('p2', 'o1', 'web', 'Again', ?)").bind(now).run(),
    ).rejects.toThrow(/UNIQUE/);
  });
});
