// A project's change log: who changed what, when, in the product's words ("rollout 25% → 50%"),
// what the flag served before and after as a line diff of the code-like text, filters by flag,
// environment and person, and from each change a link to the deliveries it caused (a webhooks page).
import { Hono } from "hono";
import type { FC } from "hono/jsx";
import { KEY_PATTERN } from "../../kernel/schemas";
import { idParam, type DashboardContext, type DashboardEnv } from "../shell/context";
import { eventLabel } from "../shell/format";
import { EmptyState, PageHead, Pager, Pill, renderPage, Time, type Tone } from "../shell/layout";
import { projectCrumbs, ProjectTabs } from "../shell/project-head";
import type { ChangeLogEntry, Flag, Page, Project } from "../shell/resources";
import { describeChanges } from "./change-words";
import { diffLines } from "./line-diff";
import { filteredChanges, type ChangeFilter } from "./recent-changes";
import { PropagationLine, propagationOf } from "./revision-page";

const PAGE_SIZE = 25;

const EVENT_TONES: Record<string, Tone> = { "flag.created": "ok", "flag.deleted": "bad", "flag.toggled": "warn" };

function filterOf(c: DashboardContext): ChangeFilter {
  const key = (name: string) => {
    const value = c.req.query(name) ?? "";
    return KEY_PATTERN.test(value) ? value : undefined;
  };
  const person = (c.req.query("person") ?? "").trim().slice(0, 200);
  return { flag: key("flag"), environment: key("environment"), person: person || undefined };
}

export function changeLogRoutes() {
  const app = new Hono<DashboardEnv>();
  app.get("/projects/:projectId/changes", changeLogPage);
  return app;
}

async function changeLogPage(c: DashboardContext) {
  const projectId = idParam(c, "projectId");
  const cursor = c.req.query("cursor");
  const filter = filterOf(c);
  const [project, flags, entries] = await Promise.all([
    c.get("api").get<Project>(`/projects/${projectId}`),
    c.get("api").get<Page<Flag>>(`/projects/${projectId}/flags`, { limit: 200 }),
    filteredChanges(c.get("api"), projectId, filter, PAGE_SIZE, cursor),
  ]);
  const propagation = await propagationOf(
    c.get("api"),
    projectId,
    entries.entries.map((e) => e.revision),
  );
  const base = `/dashboard/projects/${projectId}/changes`;
  const filtering = Boolean(filter.flag || filter.environment || filter.person);
  const query = new URLSearchParams(Object.entries(filter).filter(([, v]) => v) as [string, string][]);
  const body = (
    <>
      <PageHead title={project.name} crumbs={projectCrumbs()} />
      <ProjectTabs project={project} current="changes" />
      <ChangeFilters base={base} filter={filter} project={project} flags={flags.data} />
      {entries.entries.length === 0 ? (
        <EmptyState title={filtering ? "No change matches these filters" : cursor ? "No older changes" : "No changes yet"}>
          <p>Every change to a flag of this project appears here, newest first, with what it served before and after.</p>
        </EmptyState>
      ) : (
        entries.entries.map((entry) => <ChangeEntry entry={entry} projectId={projectId} propagation={propagation.get(entry.revision)} />)
      )}
      {filtering && entries.next_cursor ? <p class="small muted">Searched the {entries.scanned} changes before this point; older ones may match too.</p> : null}
      <Pager
        what="changes"
        newest={cursor ? `${base}?${query}` : undefined}
        older={entries.next_cursor ? `${base}?${new URLSearchParams([...query, ["cursor", entries.next_cursor]])}` : undefined}
      />
    </>
  );
  return renderPage(c, `${project.name} · Change log`, body, { section: "projects" });
}

const ChangeFilters: FC<{ base: string; filter: ChangeFilter; project: Project; flags: Flag[] }> = ({ base, filter, project, flags }) => (
  <search aria-label="Filter the change log">
    <form method="get" action={base} class="card tight filters">
      <div class="field">
        <label for="filter-flag">Flag</label>
        <select id="filter-flag" name="flag">
          <option value="">Every flag</option>
          {flags.map((f) => (
            <option value={f.key} selected={f.key === filter.flag}>
              {f.name.length > 60 ? `${f.name.slice(0, 59)}…` : f.name} ({f.key})
            </option>
          ))}
          {filter.flag && !flags.some((f) => f.key === filter.flag) ? (
            <option value={filter.flag} selected>
              {filter.flag}
            </option>
          ) : null}
        </select>
      </div>
      <div class="field">
        <label for="filter-environment">Environment</label>
        <select id="filter-environment" name="environment">
          <option value="">Every environment</option>
          {project.environments.map((e) => (
            <option value={e.key} selected={e.key === filter.environment}>
              {e.name}
            </option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for="filter-person">Person (email)</label>
        <input id="filter-person" type="search" name="person" value={filter.person ?? ""} placeholder="dev@example.com" />
      </div>
      <div class="controls">
        <button type="submit">Filter</button>
        {filter.flag || filter.environment || filter.person ? <a href={base}>Clear filters</a> : null}
      </div>
    </form>
  </search>
);

const ChangeEntry: FC<{ entry: ChangeLogEntry; projectId: string; propagation?: Parameters<typeof PropagationLine>[0]["summary"] }> = ({
  entry,
  projectId,
  propagation,
}) => (
  <article class="card entry" id={`change-${entry.id}`}>
    <div class="meta">
      <Pill tone={EVENT_TONES[entry.event] ?? "off"}>{eventLabel(entry.event)}</Pill>
      <span class="entry-flag">
        <a href={`/dashboard/projects/${projectId}/flags/${entry.flag.key}`} class="truncate" title={entry.flag.name}>
          <strong>{entry.flag.name}</strong>
        </a>{" "}
        <code>{entry.flag.key}</code>
      </span>
      <span class="muted">{entry.environment ? `in ${entry.environment.name}` : "all environments"}</span>
      <span class="muted">
        by <strong>{entry.triggered_by.email}</strong> · <Time iso={entry.timestamp} />
      </span>
      <a class="small" href={`/dashboard/projects/${projectId}/changes/${entry.id}/deliveries`}>
        Deliveries of this change →
      </a>
      <PropagationLine projectId={projectId} revision={entry.revision} summary={propagation} />
    </div>
    <ul class="changes">
      {describeChanges(entry).map((words) => (
        <li>{words.charAt(0).toUpperCase() + words.slice(1)}</li>
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
