// How a webhook's requests are signed, on its page: rotate the secret (a generated one, or the
// person's own, the previous one signing beside it for a chosen overlap) and create or replace the
// ed25519 key pair. A new secret is shown once, on the page that answers the rotation, and never
// again: the API does not return it anywhere else, and the answer is never cached.
import { Hono } from "hono";
import type { FC } from "hono/jsx";
import { ApiFailure } from "../shell/api";
import { formOf, textField, type DashboardContext, type DashboardEnv } from "../shell/context";
import { errorsByField, TextField, type FieldErrors } from "../shell/fields";
import { CopyButton, CsrfField, ErrorSummary, Notice, PageHead, renderPage, Time } from "../shell/layout";
import { OnceField, spendOnce } from "../shell/once";
import type { RotatedSecret, Webhook } from "../shell/resources";
import { webhookCrumbs, webhookPage, webhookParams, webhooksApi } from "./webhook-scope";

/** How long the previous secret keeps signing: the choices offered, in seconds (the API allows 0–7 days). */
export const OVERLAPS = [
  { seconds: 0, label: "No overlap: the old secret stops at once" },
  { seconds: 3_600, label: "1 hour" },
  { seconds: 86_400, label: "1 day (default)" },
  { seconds: 604_800, label: "7 days" },
] as const;
const DEFAULT_OVERLAP = 86_400;

export function signingRoutes() {
  const app = new Hono<DashboardEnv>();
  app.post("/settings/webhooks/:scope/:webhookId/rotate-secret", rotateSecret);
  app.post("/settings/webhooks/:scope/:webhookId/ed25519-key", createKeyPair);
  return app;
}

/** Creates or replaces the ed25519 key pair; the public key shows on the webhook's page. */
async function createKeyPair(c: DashboardContext) {
  const { scope, webhookId } = webhookParams(c);
  await c.get("api").send("POST", `${webhooksApi(scope)}/${webhookId}/ed25519-key`);
  return c.redirect(`${webhookPage(scope, webhookId)}?notice=ed25519-created`, 303);
}

/** The new secret is shown once, on the page that answers this form; the form sent again rotates nothing. */
async function rotateSecret(c: DashboardContext) {
  const { scope, webhookId } = webhookParams(c);
  const form = await formOf(c);
  if (!spendOnce(c, form)) return c.redirect(`${webhookPage(scope, webhookId)}?notice=already-sent#signing`, 303);
  const secret = textField(form, "secret");
  const chosen = Number(textField(form, "overlap"));
  const overlap = OVERLAPS.some((o) => o.seconds === chosen) ? chosen : DEFAULT_OVERLAP;
  const api = c.get("api");
  const webhook = await api.get<Webhook>(`${webhooksApi(scope)}/${webhookId}`);
  const request = { previous_expires_in_seconds: overlap, ...(secret ? { secret } : {}) };
  try {
    const rotated = await api.send<RotatedSecret>("POST", `${webhooksApi(scope)}/${webhookId}/rotate-secret`, request);
    return rotatedPage(c, scope, webhook, rotated, Boolean(secret));
  } catch (err) {
    if (!(err instanceof ApiFailure) || err.status !== 400) throw err;
    return notRotatedPage(c, scope, webhook, overlap, errorsByField(err.issues));
  }
}

/** The form again, with what the API refused; the current secret still signs. */
function notRotatedPage(c: DashboardContext, scope: string, webhook: Webhook, overlap: number, errors: FieldErrors) {
  const body = (
    <>
      <PageHead title={`Rotate the secret of ${webhook.name}`} crumbs={webhookCrumbs(scope, webhook)} />
      <ErrorSummary message="The secret was not rotated: the current one still signs." errors={errors} fieldIds={{ secret: "rotate-secret" }} />
      <div class="card">
        <RotateForm scope={scope} webhook={webhook} csrf={c.get("csrf")} overlap={overlap} error={errors.secret ?? errors.previous_expires_in_seconds} />
      </div>
    </>
  );
  return renderPage(c, "Secret not rotated", body, { section: "webhooks", status: 400 });
}

function rotatedPage(c: DashboardContext, scope: string, webhook: Webhook, rotated: RotatedSecret, ownSecret: boolean) {
  const back = webhookPage(scope, webhook.id);
  const body = (
    <>
      <PageHead title={`New secret for ${webhook.name}`} crumbs={webhookCrumbs(scope, webhook)} />
      <Notice kind="warn" id="notice" autofocus>
        <strong>Copy the secret now: it is shown only this once.</strong> Flagpost never shows it again; if it is lost, rotate again.
      </Notice>
      <NewSecret rotated={rotated} ownSecret={ownSecret} hadSecret={webhook.has_secret} />
      <p>
        <a class="button primary" href={back}>
          I have copied it: back to {webhook.name}
        </a>
      </p>
    </>
  );
  return renderPage(c, "New secret", body, { section: "webhooks" });
}

