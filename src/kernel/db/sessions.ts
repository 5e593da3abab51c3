// Reads close to the user: each API request runs on a D1 session. A read may be served by a
// replica; a write starts at the primary. The session's bookmark goes back in `X-D1-Bookmark`, and a
// client that sends it on its next request reads at least what it wrote (read-your-writes).
// Writes that go through ProjectDO commit there; the DO returns its bookmark for the same purpose.
// A bookmark handed back is never older than the one the client sent (bookmarks order as text).
// A replica may lag: a read that finds nothing where a client may have just written (its key, its
// project) asks the primary before answering 401 or 404 (primary.ts).
import type { MiddlewareHandler } from "hono";
import { rememberPrimary } from "./primary";
import type { AppEnv } from "../app-env";

export const BOOKMARK_HEADER = "X-D1-Bookmark";
/** What D1 hands out (`00000000-00000009-00000000-<32 hex>`); anything else is ignored, never passed on. */
export const BOOKMARK_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{32}$/;

export const d1Sessions: MiddlewareHandler<AppEnv> = async (c, next) => {
  const primary = c.env.DB;
  if (typeof primary.withSession !== "function") return next();
  const write = !["GET", "HEAD", "OPTIONS"].includes(c.req.method);
  const header = c.req.header(BOOKMARK_HEADER);
  const sent = header && BOOKMARK_SHAPE.test(header) ? header : undefined;
  const session = primary.withSession(write ? "first-primary" : (sent ?? "first-unconstrained"));
  rememberPrimary(session, primary);
  c.env = { ...c.env, DB: session as unknown as D1Database };
  await next();
  const bookmark = latestBookmark(latestBookmark(c.get("bookmark"), session.getBookmark()), sent);
  if (bookmark) c.header(BOOKMARK_HEADER, bookmark);
};

/** The later of two bookmarks (either may be absent). */
export function latestBookmark(a: string | null | undefined, b: string | null | undefined): string | null {
  if (!a) return b ?? null;
  if (!b) return a;
  return a >= b ? a : b;
}

/** Remembers the bookmark a ProjectDO write answered with, for the response header. */
export function keepBookmark<T extends object>(c: { set(key: "bookmark", value: string): void }, result: T): T {
  const bookmark = (result as { bookmark?: unknown }).bookmark;
  if (typeof bookmark === "string") c.set("bookmark", bookmark);
  return result;
}
