// Choosing a change's webhooks must cost the same in an organization of 1,000 projects as in one of
// a single project: the project's webhooks and the organization's are found by index, never by
// reading every webhook of the organization (each project may have 100).
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { webhooksOfProject } from "../src/outbound/matching";

describe("the webhooks of a change", () => {
  it("are looked up by organization and project (or none), not scanned across the organization", async () => {
    const plan = await env.DB.prepare(`EXPLAIN QUERY PLAN SELECT w.id FROM webhooks w WHERE ${webhooksOfProject("?1", "?2")} AND w.enabled = 1 ORDER BY w.seq`)
      .bind("org", "project")
      .all<{ detail: string }>();
    const searches = plan.results.map((r) => r.detail).filter((d) => /webhooks/.test(d) && /SEARCH|SCAN/.test(d));
    expect(searches.length).toBeGreaterThan(0);
    // Every read of the table is either by row id or by both columns of (org_id, project_id).
    for (const d of searches) expect(d).toMatch(/INTEGER PRIMARY KEY|org_id=\? AND project_id=\?/);
  });
});
