// One delivery inspected: its facts (status, the change it carries, its schedule) and every attempt's
// request and response, signature headers marked. The history that lists deliveries is delivery-history.tsx.
import type { FC } from "hono/jsx";
import { isJson, prettyBody, statusLine } from "../shell/format";
import { Pill, Time, type Tone } from "../shell/layout";
import type { Attempt, DeliveryDetail, WebhookHealth } from "../shell/resources";
import { DeliveryStatePill, NextStep } from "./delivery-state";
import type { Origin } from "./delivery-origins";

const STATUS_TONES: Record<string, Tone> = { succeeded: "ok", failed: "bad", pending: "warn" };
export const STATUS_WORDS: Record<string, string> = { succeeded: "Succeeded", failed: "Failed", pending: "Pending" };

// Headers that carry the signature (or identify what was signed), marked so they are easy to find.
const SIGNATURE_HEADERS = new Set(["x-rollgate-signature", "webhook-signature", "webhook-id", "webhook-timestamp"]);

/** A delivery's attempts, the latest first. */
export function newestFirst(attempts: Attempt[]): Attempt[] {
  return [...attempts].sort((a, b) => b.number - a.number);
}

export const StatusPill: FC<{ status: string }> = ({ status }) => <Pill tone={STATUS_TONES[status] ?? "off"}>{STATUS_WORDS[status] ?? status}</Pill>;

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

export const DeliveryFacts: FC<{ delivery: DeliveryDetail; origin?: Origin; health?: WebhookHealth }> = ({ delivery, origin, health }) => (
  <dl class="facts">
    <dt>Status</dt>
    <dd>
      <DeliveryStatePill delivery={delivery} />
    </dd>
    <dt>Event</dt>
    <dd>
      <code>{delivery.event}</code>
    </dd>
    {origin ? <ChangeFacts origin={origin} eventId={delivery.event_id} /> : null}
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
    <dt>Next</dt>
    <dd>
      <NextStep delivery={delivery} health={health} />
    </dd>
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

/** The change a delivery carries: its flag, where, the revision, and every delivery it caused. */
const ChangeFacts: FC<{ origin: Origin; eventId: string | null }> = ({ origin, eventId }) => (
  <>
    <dt>Change</dt>
    <dd>
      <a href={`/dashboard/projects/${origin.projectId}/flags/${origin.flag.key}`}>{origin.flag.name}</a> <code>{origin.flag.key}</code> ·{" "}
      {origin.environment ? origin.environment.name : "every environment"} · revision {origin.revision} ·{" "}
      <a href={`/dashboard/projects/${origin.projectId}/changes/${eventId}/deliveries`}>every delivery of this change</a>
    </dd>
  </>
);
