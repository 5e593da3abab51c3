// Every relative link in README.md and docs/ must lead somewhere: a file that exists, and, when it
// names an anchor, a heading of that file with that slug (as GitHub makes them).
import fs from "node:fs";
import path from "node:path";
import GithubSlugger from "github-slugger";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "../..");

interface Link {
  from: string;
  line: number;
  target: string;
}

/** The lines of a Markdown text outside fenced code blocks ("" inside them). */
function prose(text: string): string[] {
  let fenced = false;
  return text.split("\n").map((line) => {
    if (/^\s*(```|~~~)/.test(line)) {
      fenced = !fenced;
      return "";
    }
    return fenced ? "" : line;
  });
}

/** The relative links (and images) of a Markdown file: `[text](target)`, outside code. */
function linksOf(file: string, text: string): Link[] {
  const links: Link[] = [];
  prose(text).forEach((line, i) => {
    for (const m of line.replace(/`[^`]*`/g, "``").matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      const target = m[1];
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // http:, https:, mailto:
      links.push({ from: file, line: i + 1, target });
    }
  });
  return links;
}

/** The anchors GitHub gives a Markdown file's headings. */
function anchorsOf(text: string): Set<string> {
  const slugger = new GithubSlugger();
  const anchors = new Set<string>();
  for (const line of prose(text)) {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (m) anchors.add(slugger.slug(m[1].replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")));
  }
  return anchors;
}

/** What is wrong with a link, or null when it resolves. */
function brokenLink(link: Link, read: (file: string) => string | null): string | null {
  const [file, anchor] = link.target.split("#", 2);
  const target = file === "" ? link.from : path.normalize(path.join(path.dirname(link.from), file));
  const text = read(target);
  if (text === null) return `${link.from}:${link.line}: ${link.target} — no such file`;
  if (anchor === undefined || anchor === "" || !target.endsWith(".md")) return null;
  return anchorsOf(text).has(anchor) ? null : `${link.from}:${link.line}: ${link.target} — no heading with that anchor in ${target}`;
}

function readRepo(file: string): string | null {
  const full = path.join(ROOT, file);
  if (!full.startsWith(ROOT) || !fs.existsSync(full)) return null;
  return fs.statSync(full).isDirectory() ? "" : fs.readFileSync(full, "utf8");
}

const pages = [
  "README.md",
  ...fs
    .readdirSync(path.join(ROOT, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`),
];

describe("the docs' links", () => {
  it.each(pages)("every relative link of %s resolves", (page) => {
    const broken = linksOf(page, readRepo(page)!)
      .map((l) => brokenLink(l, readRepo))
      .filter(Boolean);
    expect(broken).toEqual([]);
  });

  it("finds a broken file, a broken anchor, and lets a good one pass", () => {
    const files: Record<string, string> = { "docs/a.md": "# Title\n\n## The `rollgate` body (default)\n", "README.md": "" };
    const read = (f: string) => files[f] ?? null;
    const link = (target: string) => brokenLink({ from: "README.md", line: 1, target }, read);
    expect(link("docs/a.md#the-rollgate-body-default")).toBeNull();
    expect(link("docs/a.md#title")).toBeNull();
    expect(link("docs/a.md#nope")).toMatch(/no heading/);
    expect(link("docs/b.md")).toMatch(/no such file/);
    expect(linksOf("x.md", "see [a](b.md) and `[c](d.md)`\n```\n[e](f.md)\n```\n![img](p.png) [w](https://x.test)").map((l) => l.target)).toEqual([
      "b.md",
      "p.png",
    ]);
  });
});

describe("README.md", () => {
  it("stays a front door: at most 250 lines, with npm start and npm test", () => {
    const readme = readRepo("README.md")!;
    expect(readme.split("\n").length).toBeLessThanOrEqual(250);
    expect(readme).toContain("npm start");
    expect(readme).toContain("npm test");
  });
});
