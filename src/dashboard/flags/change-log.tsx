// A project's change log: one entry per revision (change-entry.tsx: who or what changed what, when
// and why, in the product's words, and what the flag served before and after), filters by flag,
// environment and person, and from each entry its deliveries and a way back (revert-page.tsx).
import { Hono } from "hono";
import type { FC } from "hono/jsx";
import { KEY_PATTERN } from "../../kernel/schemas";
import { idParam, type DashboardContext, type DashboardEnv } from "../shell/context";
import { EmptyState, PageHead, Pager, renderPage } from "../shell/layout";
import { projectCrumbs, ProjectTabs } from "../shell/project-head";
import type { Flag, Page, Project } from "../shell/resources";
import { RevisionEntry } from "./change-entry";
import { changesPage, groupByRevision, type ChangeFilter } from "./recent-changes";
import { PropagationLine, propagationOf } from "./revision-page";

const PAGE_SIZE = 25;

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
  // The older page leaves out the events of a revision this page already showed whole.
  const skip = /^\d{1,15}$/.test(c.req.query("skip") ?? "") ? Number(c.req.query("skip")) : undefined;
  const [project, flags, entries] = await Promise.all([
    c.get("api").get<Project>(`/projects/${projectId}`),
    c.get("api").get<Page<Flag>>(`/projects/${projectId}/flags`, { limit: 200 }),
    changesPage(c.get("api"), projectId, filter, PAGE_SIZE, cursor, skip),
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
        groupByRevision(entries.entries).map((group) => (
          <RevisionEntry group={group} projectId={projectId}>
            <PropagationLine projectId={projectId} revision={group.revision} summary={propagation.get(group.revision)} />
          </RevisionEntry>
        ))
      )}
      {filtering && entries.next_cursor ? <p class="small muted">Searched the {entries.scanned} changes before this point; older ones may match too.</p> : null}
      <Pager
        what="changes"
        newest={cursor ? `${base}?${query}` : undefined}
        older={
          entries.next_cursor
            ? `${base}?${new URLSearchParams([...query, ["cursor", entries.next_cursor], ...(entries.skip ? [["skip", String(entries.skip)]] : [])])}`
            : undefined
        }
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
