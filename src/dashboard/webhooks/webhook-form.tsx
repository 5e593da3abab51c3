// The webhook form, for creating and editing, and how its fields become the API's body. The secret
// and custom header values are write-only: the API never returns them, so editing shows what is set
// (masked) and sends them only when the person types new ones.
import type { FC } from "hono/jsx";
import { ROLLGATE_EVENTS } from "../../flags/model";
import { listField, textField, type FormBody } from "../shell/context";
import { FieldError, TextField, type FieldErrors } from "../shell/fields";
import { CsrfField, ErrorSummary } from "../shell/layout";
import type { EventType, Webhook } from "../shell/resources";
import { EventChoices, FormatChoices } from "./webhook-choices";

export interface WebhookFormValues {
  scope: string;
  name: string;
  url: string;
  events: string[];
  environments: string[];
  format: string;
  headers: string;
  enabled: boolean;
  removeSecret: boolean;
  clearHeaders: boolean;
}

export const FIELD_IDS: Record<string, string> = {
  scope: "wh-scope",
  name: "wh-name",
  url: "wh-url",
  events: "wh-events",
  environments: "wh-envs",
  format: "wh-format",
  headers: "wh-headers",
  secret: "wh-secret",
  enabled: "wh-enabled",
};

export const NEW_WEBHOOK: Omit<WebhookFormValues, "scope"> = {
  name: "",
  url: "",
  events: [...ROLLGATE_EVENTS],
  environments: [],
  format: "rollgate",
  headers: "",
  enabled: true,
  removeSecret: false,
  clearHeaders: false,
};

export function valuesOf(webhook: Webhook, scope: string): WebhookFormValues {
  const { name, url, events, format, enabled } = webhook;
  return { scope, name, url, events, format, enabled, environments: webhook.environments ?? [], headers: "", removeSecret: false, clearHeaders: false };
}

export function readWebhookForm(form: FormBody): { values: WebhookFormValues; secret: string } {
  const values: WebhookFormValues = {
    scope: textField(form, "scope"),
    name: textField(form, "name").trim(),
    url: textField(form, "url").trim(),
    events: listField(form, "events"),
    environments: listField(form, "environments"),
    format: textField(form, "format") || "rollgate",
    headers: textField(form, "headers"),
    enabled: textField(form, "enabled") === "on",
    removeSecret: textField(form, "remove_secret") === "on",
    clearHeaders: textField(form, "clear_headers") === "on",
  };
  return { values, secret: textField(form, "secret") };
}

/** `Name: value` per line; blank lines are skipped. Returns the problems by line, if any. */
export function parseHeaderLines(text: string): { headers: Record<string, string>; problems: string[] } {
  const headers: Record<string, string> = {};
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim()) return;
    const colon = line.indexOf(":");
    if (colon <= 0) problems.push(`Line ${i + 1} is not "Name: value".`);
    else headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  });
  return { headers, problems };
}

/** The body of POST …/webhooks, or of PATCH when `existing` is given. */
export function webhookBody(values: WebhookFormValues, secret: string, headers: Record<string, string>, existing?: Webhook): Record<string, unknown> {
  const body: Record<string, unknown> = {
    name: values.name,
    url: values.url,
    events: values.events,
    environments: values.environments.length ? values.environments : null,
    format: values.format,
    enabled: values.enabled,
  };
  if (!existing) return { ...body, headers, ...(secret ? { secret } : {}) };
  if (values.clearHeaders) body.headers = {};
  else if (Object.keys(headers).length) body.headers = headers;
  if (secret) body.secret = secret;
  else if (values.removeSecret) body.secret = null;
  return body;
}

export interface ScopeChoice {
  value: string;
  label: string;
}

interface WebhookFormProps {
  action: string;
  csrf: string;
  values: WebhookFormValues;
  errors: FieldErrors;
  message?: string;
  scopes?: ScopeChoice[];
  environmentKeys: string[];
  /** The event catalog: each event's description and sample bodies. */
  catalog: EventType[];
  existing?: Webhook;
  submitLabel: string;
}

