// Which body formats a change has to render: those of the enabled webhooks (the project's and its
// organization's) that match its event. The deliveries themselves are chosen inside the commit batch
// (INSERT … SELECT), so the writer cannot know them before; it keeps what the last batch read of the
// webhooks instead, read in that same batch. That copy may be one batch late (a webhook created
// since): rendering then misses a format, and the delivery renders it from the rollgate body on its
// first claim (outbound/event-bodies.ts). With no copy yet, every format is rendered.
import { webhooksOfProject } from "./matching";
import type { WebhookFormat } from "./bodies";

/** What matching needs of an enabled webhook: the same rules as the deliveries' INSERT … SELECT. */
export interface WebhookRoute {
  format: WebhookFormat;
  events: ReadonlySet<string>;
  /** Null: every environment. */
  environments: ReadonlySet<string> | null;
}

/** The enabled webhooks a change of the project can be delivered to, as one statement of its batch. */
export function routesStatement(d1: D1Database, orgId: string, projectId: string): D1PreparedStatement {
  return d1.prepare(`SELECT format, events, environments FROM webhooks w WHERE ${webhooksOfProject("?1", "?2")} AND enabled = 1`).bind(orgId, projectId);
}

export function readRoutes(rows: { format: string; events: string; environments: string | null }[]): WebhookRoute[] {
  return rows.map((r) => {
    const environments = r.environments === null ? null : (JSON.parse(r.environments) as string[] | null);
    return { format: r.format as WebhookFormat, events: new Set(JSON.parse(r.events) as string[]), environments: environments && new Set(environments) };
  });
}

/** The formats an event needs, or null (unknown: render them all). */
export function formatsFor(routes: readonly WebhookRoute[] | null, event: string, envKey: string | null): ReadonlySet<WebhookFormat> | null {
  if (routes === null) return null;
  const formats = new Set<WebhookFormat>();
  for (const r of routes) {
    if (r.events.has(event) && (envKey === null || r.environments === null || r.environments.has(envKey))) formats.add(r.format);
  }
  return formats;
}
