// Every setting the settings table documents is honoured by `npm start`: scripts/start.sh forwards it
// to the Worker (or uses it itself), forwards nothing the table does not name, and forwards every
// setting src/kernel/env.ts reads. The files are read as text at build time (Vite's `?raw`).
import { describe, expect, it } from "vitest";
import settingsPage from "../docs/operating.md?raw";
import startScript from "../scripts/start.sh?raw";
import envSource from "../src/kernel/env.ts?raw";

/** Where the settings table lives, and under which heading. */
const SETTINGS_DOC = { text: settingsPage, heading: "## Local settings" };

/** The setting names (first column, in backticks) of the first table under `heading`, up to the next heading. */
function settingsTable(markdown: string, heading: string): string[] {
  const start = markdown.split("\n").findIndex((l) => l.trim() === heading);
  if (start < 0) throw new Error(`no "${heading}" heading`);
  const names: string[] = [];
  for (const line of markdown.split("\n").slice(start + 1)) {
    if (/^#{1,6} /.test(line)) break;
    const cell = /^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|/.exec(line);
    if (cell) names.push(cell[1]);
  }
  return names;
}

/** The names start.sh passes to wrangler as `--var`, from its `for name in …` loop. */
function forwarded(script: string): string[] {
  const loop = /for name in ([A-Z0-9_ ]+); do\s*\n\s*if \[ -n "\$\{!name:-\}" \]; then vars\+=\(--var/.exec(script);
  if (!loop) throw new Error("start.sh no longer forwards settings in its `for name in …` loop");
  return loop[1].trim().split(/\s+/);
}

/** Settings start.sh uses itself rather than forwarding: where it serves and keeps its state. */
const USED_BY_THE_SCRIPT = ["PORT", "FLAGPOST_STATE_DIR"];
/** Read by src/kernel/env.ts but kept out of a local run's environment on purpose: wrangler.toml's fixed local key keeps secrets readable across restarts. */
const NOT_FROM_THE_ENVIRONMENT = ["WEBHOOK_SECRETS_KEY"];

describe("local settings", () => {
  const table = settingsTable(SETTINGS_DOC.text, SETTINGS_DOC.heading);
  const passed = forwarded(startScript);

  it("the table parses", () => {
    expect(table.length).toBeGreaterThan(5);
    expect(table).toContain("WEBHOOK_AUTO_DISABLE_SECONDS");
  });

  it("start.sh forwards every setting of the table it does not use itself, and nothing else", () => {
    expect([...passed].sort()).toEqual(table.filter((n) => !USED_BY_THE_SCRIPT.includes(n)).sort());
    for (const name of USED_BY_THE_SCRIPT) expect(startScript).toContain(`\${${name}:-`);
  });

  it("start.sh forwards every setting src/kernel/env.ts reads", () => {
    const read = [...envSource.matchAll(/vars\.([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]);
    expect(read.length).toBeGreaterThan(5);
    for (const name of read) if (!NOT_FROM_THE_ENVIRONMENT.includes(name)) expect(passed, name).toContain(name);
  });
});