export const WebhookForm: FC<WebhookFormProps> = (p) => {
  const envKeys = [...new Set([...p.environmentKeys, ...p.values.environments])];
  return (
    <form method="post" action={p.action} class="card">
      {p.message ? <ErrorSummary message={p.message} errors={p.errors} fieldIds={FIELD_IDS} /> : null}
      <CsrfField token={p.csrf} />
      {p.scopes ? <ScopeChoices scopes={p.scopes} value={p.values.scope} error={p.errors.scope} /> : null}
      <div class="grid2">
        <TextField id="wh-name" name="name" label="Name" value={p.values.name} error={p.errors.name} required placeholder="Deploy notifier" />
        <TextField
          id="wh-url"
          name="url"
          type="url"
          label="URL"
          hint="Flagpost POSTs each change here. Deployed, it must be a public https:// URL."
          value={p.values.url}
          error={p.errors.url}
          required
          placeholder="https://hooks.example.com/flagpost"
        />
      </div>
      <EventChoices catalog={p.catalog} checked={p.values.events} error={p.errors.events} />
      <Checkboxes
        id="wh-envs"
        name="environments"
        legend="Environments"
        hint="Leave all unchecked to hear every environment. Events not tied to an environment (flag created, updated, deleted) always arrive."
        options={envKeys.map((key) => ({ value: key, label: key }))}
        checked={p.values.environments}
        error={p.errors.environments}
      />
      <FormatChoices value={p.values.format} error={p.errors.format} />
      <SecretAndHeaders {...p} />
      <div class="field choices">
        <label>
          <input id="wh-enabled" type="checkbox" name="enabled" checked={p.values.enabled} /> Enabled: deliver new changes to this webhook
        </label>
      </div>
      <button class="primary" type="submit">
        {p.submitLabel}
      </button>
    </form>
  );
};

const SecretAndHeaders: FC<WebhookFormProps> = ({ values, errors, existing }) => (
  <div class="grid2">
    <SecretField values={values} errors={errors} existing={existing} />
    <HeadersField values={values} errors={errors} existing={existing} />
  </div>
);

type WriteOnlyProps = Pick<WebhookFormProps, "values" | "errors" | "existing">;

/** The secret is never shown: a set one can be replaced or removed, never read. */
const SecretField: FC<WriteOnlyProps> = ({ values, errors, existing }) => (
  <div>
    <TextField
      id="wh-secret"
      name="secret"
      type="password"
      autocomplete="new-password"
      label={existing?.has_secret ? "New secret (optional)" : "Secret (optional)"}
      hint={
        existing?.has_secret
          ? "A secret is set and never shown. Leave blank to keep it."
          : "Signs every request (X-Rollgate-Signature, webhook-signature). Write-only: it is never shown again."
      }
      error={errors.secret}
    />
    {existing?.has_secret ? (
      <div class="field choices">
        <label>
          <input type="checkbox" name="remove_secret" checked={values.removeSecret} /> Remove the secret (requests go unsigned)
        </label>
      </div>
    ) : null}
  </div>
);

/** Custom headers are sent only when typed anew; the ones set are named in the hint. */
const HeadersField: FC<WriteOnlyProps> = ({ values, errors, existing }) => {
  const current = existing ? Object.entries(existing.headers).map(([k, v]) => `${k}: ${v}`) : [];
  return (
    <div class="field">
      <label for="wh-headers">
        Custom headers (optional)
        <span class="hint">
          One <code>Name: value</code> per line, sent with every request.
          {current.length ? ` Current: ${current.join(", ")}. Type the full set to replace them.` : ""}
        </span>
      </label>
      <textarea
        id="wh-headers"
        name="headers"
        rows={3}
        spellcheck={false}
        placeholder="Authorization: Bearer s3cr3t"
        aria-invalid={errors.headers ? "true" : undefined}
        aria-describedby={errors.headers ? "wh-headers-error" : undefined}
      >
        {values.headers}
      </textarea>
      <FieldError id="wh-headers" error={errors.headers} />
      {current.length ? (
        <div class="choices">
          <label>
            <input type="checkbox" name="clear_headers" checked={values.clearHeaders} /> Remove all custom headers
          </label>
        </div>
      ) : null}
    </div>
  );
};

const ScopeChoices: FC<{ scopes: ScopeChoice[]; value: string; error?: string }> = ({ scopes, value, error }) => (
  <fieldset id="wh-scope">
    <legend>Where changes come from</legend>
    <div class="choices">
      {scopes.map((scope, i) => (
        <label>
          <input type="radio" name="scope" value={scope.value} checked={value ? value === scope.value : i === 0} required /> {scope.label}
        </label>
      ))}
    </div>
    <FieldError id="wh-scope" error={error} />
  </fieldset>
);

interface CheckboxesProps {
  id: string;
  name: string;
  legend: string;
  hint: string;
  options: { value: string; label: string }[];
  checked: string[];
  error?: string;
}

const Checkboxes: FC<CheckboxesProps> = ({ id, name, legend, hint, options, checked, error }) => (
  <fieldset id={id} aria-describedby={error ? `${id}-error` : undefined}>
    <legend>{legend}</legend>
    <p class="hint">{hint}</p>
    <div class="choices">
      {options.length === 0 ? <span class="muted small">No environments yet.</span> : null}
      {options.map((option) => (
        <label>
          <input type="checkbox" name={name} value={option.value} checked={checked.includes(option.value)} /> {option.label}
        </label>
      ))}
    </div>
    <FieldError id={id} error={error} />
  </fieldset>
);
