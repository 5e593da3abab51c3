// worker-configuration.d.ts is generated (`npm run types`): only the Env interface of wrangler.toml's
// bindings and vars; the runtime's own types come from @cloudflare/workers-types. It must be exactly
// what wrangler writes for wrangler.toml now, so a binding cannot go without its type, nor the file
// be edited by hand. (`wrangler types --check` compares only the hash in the header.)
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "../..");
const COMMITTED = path.join(ROOT, "worker-configuration.d.ts");

/** The file without its header line, which names the command that wrote it and a hash of that. */
const body = (text: string) => text.split("\n").slice(2).join("\n");

describe("worker-configuration.d.ts", () => {
  it("is exactly what `wrangler types --include-runtime=false` writes for wrangler.toml today", () => {
    // Written beside the committed file, so that its relative imports read the same.
    const fresh = path.join(ROOT, `.worker-configuration.${process.pid}.d.ts`);
    try {
      execFileSync(path.join(ROOT, "node_modules/.bin/wrangler"), ["types", "--include-runtime=false", fresh], {
        cwd: ROOT,
        env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", NO_COLOR: "1" },
        stdio: "pipe",
      });
      expect(body(fs.readFileSync(COMMITTED, "utf8"))).toBe(body(fs.readFileSync(fresh, "utf8")));
    } finally {
      fs.rmSync(fresh, { force: true });
    }
  }, 60_000);

  it("holds no runtime types: it stays small", () => {
    expect(fs.readFileSync(COMMITTED, "utf8").split("\n").length).toBeLessThan(1000);
  });
});
