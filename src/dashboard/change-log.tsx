// A project's change log: who changed what, when, in the product's words ("rollout 25% → 50%"),
// what the flag served before and after as a line diff of the code-like text, filters by flag,
// environment and person, and from each change the deliveries it caused.
import { Hono } from "hono";
import type { FC } from "hono/jsx";
import { describeChanges } from "./change-words";
import { idParam, isId, type DashboardContext, type DashboardEnv } from "./context";
import { ProjectTabs } from "./flag-views";
import { eventLabel } from "./format";
import { EmptyState, PageHead, Pill, renderPage, Time, type Tone } from "./layout";
import { diffLines } from "./line-diff";
import { filteredChanges, type ChangeFilter } from "./recent-changes";
import type { ChangeLogEntry, Delivery, Flag, Page, Project, Webhook } from "./resources";
import { StatusPill } from "./delivery-views";
import { ORG_SCOPE, webhookPage } from "./webhook-scope";
import { KEY_PATTERN } from "../schemas";

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
  app.get("/projects/:projectId/changes", async (c) => {
    const projectId = idParam(c, "projectId");
    const cursor = c.req.query("cursor");
    const filter = filterOf(c);
    const [project, flags, entries] = await Promise.all([
      c.get("api").get<Project>(`/projects/${projectId}`),
      c.get("api").get<Page<Flag>>(`/projects/${projectId}/flags`, { limit: 200 }),
      filteredChanges(c.get("api"), projectId, filter, PAGE_SIZE, cursor),
    ]);
    const base = `/dashboard/projects/${projectId}/changes`;
    const filtering = Boolean(filter.flag || filter.environment || filter.person);
    const query = new URLSearchParams(Object.entries(filter).filter(([, v]) => v) as [string, string][]);
    const body = (
      <>
        <PageHead title={project.name} crumbs={[{ href: "/dashboard", label: "Projects" }]} />
        <ProjectTabs project={project} current="changes" />
        <ChangeFilters base={base} filter={filter} project={project} flags={flags.data} />
        {entries.entries.length === 0 ? (
          <EmptyState title={filtering ? "No change matches these filters" : cursor ? "No older changes" : "No changes yet"}>
            <p>Every change to a flag of this project appears here, newest first, with what it served before and after.</p>
          </EmptyState>
        ) : (
          entries.entries.map((entry) => <ChangeEntry entry={entry} projectId={projectId} />)
        )}
        {filtering && entries.next_cursor ? <p class="small muted">Searched the {entries.scanned} changes before this point; older ones may match too.</p> : null}
        <p class="pager">
          {cursor ? <a href={`${base}?${query}`}>← Newest changes</a> : <span />}
          {entries.next_cursor ? (
            <a class="button" href={`${base}?${new URLSearchParams([...query, ["cursor", entries.next_cursor]])}`}>
              Older changes →
            </a>
          ) : null}
        </p>
      </>
    );
    return renderPage(c, `${project.name} · Change log`, body, { section: "projects" });
  });

  app.get("/projects/:projectId/changes/:eventId/deliveries", (c) => causedDeliveriesPage(c));
  return app;
}

const ChangeFilters: FC<{ base: string; filter: ChangeFilter; project: Project; flags: Flag[] }> = ({ base, filter, project, flags }) => (
  <form method="get" action={base} class="card tight filters" role="search" aria-label="Filter the change log">
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
);

const ChangeEntry: FC<{ entry: ChangeLogEntry; projectId: string }> = ({ entry, projectId }) => (
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

const PER_WEBHOOK = 200;

/**
 * The deliveries one change caused. The API lists a webhook's deliveries by status and event name,
 * not by event id: this page asks each webhook of the project and of the organization for its
 * deliveries of that event name and keeps the ones of this event (among each webhook's latest 200).
 */
async function causedDeliveriesPage(c: DashboardContext) {
  const projectId = idParam(c, "projectId");
  const eventId = c.req.param("eventId") ?? "";
  if (!isId(eventId)) return c.notFound();
  const api = c.get("api");
  const [project, projectHooks, orgHooks, recent] = await Promise.all([
    api.get<Project>(`/projects/${projectId}`),
    api.get<Page<Webhook>>(`/projects/${projectId}/webhooks`, { limit: 200 }),
    api.get<Page<Webhook>>(`/webhooks`, { limit: 200 }),
    filteredChanges(api, projectId, {}, 1000, undefined, 1000),
  ]);
  const entry = recent.entries.find((e) => e.id === eventId);
  const hooks = [...projectHooks.data.map((w) => ({ scope: projectId, webhook: w })), ...orgHooks.data.map((w) => ({ scope: ORG_SCOPE, webhook: w }))];
  const found = entry
    ? await Promise.all(
        hooks
          .filter(({ webhook }) => webhook.events.includes(entry.event))
          .map(async ({ scope, webhook }) => {
            const page = await api.get<Page<Delivery>>(`${scope === ORG_SCOPE ? "/webhooks" : `/projects/${projectId}/webhooks`}/${webhook.id}/deliveries`, { event: entry.event, limit: PER_WEBHOOK });
            return { scope, webhook, deliveries: page.data.filter((d) => d.event_id === eventId) };
          }),
      )
    : [];
  const rows = found.flatMap(({ scope, webhook, deliveries }) => deliveries.map((d) => ({ scope, webhook, delivery: d })));
  const body = (
    <>
      <PageHead title="Deliveries of a change" crumbs={[{ href: "/dashboard", label: "Projects" }, { href: `/dashboard/projects/${projectId}/changes`, label: `${project.name} · Change log` }]} />
      {entry ? (
        <p>
          {eventLabel(entry.event)} of <strong>{entry.flag.name}</strong> {entry.environment ? `in ${entry.environment.name}` : ""} by {entry.triggered_by.email}, <Time iso={entry.timestamp} />: {describeChanges(entry).join("; ")}.
        </p>
      ) : (
        <p class="muted">This change is not among the project's 1,000 most recent, so its deliveries are not looked up here; find them on each webhook's page, filtered by event.</p>
      )}
      <p class="small muted">Each webhook's latest {PER_WEBHOOK} deliveries of this event type are searched for this change (event id <code>{eventId}</code>).</p>
      {rows.length ? (
        <div class="table-wrap" tabindex={0} role="region" aria-label="Deliveries of this change">
          <table>
            <thead>
              <tr>
                <th scope="col">Webhook</th>
                <th scope="col">Status</th>
                <th scope="col">Attempts</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {rows.map(({ scope, webhook, delivery }) => (
                <tr>
                  <td>
                    <a href={`${webhookPage(scope, webhook.id)}/deliveries/${delivery.id}`} class="truncate" title={webhook.name}>
                      {webhook.name}
                    </a>
                    <span class="muted small"> {scope === ORG_SCOPE ? "(organization)" : ""}</span>
                  </td>
                  <td>
                    <StatusPill status={delivery.status} />
                  </td>
                  <td class="num">{delivery.attempt_count}</td>
                  <td>
                    <Time iso={delivery.created_at} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <EmptyState title="No delivery found">
          <p>No webhook of this project or organization was subscribed to this event, or its deliveries are older than the latest {PER_WEBHOOK}.</p>
        </EmptyState>
      )}
    </>
  );
  return renderPage(c, "Deliveries of a change", body, { section: "projects" });
}
