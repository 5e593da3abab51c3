// Delivery history and the inspection of one delivery: every attempt's request and response.
import type { FC } from "hono/jsx";
import { DELIVERY_STATUSES } from "../../webhooks/schemas";
import { EVENT_LABELS, eventLabel, isJson, prettyBody, statusLine } from "../shell/format";
import { EmptyState, Pager, Pill, Time, type Tone } from "../shell/layout";
import type { Attempt, Delivery, DeliveryDetail, Page } from "../shell/resources";
import type { Origin } from "./delivery-origins";

const STATUS_TONES: Record<string, Tone> = { succeeded: "ok", failed: "bad", pending: "warn" };
const STATUS_WORDS: Record<string, string> = { succeeded: "Succeeded", failed: "Failed", pending: "Pending" };

// Headers that carry the signature (or identify what was signed), marked so they are easy to find.
const SIGNATURE_HEADERS = new Set(["x-rollgate-signature", "webhook-signature", "webhook-id", "webhook-timestamp"]);

/** A delivery's attempts, the latest first. */
export function newestFirst(attempts: Attempt[]): Attempt[] {
  return [...attempts].sort((a, b) => b.number - a.number);
}

export const StatusPill: FC<{ status: string }> = ({ status }) => <Pill tone={STATUS_TONES[status] ?? "off"}>{STATUS_WORDS[status] ?? status}</Pill>;

export interface HistoryFilter {
  status: string;
  event: string;
}

