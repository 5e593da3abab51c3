// A project's change log: who changed what, when, and what the flag served before and after, as a
// line diff of the code-like text.
import { Hono } from "hono";
import type { FC } from "hono/jsx";
import { idParam, type DashboardEnv } from "./context";
import { ProjectTabs } from "./flag-views";
import { describeChange, eventLabel } from "./format";
import { EmptyState, PageHead, Pill, renderPage, Time, type Tone } from "./layout";
import { diffLines } from "./line-diff";
import type { ChangeLogEntry, Page, Project } from "./resources";

const PAGE_SIZE = 25;

const EVENT_TONES: Record<string, Tone> = { "flag.created": "ok", "flag.deleted": "bad", "flag.toggled": "warn" };

export function changeLogRoutes() {
  const app = new Hono<DashboardEnv>();
  app.get("/projects/:projectId/changes", async (c) => {
    const projectId = idParam(c, "projectId");
    const cursor = c.req.query("cursor");
    const [project, entries] = await Promise.all([
      c.get("api").get<Project>(`/projects/${projectId}`),
      c.get("api").get<Page<ChangeLogEntry>>(`/projects/${projectId}/events`, { limit: PAGE_SIZE, cursor }),
    ]);
    const base = `/dashboard/projects/${projectId}/changes`;
    const body = (
      <>
        <PageHead title={project.name} crumbs={[{ href: "/dashboard", label: "Projects" }]} />
        <ProjectTabs project={project} current="changes" />
        {entries.data.length === 0 ? (
          <EmptyState title={cursor ? "No older changes" : "No changes yet"}>
            <p>Every change to a flag of this project appears here, newest first, with what it served before and after.</p>
          </EmptyState>
        ) : (
          entries.data.map((entry) => <ChangeEntry entry={entry} />)
        )}
        <p class="pager">
          {cursor ? <a href={base}>← Newest changes</a> : <span />}
          {entries.next_cursor ? (
            <a class="button" href={`${base}?cursor=${encodeURIComponent(entries.next_cursor)}`}>
              Older changes →
            </a>
          ) : null}
        </p>
      </>
    );
    return renderPage(c, `${project.name} · Change log`, body, { section: "projects" });
  });
  return app;
}

const ChangeEntry: FC<{ entry: ChangeLogEntry }> = ({ entry }) => (
  <article class="card entry">
    <div class="meta">
      <Pill tone={EVENT_TONES[entry.event] ?? "off"}>{eventLabel(entry.event)}</Pill>
      <span>
        <strong>{entry.flag.name}</strong> <code>{entry.flag.key}</code>
      </span>
      <span class="muted">{entry.environment ? `in ${entry.environment.name}` : "all environments"}</span>
      <span class="muted">
        by <strong>{entry.triggered_by.email}</strong> · <Time iso={entry.timestamp} />
      </span>
    </div>
    <ul class="small">
      {entry.changes.map((change) => (
        <li>{describeChange(change)}</li>
      ))}
    </ul>
    <CodeLikeDiff before={entry.code_like_before} after={entry.code_like_after} />
  </article>
);

/** Before and after as one unified diff: `-` lines only before, `+` lines only after. */
const CodeLikeDiff: FC<{ before: string; after: string }> = ({ before, after }) => {
  if (before === after) {
    return (
      <>
        <p class="small muted">What it serves did not change:</p>
        <pre>{after}</pre>
      </>
    );
  }
  const lines = diffLines(before, after);
  return (
    <>
      <p class="small muted">
        What it serves, before → after (<span class="removed-key">− before</span>, <span class="added-key">+ after</span>):
      </p>
      <pre class="diff">
        {lines.map((line) => (
          <span class={line.kind}>{`${line.kind === "added" ? "+" : line.kind === "removed" ? "−" : " "} ${line.text}`}</span>
        ))}
      </pre>
    </>
  );
};
