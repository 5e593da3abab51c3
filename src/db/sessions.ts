// Reads close to the user: each API request runs on a D1 session. A read may be served by a
// replica; a write starts at the primary. The session's bookmark goes back in `X-D1-Bookmark`, and a
// client that sends it on its next request reads at least what it wrote (read-your-writes).
// Writes that go through ProjectDO commit there; the DO returns its bookmark for the same purpose.
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../auth/middleware";

export const BOOKMARK_HEADER = "X-D1-Bookmark";
/** What D1 hands out (`00000000-00000009-00000000-<32 hex>`); anything else is ignored, never passed on. */
export const BOOKMARK_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{32}$/;

export const d1Sessions: MiddlewareHandler<AppEnv> = async (c, next) => {
  const primary = c.env.DB;
  if (typeof primary.withSession !== "function") return next();
  const write = !["GET", "HEAD", "OPTIONS"].includes(c.req.method);
  const sent = c.req.header(BOOKMARK_HEADER);
  const session = primary.withSession(write ? "first-primary" : sent && BOOKMARK_SHAPE.test(sent) ? sent : "first-unconstrained");
  c.env = { ...c.env, DB: session as unknown as D1Database };
  await next();
  const bookmark = c.get("bookmark") ?? session.getBookmark();
  if (bookmark) c.header(BOOKMARK_HEADER, bookmark);
};

/** Remembers the bookmark a ProjectDO write answered with, for the response header. */
export function keepBookmark<T extends object>(c: { set(key: "bookmark", value: string): void }, result: T): T {
  const bookmark = (result as { bookmark?: unknown }).bookmark;
  if (typeof bookmark === "string") c.set("bookmark", bookmark);
  return result;
}