export const FilterForm: FC<{ action: string; filter: HistoryFilter }> = ({ action, filter }) => (
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
export const OriginCell: FC<{ delivery: Delivery; origin?: Origin }> = ({ delivery, origin }) => {
  if (delivery.event_id === null) return <span class="muted">{delivery.event === "webhook.disabled" ? "Notice of a disabled webhook" : "Test request"}</span>;
  if (!origin) return <span class="muted" title="Not among the latest changes of the projects searched">—</span>;
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

export const DeliveryTable: FC<{ deliveries: Delivery[]; pageOf: (id: string) => string; origins: Map<string, Origin> }> = ({ deliveries, pageOf, origins }) => (
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
          <tr>
            <td>
              <StatusPill status={d.status} />
            </td>
            <td>
              <a href={pageOf(d.id)} aria-label={`${eventLabel(d.event)} delivery, ${d.status}, view details`}>
                {eventLabel(d.event)}
              </a>
              <div class="small muted">
                <code>{d.event}</code>
              </div>
            </td>
            <td class="origin">
              <OriginCell delivery={d} origin={d.event_id ? origins.get(d.event_id) : undefined} />
            </td>
            <td class="small">
              <Time iso={d.created_at} />
            </td>
            <td class="num">{d.last_status_code ?? (d.attempt_count ? "no answer" : "—")}</td>
            <td class="num hide-narrow">{d.attempt_count}</td>
            <td class="small hide-narrow">
              <Time iso={d.next_attempt_at} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  </div>
);

export const HeadersTable: FC<{ headers: Record<string, string>; label: string }> = ({ headers, label }) => {
  const entries = Object.entries(headers);
  if (entries.length === 0) return <p class="small muted">No headers.</p>;
  return (
    <div class="table-wrap">
      <table class="headers" aria-label={label}>
        <tbody>
          {entries.map(([name, value]) => (
            <tr class={SIGNATURE_HEADERS.has(name.toLowerCase()) ? "signed" : undefined}>
              <td>
                {name}
                {name.toLowerCase().endsWith("signature") ? <span class="tag">signature</span> : null}
              </td>
              <td>{value}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
};

const Body: FC<{ text: string; label: string }> = ({ text, label }) =>
  text ? (
    <>
      <p class="small muted">
        {label}
        {isJson(text) ? " (JSON, pretty-printed)" : ""}
      </p>
      <pre>{prettyBody(text)}</pre>
    </>
  ) : (
    <p class="small muted">{label}: empty</p>
  );

export const AttemptCard: FC<{ attempt: Attempt }> = ({ attempt }) => {
  const ok = attempt.response !== null && attempt.response.status_code >= 200 && attempt.response.status_code < 300;
  return (
    <section class="card attempt" aria-labelledby={`attempt-${attempt.number}`}>
      <h3 id={`attempt-${attempt.number}`}>
        Attempt {attempt.number} <Pill tone={ok ? "ok" : "bad"}>{ok ? "Succeeded" : "Failed"}</Pill>
        <span class="small muted">
          {statusLine(attempt.response?.status_code ?? null)} · {attempt.duration_ms} ms · <Time iso={attempt.started_at} />
        </span>
      </h3>
      {attempt.error ? <p class="notice error">{attempt.error}</p> : null}
      <div class="grid2">
        <div>
          <h4>Request</h4>
          <p class="small">
            <code>POST {attempt.request.url}</code>
          </p>
          <HeadersTable headers={attempt.request.headers} label={`Request headers of attempt ${attempt.number}`} />
          <Body text={attempt.request.body} label="Request body" />
        </div>
        <div>
          <h4>Response</h4>
          {attempt.response ? (
            <>
              <p class="small">
                <strong>{statusLine(attempt.response.status_code)}</strong> in {attempt.duration_ms} ms
              </p>
              <HeadersTable headers={attempt.response.headers} label={`Response headers of attempt ${attempt.number}`} />
              <Body text={attempt.response.body} label="Response body" />
            </>
          ) : (
            <p class="muted">No response: {attempt.error ?? "the receiver did not answer"}.</p>
          )}
        </div>
      </div>
    </section>
  );
};

/** The history section; the inline Test button reloads it (by its id) so the test shows up at once. */
export const DeliveryHistory: FC<{ base: string; filter: HistoryFilter; page: Page<Delivery>; cursor?: string; origins: Map<string, Origin> }> = ({ base, filter, page, cursor, origins }) => {
  const filtered = Boolean(filter.status || filter.event);
  const newest = cursor ? `${base}?${new URLSearchParams({ ...filter }).toString()}` : undefined;
  const older = page.next_cursor ? `${base}?${new URLSearchParams({ ...filter, cursor: page.next_cursor }).toString()}` : undefined;
  return (
    <section id="history" aria-labelledby="history-title">
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

export const DeliveryFacts: FC<{ delivery: DeliveryDetail; origin?: Origin }> = ({ delivery, origin }) => (
  <dl class="facts">
    <dt>Status</dt>
    <dd>
      <StatusPill status={delivery.status} />
    </dd>
    <dt>Event</dt>
    <dd>
      <code>{delivery.event}</code>
    </dd>
    {origin ? (
      <>
        <dt>Change</dt>
        <dd>
          <a href={`/dashboard/projects/${origin.projectId}/flags/${origin.flag.key}`}>{origin.flag.name}</a> <code>{origin.flag.key}</code> ·{" "}
          {origin.environment ? origin.environment.name : "every environment"} · revision {origin.revision} ·{" "}
          <a href={`/dashboard/projects/${origin.projectId}/changes/${delivery.event_id}/deliveries`}>every delivery of this change</a>
        </dd>
      </>
    ) : null}
    <dt>Delivery id</dt>
    <dd>
      <code>{delivery.id}</code> <span class="small muted">(X-Rollgate-Delivery and webhook-id, the same on every attempt)</span>
    </dd>
    <dt>Created</dt>
    <dd>
      <Time iso={delivery.created_at} />
    </dd>
    <dt>Attempts</dt>
    <dd>
      {delivery.attempt_count} · last response {statusLine(delivery.last_status_code)}
    </dd>
    <dt>{delivery.attempt_count === 0 ? "First attempt" : "Next retry"}</dt>
    <dd>{delivery.next_attempt_at ? <Time iso={delivery.next_attempt_at} /> : delivery.status === "pending" ? "Being sent now" : "None: this delivery is finished"}</dd>
    <dt>Completed</dt>
    <dd>
      <Time iso={delivery.completed_at} />
    </dd>
    {delivery.error ? (
      <>
        <dt>Why it ended</dt>
        <dd>{delivery.error}</dd>
      </>
    ) : null}
  </dl>
);
