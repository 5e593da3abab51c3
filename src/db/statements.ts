// drizzle builds the SQL; the atomic unit of D1 is a batch of prepared statements. This bridges the
// two, so one batch can hold drizzle queries and Flagpost's own SQL (the outbox's INSERT … SELECT).
export interface BuildsSql {
  toSQL(): { sql: string; params: unknown[] };
}

export function prepare(d1: D1Database, query: BuildsSql): D1PreparedStatement {
  const { sql, params } = query.toSQL();
  return d1.prepare(sql).bind(...params);
}
