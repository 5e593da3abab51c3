// How a webhook shows: a card in the list, the facts on its own page, and the Test button.
import type { FC } from "hono/jsx";
import { eventLabel } from "../shell/format";
import { CsrfField, EmptyState, Time } from "../shell/layout";
import type { Project, Webhook } from "../shell/resources";
import { formatLabel } from "./webhook-choices";
import { disabledWhy, HealthPill, HealthStory } from "./webhook-health";
import { ORG_SCOPE, webhookPage } from "./webhook-scope";

/** The webhook's health where it is listed; a disabled one says why on hover. */
export const StatusPill: FC<{ webhook: Webhook }> = ({ webhook }) => (
  <span id={`health-${webhook.id}`} data-refresh title={webhook.health.state === "disabled" ? `Disabled: ${disabledWhy(webhook.health)}` : undefined}>
    <HealthPill health={webhook.health} />
  </span>
);

/** Sends the signed test request. With JavaScript the outcome appears in the <output>; without, the
 *  server redirects back to `back` with the outcome in the query. */
export const TestButton: FC<{ scope: string; webhook: Webhook; csrf: string; back: string }> = ({ scope, webhook, csrf, back }) => (
  <form method="post" action={`${webhookPage(scope, webhook.id)}/test`} class="inline" data-inline-test>
    <CsrfField token={csrf} />
    <input type="hidden" name="back" value={back} />
    <button type="submit" aria-label={`Send a test request to ${webhook.name}`}>
      Test
    </button>
    <output class="result" aria-live="polite"></output>
  </form>
);

/** A webhook's own page's buttons: Test, Edit, Enable or Disable, Delete (which asks first). */
export const WebhookActions: FC<{ scope: string; webhook: Webhook; csrf: string; back: string }> = ({ scope, webhook, csrf, back }) => {
  const base = webhookPage(scope, webhook.id);
  return (
    <>
      <TestButton scope={scope} webhook={webhook} csrf={csrf} back={back} />
      <a class="button" href={`${base}/edit`}>
        Edit
      </a>
      <form method="post" action={`${base}/enabled`} class="inline">
        <CsrfField token={csrf} />
        <input type="hidden" name="enabled" value={webhook.enabled ? "false" : "true"} />
        <button type="submit">{webhook.enabled ? "Disable" : "Enable"}</button>
      </form>
      <form method="post" action={`${base}/delete`} class="inline" data-confirm={`Delete the webhook "${webhook.name}" and its delivery history?`}>
        <CsrfField token={csrf} />
        <button type="submit" class="danger">
          Delete
        </button>
      </form>
    </>
  );
};

export const WebhookCard: FC<{ scope: string; webhook: Webhook; csrf: string }> = ({ scope, webhook, csrf }) => (
  <article class="card tight" id={`webhook-${webhook.id}`}>
    <div class="head">
      <div>
        <h3>
          <a href={webhookPage(scope, webhook.id)}>{webhook.name}</a> <StatusPill webhook={webhook} />
        </h3>
        <p class="small">
          <code>{webhook.url}</code>
        </p>
        {webhook.health.state === "disabled" ? <p class="small">Disabled because {disabledWhy(webhook.health)}.</p> : null}
        <p class="small muted">
          {webhook.events.map(eventLabel).join(", ")} · {formatLabel(webhook.format)} format ·{" "}
          {webhook.environments?.length ? `environments: ${webhook.environments.join(", ")}` : "every environment"} ·{" "}
          {webhook.has_secret ? "signed" : "unsigned"}
        </p>
      </div>
      <div class="actions">
        <TestButton scope={scope} webhook={webhook} csrf={csrf} back="/dashboard/settings/webhooks" />
        <a class="button" href={webhookPage(scope, webhook.id)}>
          Deliveries
        </a>
        <a class="button" href={`${webhookPage(scope, webhook.id)}/edit`}>
          Edit
        </a>
      </div>
    </div>
  </article>
);

export const ScopeSection: FC<{ id: string; title: string; intro: string; scope: string; webhooks: Webhook[]; csrf: string }> = (p) => (
  <section id={p.id} aria-labelledby={`${p.id}-title`}>
    <div class="section-head">
      <h2 id={`${p.id}-title`}>{p.title}</h2>
      <a class="button" href={`/dashboard/settings/webhooks/new?scope=${p.scope}`}>
        Add a webhook here
      </a>
    </div>
    <p class="muted small">{p.intro}</p>
    {p.webhooks.length === 0 ? (
      <p class="muted">No webhooks here yet.</p>
    ) : (
      p.webhooks.map((webhook) => <WebhookCard scope={p.scope} webhook={webhook} csrf={p.csrf} />)
    )}
  </section>
);

export const NoWebhooks: FC = () => (
  <EmptyState title="No webhooks yet">
    <p>A webhook is a URL that Flagpost calls with a signed POST whenever a flag changes: to post in chat, bust a cache, or audit.</p>
    <p>
      <a class="button primary" href="/dashboard/settings/webhooks/new">
        Create a webhook
      </a>
    </p>
  </EmptyState>
);

export const WebhookFacts: FC<{ scope: string; webhook: Webhook; project?: Project }> = ({ scope, webhook, project }) => (
  <dl class="facts">
    <dt>Health</dt>
    <dd>
      <HealthPill health={webhook.health} /> <HealthStory health={webhook.health} />
      <div class="small muted">
        Last success: <Time iso={webhook.health.last_success_at} /> · Last failure: <Time iso={webhook.health.last_failure_at} />
      </div>
    </dd>
    <dt>URL</dt>
    <dd>
      <code>{webhook.url}</code>
    </dd>
    <dt>Changes from</dt>
    <dd>{scope === ORG_SCOPE ? "Every project of the organization" : `Project ${project?.name ?? scope}`}</dd>
    <dt>Events</dt>
    <dd>{webhook.events.map(eventLabel).join(", ")}</dd>
    <dt>Environments</dt>
    <dd>{webhook.environments?.length ? webhook.environments.join(", ") : "Every environment"}</dd>
    <dt>Format</dt>
    <dd>{formatLabel(webhook.format)}</dd>
    <dt>Secret</dt>
    <dd>{webhook.has_secret ? "Set: requests are signed (never shown; rotate it below)" : "Not set: requests are unsigned"}</dd>
    <dt>ed25519 key</dt>
    <dd>{webhook.ed25519_public_key ? <code class="break">{webhook.ed25519_public_key}</code> : "None"}</dd>
    <dt>Custom headers</dt>
    <dd>
      {Object.keys(webhook.headers).length
        ? Object.entries(webhook.headers).map(([name, value]) => (
            <div>
              <code>
                {name}: {value}
              </code>
            </div>
          ))
        : "None"}
    </dd>
    <dt>Created</dt>
    <dd>
      <Time iso={webhook.created_at} />
    </dd>
  </dl>
);
