// The deliveries one change caused, linked from each change-log entry. The API lists a webhook's
// deliveries by status and event name, not by event id: this page asks each webhook of the project
// and of the organization for its deliveries of that event name and keeps the ones of this event
// (among each webhook's latest 200).
import type { FC } from "hono/jsx";
import { idParam, isId, type DashboardContext } from "../shell/context";
import { eventLabel } from "../shell/format";
import { EmptyState, PageHead, renderPage, Time } from "../shell/layout";
import { projectCrumbs } from "../shell/project-head";
import type { ChangeLogEntry, Delivery, Page, Project, Webhook } from "../shell/resources";
// From another area, flags/: the change itself, read from the change log and named in its words.
import { describeChanges } from "../flags/change-words";
import { filteredChanges } from "../flags/recent-changes";
import { DeliveryStatePill } from "./delivery-state";
import { ORG_SCOPE, webhookPage, webhooksApi } from "./webhook-scope";

const PER_WEBHOOK = 200;

type Caused = { scope: string; webhook: Webhook; delivery: Delivery };

/** Each webhook subscribed to the entry's event, asked for its latest deliveries of it, keeping this entry's. */
async function deliveriesOf(c: DashboardContext, projectId: string, entry: ChangeLogEntry): Promise<Caused[]> {
  const api = c.get("api");
  const [projectHooks, orgHooks] = await Promise.all([
    api.get<Page<Webhook>>(`/projects/${projectId}/webhooks`, { limit: 200 }),
    api.get<Page<Webhook>>(`/webhooks`, { limit: 200 }),
  ]);
  const hooks = [...projectHooks.data.map((w) => ({ scope: projectId, webhook: w })), ...orgHooks.data.map((w) => ({ scope: ORG_SCOPE, webhook: w }))];
  const found = await Promise.all(
    hooks
      .filter(({ webhook }) => webhook.events.includes(entry.event))
      .map(async ({ scope, webhook }) => {
        const path = `${webhooksApi(scope)}/${webhook.id}/deliveries`;
        const page = await api.get<Page<Delivery>>(path, { event: entry.event, limit: PER_WEBHOOK });
        return page.data.filter((d) => d.event_id === entry.id).map((delivery) => ({ scope, webhook, delivery }));
      }),
  );
  return found.flat();
}

export async function causedDeliveriesPage(c: DashboardContext) {
  const projectId = idParam(c, "projectId");
  const eventId = c.req.param("eventId") ?? "";
  if (!isId(eventId)) return c.notFound();
  const api = c.get("api");
  const [project, recent] = await Promise.all([api.get<Project>(`/projects/${projectId}`), filteredChanges(api, projectId, {}, 1000, undefined, 1000)]);
  const entry = recent.entries.find((e) => e.id === eventId);
  const rows = entry ? await deliveriesOf(c, projectId, entry) : [];
  const crumbs = [...projectCrumbs(), { href: `/dashboard/projects/${projectId}/changes`, label: `${project.name} · Change log` }];
  const body = (
    <>
      <PageHead title="Deliveries of a change" crumbs={crumbs} />
      {entry ? (
        <ChangeSummary entry={entry} />
      ) : (
        <p class="muted">
          This change is not among the project's 1,000 most recent, so its deliveries are not looked up here; find them on each webhook's page, filtered by
          event.
        </p>
      )}
      <p class="small muted">
        Each webhook's latest {PER_WEBHOOK} deliveries of this event type are searched for this change (event id <code>{eventId}</code>).
      </p>
      {rows.length ? (
        <CausedTable rows={rows} />
      ) : (
        <EmptyState title="No delivery found">
          <p>No webhook of this project or organization was subscribed to this event, or its deliveries are older than the latest {PER_WEBHOOK}.</p>
        </EmptyState>
      )}
    </>
  );
  return renderPage(c, "Deliveries of a change", body, { section: "projects" });
}

/** The change, in the change log's words. */
const ChangeSummary: FC<{ entry: ChangeLogEntry }> = ({ entry }) => (
  <p>
    {eventLabel(entry.event)} of <strong>{entry.flag.name}</strong> {entry.environment ? `in ${entry.environment.name}` : ""} by {entry.triggered_by.email},{" "}
    <Time iso={entry.timestamp} />: {describeChanges(entry).join("; ")}.
  </p>
);

const CausedTable: FC<{ rows: Caused[] }> = ({ rows }) => (
  <section class="table-wrap" tabindex={0} aria-label="Deliveries of this change">
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
              <DeliveryStatePill delivery={delivery} />
            </td>
            <td class="num">{delivery.attempt_count}</td>
            <td>
              <Time iso={delivery.created_at} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  </section>
);
