// The webhook form's two choices that need explaining: the format a receiver gets, and the events,
// each with its description and the sample body of the event catalog (GET /event-types) in the chosen
// format. The stylesheet shows only the chosen format's sample (:has), so it needs no script.
import type { FC } from "hono/jsx";
import { WEBHOOK_EVENTS } from "../../webhooks/schemas";
import { FieldError } from "../shell/fields";
import { eventLabel } from "../shell/format";
import type { EventType } from "../shell/resources";

export const FORMATS = [
  { value: "rollgate", label: "Rollgate", about: "JSON with the flag, the environment and the typed changes." },
  { value: "tggl", label: "Tggl", about: "flagSlug, codeLikeBefore/After and changes, for receivers written against Tggl's docs." },
  {
    value: "slack",
    label: "Slack",
    about: "A sentence and the before/after in a code block: paste a Slack incoming-webhook URL (https://hooks.slack.com/services/…).",
  },
  {
    value: "sentry",
    label: "Sentry",
    about:
      "Sentry's feature-flag change tracking, signed in X-Sentry-Signature: use the URL Sentry shows, the same secret on both sides, " +
      "and usually one environment.",
  },
] as const;

export function formatLabel(format: string): string {
  return FORMATS.find((f) => f.value === format)?.label ?? format;
}

export const FormatChoices: FC<{ value: string; error?: string }> = ({ value, error }) => (
  <fieldset id="wh-format" aria-describedby={error ? "wh-format-error" : undefined}>
    <legend>Format</legend>
    <div class="choices stacked">
      {FORMATS.map((format) => (
        <div class="format-choice">
          <label>
            <input
              type="radio"
              name="format"
              value={format.value}
              checked={value === format.value || (format.value === "rollgate" && !FORMATS.some((f) => f.value === value))}
              aria-describedby={`wh-format-${format.value}-about`}
            />{" "}
            {format.label}
          </label>
          <span class="hint" id={`wh-format-${format.value}-about`}>
            {format.about}
          </span>
        </div>
      ))}
    </div>
    <FieldError id="wh-format" error={error} />
  </fieldset>
);

// Events a webhook may subscribe to that the catalog does not describe, with their words here.
const NOT_IN_CATALOG: Record<string, string> = {
  "webhook.disabled":
    "Flagpost disabled one of the organization's webhooks (its receiver answered 410 Gone, or it failed for five days): " +
    "the body names it, its scope and why. Organization webhooks only.",
};

/** The events a webhook may choose: the catalog's (never the test call, which is not subscribed to), then the others the API takes. */
export function subscribableEvents(catalog: EventType[]): EventType[] {
  const described = catalog.filter((type) => type.event !== "webhook.test");
  const others = WEBHOOK_EVENTS.filter((event) => !described.some((type) => type.event === event)).map((event) => ({
    event,
    description: NOT_IN_CATALOG[event] ?? "",
    environment_scoped: false,
    samples: {} as EventType["samples"],
  }));
  return [...described, ...others];
}

export const EventChoices: FC<{ catalog: EventType[]; checked: string[]; error?: string }> = ({ catalog, checked, error }) => (
  <fieldset id="wh-events" aria-describedby={error ? "wh-events-error" : undefined}>
    <legend>Events</legend>
    <p class="hint">At least one. Open "Sample body" to see what your receiver gets, in the format chosen below.</p>
    <div class="event-choices">
      {subscribableEvents(catalog).map((type) => (
        <EventChoice type={type} checked={checked.includes(type.event)} />
      ))}
    </div>
    <FieldError id="wh-events" error={error} />
  </fieldset>
);

/** One event: its box, what it means, and its sample body in each format (the stylesheet shows the chosen one). */
const EventChoice: FC<{ type: EventType; checked: boolean }> = ({ type, checked }) => (
  <div class="event-choice">
    <label>
      <input type="checkbox" name="events" value={type.event} checked={checked} /> {eventLabel(type.event)} (<code>{type.event}</code>)
    </label>
    <p class="hint">
      {type.description}
      {type.environment_scoped ? " Narrowed by the environments below." : " Not tied to an environment: always arrives."}
    </p>
    {Object.keys(type.samples).length ? (
      <details class="sample">
        <summary>Sample body</summary>
        {Object.entries(type.samples).map(([format, sample]) => (
          <div data-sample={format}>
            <p class="small muted">{formatLabel(format)} format</p>
            <figure aria-label={`Sample ${formatLabel(format)} body of ${type.event}`}>
              <pre tabindex={0}>{JSON.stringify(sample, null, 2)}</pre>
            </figure>
          </div>
        ))}
      </details>
    ) : null}
  </div>
);
