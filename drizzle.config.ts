import { defineConfig } from "drizzle-kit";

// `npm run db:generate` diffs src/kernel/db/schema.ts against migrations/meta and writes the next SQL file,
// which wrangler applies (`migrations_dir`). Released migrations are never edited.
export default defineConfig({
  dialect: "sqlite",
  schema: "./src/kernel/db/schema.ts",
  out: "./migrations",
});
