// "My receiver says the signature is wrong": the verification debugger (POST /webhooks/verify) for one
// webhook. Opened from a delivery, it starts from what Flagpost sent in that delivery's latest attempt;
// the person replaces the headers and body with what their receiver got, or types the secret their
// receiver verifies with, and each check says what is wrong in words.
import { Hono } from "hono";
import type { FC } from "hono/jsx";
import { ApiFailure } from "../shell/api";
import { formOf, isId, textField, type DashboardContext, type DashboardEnv } from "../shell/context";
import { errorsByField, FieldError, TextField, type FieldErrors } from "../shell/fields";
import { formatTime } from "../shell/format";
import { CsrfField, ErrorSummary, Notice, PageHead, Pill, renderPage } from "../shell/layout";
import type { DeliveryDetail, VerifyResult, Webhook } from "../shell/resources";
import { newestFirst } from "./delivery-views";
import { parseHeaderLines } from "./webhook-form";
import { webhookPage, webhookParams, webhooksApi } from "./webhook-scope";

const CHECK_NAMES: Record<string, string> = {
  signature_headers: "Signature headers",
  timestamp: "Timestamp",
  secret: "Secret",
  rollgate_signature: "X-Rollgate-Signature",
  standard_webhooks_signature: "webhook-signature (Standard Webhooks)",
  ed25519_signature: "webhook-signature v1a (ed25519)",
  body: "Body",
};

interface Draft {
  headers: string;
  body: string;
  /** Where the draft came from, when it was prefilled from a delivery. */
  from?: { deliveryId: string; attempt: number; at: string };
}

export function verifyRoutes() {
  const app = new Hono<DashboardEnv>();
  app.get("/settings/webhooks/:scope/:webhookId/verify", verifyPage);
  app.post("/settings/webhooks/:scope/:webhookId/verify", checkSignature);
  return app;
}

/** The debugger, filled in from a delivery's latest attempt when the page was opened from one. */
async function verifyPage(c: DashboardContext) {
  const { scope, webhookId } = webhookParams(c);
  const deliveryId = c.req.query("delivery") ?? "";
  const api = c.get("api");
  const [webhook, delivery] = await Promise.all([
    api.get<Webhook>(`${webhooksApi(scope)}/${webhookId}`),
    isId(deliveryId) ? api.get<DeliveryDetail>(`${webhooksApi(scope)}/${webhookId}/deliveries/${deliveryId}`) : Promise.resolve(null),
  ]);
  return debuggerPage(c, scope, webhook, { draft: delivery ? draftOf(delivery) : { headers: "", body: "" } });
}

async function checkSignature(c: DashboardContext) {
  const { scope, webhookId } = webhookParams(c);
  const form = await formOf(c);
  // A browser sends a textarea's line breaks as CRLF whatever was pasted; bodies Flagpost sends
  // break lines with LF, so LF is what the receiver most likely got.
  const draft: Draft = { headers: textField(form, "headers"), body: textField(form, "body").replace(/\r\n/g, "\n") };
  const secret = textField(form, "secret");
  const webhook = await c.get("api").get<Webhook>(`${webhooksApi(scope)}/${webhookId}`);
  const { headers, problems } = parseHeaderLines(draft.headers);
  if (problems.length) return debuggerPage(c, scope, webhook, { draft, errors: { headers: problems.join(" ") } });
  try {
    const request = { webhook_id: webhook.id, headers, body: draft.body, ...(secret ? { secret } : {}) };
    const result = await c.get("api").send<VerifyResult>("POST", "/webhooks/verify", request);
    return debuggerPage(c, scope, webhook, { draft, result });
  } catch (err) {
    if (!(err instanceof ApiFailure) || err.status !== 400) throw err;
    return debuggerPage(c, scope, webhook, { draft, errors: errorsByField(err.issues) });
  }
}

/** The latest attempt's request, as Flagpost sent it. */
function draftOf(delivery: DeliveryDetail): Draft {
  const [latest] = newestFirst(delivery.attempts);
  if (!latest) return { headers: "", body: "" };
  const headers = Object.entries(latest.request.headers)
    .map(([name, value]) => `${name}: ${value}`)
    .join("\n");
  return { headers, body: latest.request.body, from: { deliveryId: delivery.id, attempt: latest.number, at: latest.started_at } };
}

