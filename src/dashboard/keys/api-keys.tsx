// Settings › API keys: the signed-in person's live API keys (GET /me/api-keys), each revocable
// (DELETE /me/api-keys/:keyId). The API shows no key's text again and does not say which key a
// session uses, so revoking warns that it may be this one; if it was, the next page finds the key
// refused and signs the person out.
import { Hono } from "hono";
import type { FC } from "hono/jsx";
import { idParam, type DashboardContext, type DashboardEnv } from "../shell/context";
import { EmptyState, PageHead, Pager, renderPage, Time } from "../shell/layout";
import type { ApiKeySummary, Page } from "../shell/resources";
import { RevokeForm } from "./revoke-form";

const PAGE_SIZE = 200;
const BASE = "/dashboard/settings/api-keys";

export function apiKeyRoutes() {
  const app = new Hono<DashboardEnv>();
  app.get("/settings/api-keys", apiKeysPage);
  app.post("/settings/api-keys/:keyId/revoke", revokeApiKey);
  return app;
}

async function revokeApiKey(c: DashboardContext) {
  await c.get("api").send("DELETE", `/me/api-keys/${idParam(c, "keyId")}`);
  return c.redirect(`${BASE}?notice=api-key-revoked#notice`, 303);
}

async function apiKeysPage(c: DashboardContext) {
  const cursor = c.req.query("cursor");
  const keys = await c.get("api").get<Page<ApiKeySummary>>("/me/api-keys", { limit: PAGE_SIZE, cursor });
  const me = c.get("me");
  const body = (
    <>
      <PageHead title="API keys" crumbs={[{ href: BASE, label: "Settings" }]} />
      <p class="muted">
        The live API keys of <strong>{me.user.email}</strong> in {me.org.name}. A key's text is shown only when it is made (
        <code>POST /admin/users/:userId/api-keys</code>, or <code>npm start</code> locally); here you see when each was made and revoke the ones no longer used.
        A revoked key is refused everywhere within 30 seconds.
      </p>
      <MakingAKey userId={me.user.id} origin={new URL(c.req.url).origin} />
      {keys.data.length ? (
        <KeyTable keys={keys.data} csrf={c.get("csrf")} />
      ) : (
        <EmptyState title={cursor ? "No older keys" : "No live API keys"}>
          <p>Keys are made by an administrator of this Flagpost.</p>
        </EmptyState>
      )}
      <Pager what="keys" newest={cursor ? BASE : undefined} older={keys.next_cursor ? `${BASE}?cursor=${encodeURIComponent(keys.next_cursor)}` : undefined} />
    </>
  );
  return renderPage(c, "API keys", body, { section: "api-keys" });
}

const KeyTable: FC<{ keys: ApiKeySummary[]; csrf: string }> = ({ keys, csrf }) => (
  <div class="table-wrap">
    <table>
      <caption class="visually-hidden">Your live API keys, newest first</caption>
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Created</th>
          <th scope="col" class="hide-narrow">
            Id
          </th>
          <th scope="col">
            <span class="visually-hidden">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {keys.map((key) => (
          <KeyRow apiKey={key} csrf={csrf} />
        ))}
      </tbody>
    </table>
  </div>
);

const KeyRow: FC<{ apiKey: ApiKeySummary; csrf: string }> = ({ apiKey: key, csrf }) => {
  const name = key.name ?? "Unnamed key";
  return (
    <tr id={`api-key-${key.id}`}>
      <td>
        <span class="truncate" title={name}>
          {key.name ?? <span class="muted">Unnamed key</span>}
        </span>
      </td>
      <td class="small">
        <Time iso={key.created_at} />
      </td>
      <td class="hide-narrow">
        <code>{key.id}</code>
      </td>
      <td>
        <RevokeForm
          action={`${BASE}/${key.id}/revoke`}
          confirm={`Revoke the API key "${name}"? Everything using it is refused within 30 seconds. If you signed in with it, you are signed out.`}
          label={`Revoke the API key ${name}`}
          csrf={csrf}
        />
      </td>
    </tr>
  );
};

/** Why there is no Create button: the API makes API keys only with the administrator's token, which the dashboard never holds. */
const MakingAKey = ({ userId, origin }: { userId: string; origin: string }) => (
  <section class="card" aria-labelledby="making-a-key">
    <h2 id="making-a-key">Making a key</h2>
    <p class="small">
      The API makes API keys only for an administrator of this Flagpost (with its admin token); a key cannot make another key, so the dashboard, which acts with
      yours, has no Create button. Ask your administrator for a key named after where it will be used; they run:
    </p>
    <figure class="snippet" aria-label="Making an API key for you">
      <pre id="make-api-key">{`curl -s -X POST ${origin}/api/v1/admin/users/${userId}/api-keys \\
  -H "Authorization: Bearer $FLAGPOST_ADMIN_TOKEN" \\
  -H "Content-Type: application/json" -d '{"name": "CI runner"}'`}</pre>
      <button type="button" class="small-button" data-copy="make-api-key" aria-label="Copy: Making an API key for you">
        Copy
      </button>
    </figure>
  </section>
);
