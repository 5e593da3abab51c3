// Signing out ends a session on the server too. The sealed cookie proves itself until its expiry, so
// a copy taken before sign-out (a shared computer, a stolen cookie) would still open pages; its id is
// therefore recorded until that expiry, and the guard refuses a recorded session. Expired records
// are removed as new ones are written.
import type { Session } from "./session";

export async function revokeSession(env: Env, session: Session, now = Date.now()): Promise<void> {
  await env.DB.batch([
    env.DB.prepare("INSERT OR IGNORE INTO revoked_sessions (id, expires_at) VALUES (?, ?)").bind(session.id, session.expiresAt),
    env.DB.prepare("DELETE FROM revoked_sessions WHERE expires_at < ?").bind(now),
  ]);
}

export async function isSessionRevoked(env: Env, session: Session): Promise<boolean> {
  return (await env.DB.prepare("SELECT 1 FROM revoked_sessions WHERE id = ?").bind(session.id).first()) !== null;
}