interface PageState {
  draft: Draft;
  result?: VerifyResult;
  errors?: FieldErrors;
}

function debuggerPage(c: DashboardContext, scope: string, webhook: Webhook, state: PageState) {
  const base = webhookPage(scope, webhook.id);
  const crumbs = [
    { href: "/dashboard/settings/webhooks", label: "Settings" },
    { href: base, label: webhook.name },
  ];
  const errors = state.errors ?? {};
  const failed = Object.keys(errors).length > 0;
  const from = state.draft.from;
  const body = (
    <>
      <PageHead title="Why does my receiver refuse the signature?" crumbs={crumbs} />
      {state.result ? <Verdict result={state.result} /> : null}
      {failed ? <ErrorSummary message="Nothing was checked." errors={errors} fieldIds={FIELD_IDS} /> : null}
      <p class="muted">
        Paste the headers and the raw body exactly as your receiver got them, and the secret it verifies with. Flagpost compares them with what it signed and
        sent for <strong>{webhook.name}</strong>.
      </p>
      {from ? (
        <Notice kind="info">
          Filled in with what Flagpost sent in attempt {from.attempt} of delivery <code>{from.deliveryId}</code> ({formatTime(from.at)}). Replace what differs
          on your side, or type your receiver's secret, and check.
        </Notice>
      ) : null}
      <DebuggerForm action={`${base}/verify`} csrf={c.get("csrf")} draft={state.draft} errors={errors} />
    </>
  );
  return renderPage(c, `Signature debugger · ${webhook.name}`, body, { section: "webhooks", status: failed ? 400 : 200 });
}

const FIELD_IDS = { headers: "verify-headers", body: "verify-body", secret: "verify-secret" };

const DebuggerForm: FC<{ action: string; csrf: string; draft: Draft; errors: FieldErrors }> = ({ action, csrf, draft, errors }) => (
  <form method="post" action={action} class="card">
    <CsrfField token={csrf} />
    <TextField
      id="verify-secret"
      name="secret"
      type="password"
      autocomplete="off"
      label="The secret your receiver uses (optional)"
      hint="Without it, the signatures are checked against this webhook's own secrets."
      error={errors.secret}
    />
    <Area
      id="verify-headers"
      name="headers"
      label="Headers your receiver got"
      hint="One Name: value per line. The signature headers and webhook-id matter most."
      value={draft.headers}
      error={errors.headers}
      rows={8}
    />
    <Area
      id="verify-body"
      name="body"
      label="Raw body your receiver got"
      hint="The bytes before any parsing: re-serialized JSON no longer matches its signature."
      value={draft.body}
      error={errors.body}
      rows={8}
    />
    <button type="submit" class="primary">
      Check the signature
    </button>
  </form>
);

const Area: FC<{ id: string; name: string; label: string; hint: string; value: string; error?: string; rows: number }> = (p) => (
  <div class="field">
    <label for={p.id}>
      {p.label}
      <span class="hint">{p.hint}</span>
    </label>
    <textarea
      id={p.id}
      name={p.name}
      rows={p.rows}
      spellcheck={false}
      aria-invalid={p.error ? "true" : undefined}
      aria-describedby={p.error ? `${p.id}-error` : undefined}
    >
      {p.value}
    </textarea>
    <FieldError id={p.id} error={p.error} />
  </div>
);

const Verdict: FC<{ result: VerifyResult }> = ({ result }) => (
  <section
    class={`notice ${result.valid ? "success" : "error"}`}
    id="notice"
    tabindex={-1}
    autofocus
    role={result.valid ? "status" : "alert"}
    aria-labelledby="verdict-title"
  >
    <h2 id="verdict-title">{result.valid ? "✓ Every check passed: this request verifies" : "✗ This request does not verify"}</h2>
    <ul class="checks">
      {result.checks.map((check) => (
        <li data-check={check.check}>
          <Pill tone={check.ok ? "ok" : "bad"}>{check.ok ? "OK" : "Problem"}</Pill>
          <span>
            <strong>{CHECK_NAMES[check.check] ?? check.check}</strong>: {check.detail}
          </span>
        </li>
      ))}
    </ul>
  </section>
);
