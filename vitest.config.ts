import fs from "node:fs";
import path from "node:path";
import { parse as parseHcl } from "@cdktf/hcl2json";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    globalSetup: ["./test/global-setup.ts"],
    projects: [
      {
        // Inside workerd, with the real bindings: almost every test.
        plugins: [
          cloudflareTest(async ({ inject }) => ({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                TEST_MIGRATIONS: await readD1Migrations(path.join(import.meta.dirname, "migrations")),
                RECEIVER_URL: inject("receiverUrl"),
                // Short clocks so the retry ladder and time-outs can be driven in tests.
                DELIVERY_TIMEOUT_MS: "1500",
                RATE_LIMIT_PER_MINUTE: "0",
                // Off, like the per-key budget: the suite presents bad credentials on purpose, all from one address.
                // test/credentials.test.ts turns it on.
                AUTH_FAILURES_PER_MINUTE: "0",
                // Each test's SDK keys stay far below it; test/ofrep.test.ts spends one key's whole budget.
                SDK_RATE_LIMIT_PER_MINUTE: "300",
                // Event streams tick every second (keep-alive, revoked keys) and served revisions are
                // written at once, so that tests await them instead of waiting the deployed 15 s and 5 s.
                EVENT_STREAM_TICK_SECONDS: "1",
                SERVED_FLUSH_SECONDS: "0",
                EVENT_STREAM_SHARDS: "2",
                // test/deploy-drift.test.ts runs inside workerd, which cannot read the repository: it gets
                // wrangler.toml and the Terraform module as text.
                DEPLOY_FILES: JSON.stringify(await readDeployFiles()),
              },
              // An extra, empty database for the migration test, which applies migrations/ from nothing.
              // And one that plays a read replica that lags behind the primary (test/sessions.test.ts).
              d1Databases: { FRESH_DB: "flagpost-fresh", REPLICA_DB: "flagpost-replica" },
            },
          })),
        ],
        test: {
          name: "workers",
          include: ["test/**/*.test.ts"],
          exclude: ["test/e2e/**", "test/faults/**", "test/repo/**"],
          setupFiles: ["./test/apply-migrations.ts"],
        },
      },
      {
        // In Node: checks of the repository's own files (docs, scripts, deploy configuration).
        test: { name: "repo", include: ["test/repo/**/*.test.ts"], environment: "node" },
      },
    ],
  },
});

/** wrangler.toml, and the Terraform module as text and in HCL's JSON form (parsed here, in Node). */
async function readDeployFiles() {
  const root = import.meta.dirname;
  const tfDir = path.join(root, "deploy/terraform");
  const terraform = Object.fromEntries(
    fs
      .readdirSync(tfDir)
      .filter((f) => f.endsWith(".tf"))
      .sort()
      .map((f) => [f, fs.readFileSync(path.join(tfDir, f), "utf8")]),
  );
  const terraformJson = Object.fromEntries(await Promise.all(Object.entries(terraform).map(async ([f, text]) => [f, await parseHcl(f, text)])));
  return { wrangler: fs.readFileSync(path.join(root, "wrangler.toml"), "utf8"), terraform, terraformJson };
}