/** The new secret, as signatures use it and as the Standard Webhooks libraries take it, and what became of the old one. */
const NewSecret: FC<{ rotated: RotatedSecret; ownSecret: boolean; hadSecret: boolean }> = ({ rotated, ownSecret, hadSecret }) => (
  <section class="card secret-once" aria-labelledby="new-secret-title">
    <h2 id="new-secret-title">{ownSecret ? "Your new secret" : "The generated secret"}</h2>
    <p class="small muted">
      HMAC key of X-Rollgate-Signature, webhook-signature and X-Sentry-Signature (its UTF-8 bytes). Sentry's secret field takes it as is.
    </p>
    <pre id="rotated-secret" data-secret>
      {rotated.secret}
    </pre>
    <p>
      <CopyButton target="rotated-secret" label="Copy the secret" />
    </p>
    <h3>For the Standard Webhooks libraries</h3>
    <p class="small muted">The same secret as they expect it: whsec_ and the base64 of its bytes.</p>
    <pre id="rotated-whsec">{rotated.standard_webhooks_secret}</pre>
    <p>
      <CopyButton target="rotated-whsec" label="Copy the whsec_ secret" />
    </p>
    <p data-overlap>
      {rotated.previous_expires_at ? (
        <>
          Until <Time iso={rotated.previous_expires_at} /> every request is signed with both secrets (new first), so receivers keep verifying while you update
          them.
        </>
      ) : hadSecret ? (
        "The previous secret stopped signing at once: receivers verifying with it fail until they have the new one."
      ) : (
        "There was no previous secret: requests are signed from now on."
      )}
    </p>
  </section>
);

const RotateForm: FC<{ scope: string; webhook: Webhook; csrf: string; overlap?: number; error?: string }> = ({ scope, webhook, csrf, overlap, error }) => (
  <form
    method="post"
    action={`${webhookPage(scope, webhook.id)}/rotate-secret`}
    data-confirm={
      webhook.has_secret
        ? `Rotate the secret of "${webhook.name}"? The new one is shown once; the current one keeps signing for the overlap you chose.`
        : undefined
    }
  >
    <CsrfField token={csrf} />
    <OnceField />
    <div class="grid2">
      <TextField
        id="rotate-secret"
        name="secret"
        type="password"
        autocomplete="new-password"
        label="Your own secret (optional)"
        hint="Leave blank to have a 32-character one generated."
        error={error}
      />
      <div class="field">
        <label for="rotate-overlap">
          The previous secret keeps signing for
          <span class="hint">Receivers verifying with it go on working while you update them.</span>
        </label>
        <select id="rotate-overlap" name="overlap" disabled={!webhook.has_secret}>
          {OVERLAPS.map((o) => (
            <option value={String(o.seconds)} selected={o.seconds === (overlap ?? DEFAULT_OVERLAP)}>
              {o.label}
            </option>
          ))}
        </select>
      </div>
    </div>
    <button type="submit" class="primary">
      {webhook.has_secret ? "Rotate the secret" : "Set a secret"}
    </button>
  </form>
);

type SigningProps = { scope: string; webhook: Webhook; csrf: string };

export const SigningSection: FC<SigningProps & { said?: string }> = ({ scope, webhook, csrf, said }) => (
  <section id="signing" aria-labelledby="signing-title">
    <h2 id="signing-title">Signing</h2>
    {/* The page lands here after a new key pair: what happened is said where the eye is, the focus on it. */}
    {said ? (
      <div class="notice success" role="status" id="signing-notice" tabindex={-1} autofocus>
        {said}
      </div>
    ) : null}
    <div class="grid2">
      <div class="card">
        <h3>Secret</h3>
        <p class="small muted">
          {webhook.has_secret
            ? "A secret is set. Rotating makes a new one, shown once; the current one can keep signing beside it for a while."
            : "No secret: requests are unsigned. Setting one here shows it once."}
        </p>
        <RotateForm scope={scope} webhook={webhook} csrf={csrf} />
      </div>
      <KeyPairCard scope={scope} webhook={webhook} csrf={csrf} />
    </div>
  </section>
);

/** The ed25519 key pair: its public key to copy, and the button that creates or replaces it. */
const KeyPairCard: FC<SigningProps> = ({ scope, webhook, csrf }) => (
  <div class="card">
    <h3>ed25519 key pair</h3>
    <p class="small muted">
      With a key pair, webhook-signature also carries a <code>v1a</code> signature that receivers verify with the public key alone (Standard Webhooks'
      asymmetric scheme). The private key never leaves Flagpost.
    </p>
    {webhook.ed25519_public_key ? (
      <>
        <p class="small">Public key:</p>
        <pre id="ed25519-public-key">{webhook.ed25519_public_key}</pre>
        <p>
          <CopyButton target="ed25519-public-key" label="Copy the public key" />
        </p>
      </>
    ) : null}
    <form
      method="post"
      action={`${webhookPage(scope, webhook.id)}/ed25519-key`}
      data-confirm={
        webhook.ed25519_public_key
          ? `Replace the key pair of "${webhook.name}"? Receivers verifying v1a with the current public key fail until they have the new one.`
          : undefined
      }
    >
      <CsrfField token={csrf} />
      <button type="submit">{webhook.ed25519_public_key ? "Replace the key pair" : "Create a key pair"}</button>
    </form>
  </div>
);
