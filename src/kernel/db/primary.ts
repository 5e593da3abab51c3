// A request served by a D1 session may read a replica that lags behind. Where a miss would be an
// answer (401 for a key, 404 for a project) and the thing may have been created a moment ago, the
// reader asks the primary first. The session middleware (sessions.ts) registers each session here.
const primaries = new WeakMap<object, D1Database>();

export function rememberPrimary(session: object, primary: D1Database): void {
  primaries.set(session, primary);
}

/**
 * A session on the primary for a request served by a session (`env.DB` as d1Sessions set it), or
 * null when the request already reads the primary.
 */
export function primaryOf(env: Env): D1Database | null {
  const primary = primaries.get(env.DB);
  return primary ? (primary.withSession("first-primary") as unknown as D1Database) : null;
}
