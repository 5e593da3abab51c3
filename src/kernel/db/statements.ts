// drizzle builds the SQL; the atomic unit of D1 is a batch of prepared statements. This bridges the
// two, so one batch can hold drizzle queries and Flagpost's own SQL (the outbox's INSERT … SELECT).
export interface BuildsSql {
  toSQL(): { sql: string; params: unknown[] };
}

export function prepare(d1: D1Database, query: BuildsSql): D1PreparedStatement {
  const { sql, params } = query.toSQL();
  return d1.prepare(sql).bind(...params);
}

/**
 * A statement that aborts its batch (D1 rolls the whole batch back) unless the statement just
 * before it changed exactly one row: json() refuses the text, which is the only way plain SQL has to
 * raise an error. Put after a guarded write, it makes everything after it depend on that write.
 */
export function abortUnlessOneRowChanged(d1: D1Database, what: string): D1PreparedStatement {
  return d1.prepare(`SELECT json(CASE WHEN changes() = 1 THEN '1' ELSE ?1 END)`).bind(`${WRITE_DID_NOT_LAND}: ${what}`);
}

/** A statement that aborts its batch unless `condition` (SQL, with its own parameters) holds. */
export function abortUnless(d1: D1Database, condition: string, params: unknown[], what: string): D1PreparedStatement {
  return d1.prepare(`SELECT json(CASE WHEN ${condition} THEN '1' ELSE ? END)`).bind(...params, `${WRITE_DID_NOT_LAND}: ${what}`);
}

const WRITE_DID_NOT_LAND = "write did not land";

/** Whether a batch was aborted by one of the guards above (or by a duplicate key). */
export function isAbortedGuard(err: unknown): boolean {
  const text = String((err as { message?: unknown })?.message ?? err) + String((err as { cause?: { message?: unknown } })?.cause?.message ?? "");
  // The revision guard (projects/store.ts bumpRevision) writes NULL into a NOT NULL column.
  return text.includes("malformed JSON") || text.includes("UNIQUE constraint failed") || text.includes("NOT NULL constraint failed: projects.revision");
}
