// Serves the stylesheet and script under names that carry a hash of their content: a page always
// links the current version, so browsers and the edge may keep them for a year.
import { Hono, type Context } from "hono";
import { dashboardScript, type ScriptTables } from "./script";
import { STYLE } from "./style";

/** FNV-1a, enough to tell two versions of a file apart. */
function contentHash(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash.toString(36);
}

export const STYLE_PATH = `/dashboard/assets/app-${contentHash(STYLE)}.css`;

export interface DashboardAssets {
  /** Where pages link the script; it names the script's content, tables included. */
  scriptPath: string;
  routes: Hono<{ Bindings: Env }>;
}

export function dashboardAssets(tables: ScriptTables): DashboardAssets {
  const script = dashboardScript(tables);
  // A Map, not an object: a name such as "constructor" or "__proto__" must be no file at all.
  const files = new Map<string, { body: string; type: string }>([
    [`app-${contentHash(STYLE)}.css`, { body: STYLE, type: "text/css; charset=utf-8" }],
    [`app-${contentHash(script)}.js`, { body: script, type: "text/javascript; charset=utf-8" }],
  ]);
  const serveAsset = (c: Context) => {
    const file = files.get(c.req.param("file") ?? "");
    if (!file) return c.text("no such file", 404);
    return c.body(file.body, 200, { "content-type": file.type, "cache-control": "public, max-age=31536000, immutable" });
  };
  const routes = new Hono<{ Bindings: Env }>();
  routes.get("/:file", serveAsset);
  return { scriptPath: `/dashboard/assets/app-${contentHash(script)}.js`, routes };
}
