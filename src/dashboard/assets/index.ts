// Serves the stylesheet and script under names that carry a hash of their content: a page always
// links the current version, so browsers and the edge may keep them for a year.
import { Hono } from "hono";
import { SCRIPT } from "./script";
import { STYLE } from "./style";

/** FNV-1a, enough to tell two versions of a file apart. */
function contentHash(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash.toString(36);
}

const FILES = {
  [`app-${contentHash(STYLE)}.css`]: { body: STYLE, type: "text/css; charset=utf-8" },
  [`app-${contentHash(SCRIPT)}.js`]: { body: SCRIPT, type: "text/javascript; charset=utf-8" },
};

export const STYLE_PATH = `/dashboard/assets/app-${contentHash(STYLE)}.css`;
export const SCRIPT_PATH = `/dashboard/assets/app-${contentHash(SCRIPT)}.js`;

export function assetRoutes() {
  const app = new Hono<{ Bindings: Env }>();
  app.get("/:file", (c) => {
    const file = FILES[c.req.param("file")];
    if (!file) return c.text("no such file", 404);
    return c.body(file.body, 200, { "content-type": file.type, "cache-control": "public, max-age=31536000, immutable" });
  });
  return app;
}
