// A webhook's delivery history: filtered by status and event, newest first, each delivery with the
// change it carries (delivery-origins.ts) and a link to its own page.
import type { FC } from "hono/jsx";
import { DELIVERY_STATUSES } from "../../webhooks/schemas";
import { EVENT_LABELS, eventLabel } from "../shell/format";
import { EmptyState, Pager, Time } from "../shell/layout";
import type { Delivery, Page } from "../shell/resources";
import type { Origin } from "./delivery-origins";
import { DeliveryStatePill, deliveryState } from "./delivery-state";
import { STATUS_WORDS } from "./delivery-views";

interface HistoryProps {
  base: string;
  filter: HistoryFilter;
  page: Page<Delivery>;
  cursor?: string;
  origins: Map<string, Origin>;
}

/** The history section; the inline Test button reloads it (by its id) so the test shows up at once. */
export const DeliveryHistory: FC<HistoryProps> = ({ base, filter, page, cursor, origins }) => {
  const filtered = Boolean(filter.status || filter.event);
  const newest = cursor ? `${base}?${new URLSearchParams({ ...filter }).toString()}` : undefined;
  const older = page.next_cursor ? `${base}?${new URLSearchParams({ ...filter, cursor: page.next_cursor }).toString()}` : undefined;
  return (
    <section id="history" aria-labelledby="history-title" data-refresh>
      <div class="section-head">
        <h2 id="history-title">Delivery history</h2>
        <FilterForm action={base} filter={filter} />
      </div>
      {page.data.length ? (
        <DeliveryTable deliveries={page.data} pageOf={(id) => `${base}/deliveries/${id}`} origins={origins} />
      ) : (
        <EmptyState title={filtered ? "No deliveries match these filters" : cursor ? "No older deliveries" : "No deliveries yet"}>
          {filtered ? (
            <p>
              <a href={base}>Show every delivery</a>
            </p>
          ) : (
            <p>Press Test to send a signed sample request, or change a flag this webhook listens to. Each call appears here, newest first.</p>
          )}
        </EmptyState>
      )}
      <Pager what="deliveries" newest={newest} older={older} />
    </section>
  );
};

export interface HistoryFilter {
  status: string;
  event: string;
}

const FilterForm: FC<{ action: string; filter: HistoryFilter }> = ({ action, filter }) => (
  <form method="get" action={action} class="inline" aria-label="Filter deliveries">
    <label for="filter-status" class="small">
      Status
    </label>
    <select id="filter-status" name="status">
      <option value="">Any status</option>
      {DELIVERY_STATUSES.map((s) => (
        <option value={s} selected={filter.status === s}>
          {STATUS_WORDS[s]}
        </option>
      ))}
    </select>
    <label for="filter-event" class="small">
      Event
    </label>
    <select id="filter-event" name="event">
      <option value="">Any event</option>
      {Object.keys(EVENT_LABELS).map((e) => (
        <option value={e} selected={filter.event === e}>
          {eventLabel(e)}
        </option>
      ))}
    </select>
    <button type="submit">Filter</button>
    {filter.status || filter.event ? <a href={action}>Clear filters</a> : null}
  </form>
);

/** The change a delivery carries, in a cell: the flag, where, and the revision. */
const OriginCell: FC<{ delivery: Delivery; origin?: Origin }> = ({ delivery, origin }) => {
  if (delivery.event_id === null) return <span class="muted">{delivery.event === "webhook.disabled" ? "Notice of a disabled webhook" : "Test request"}</span>;
  if (!origin)
    return (
      <span class="muted" title="Not among the latest changes of the projects searched">
        —
      </span>
    );
  return (
    <>
      <span class="truncate origin-flag" title={`${origin.flag.name} (${origin.flag.key})`}>
        {origin.flag.name}
      </span>
      <div class="small muted">
        {origin.environment ? origin.environment.name : "every environment"} · rev {origin.revision}
      </div>
    </>
  );
};

interface TableProps {
  deliveries: Delivery[];
  /** The page of one delivery. */
  pageOf: (id: string) => string;
  origins: Map<string, Origin>;
}

const DeliveryTable: FC<TableProps> = ({ deliveries, pageOf, origins }) => (
  <div class="table-wrap">
    <table>
      <caption class="skip">Deliveries, newest first</caption>
      <thead>
        <tr>
          <th scope="col">Status</th>
          <th scope="col">Event</th>
          <th scope="col">Change</th>
          <th scope="col">Created</th>
          <th scope="col">Response</th>
          <th scope="col" class="hide-narrow">
            Attempts
          </th>
          <th scope="col" class="hide-narrow">
            Next retry
          </th>
        </tr>
      </thead>
      <tbody>
        {deliveries.map((d) => (
          <DeliveryRow delivery={d} page={pageOf(d.id)} origin={d.event_id ? origins.get(d.event_id) : undefined} />
        ))}
      </tbody>
    </table>
  </div>
);

const DeliveryRow: FC<{ delivery: Delivery; page: string; origin?: Origin }> = ({ delivery: d, page, origin }) => (
  <tr>
    <td>
      <DeliveryStatePill delivery={d} />
    </td>
    <td>
      <a href={page} aria-label={`${eventLabel(d.event)} delivery, ${deliveryState(d).label.toLowerCase()}, view details`}>
        {eventLabel(d.event)}
      </a>
      <div class="small muted">
        <code>{d.event}</code>
      </div>
    </td>
    <td class="origin">
      <OriginCell delivery={d} origin={origin} />
    </td>
    <td class="small">
      <Time iso={d.created_at} />
    </td>
    <td class="num">{d.last_status_code ?? (d.attempt_count ? "no answer" : "—")}</td>
    <td class="num hide-narrow">{d.attempt_count}</td>
    <td class="small hide-narrow">{deliveryState(d).name === "held" ? "held" : <Time iso={d.next_attempt_at} />}</td>
  </tr>
);
