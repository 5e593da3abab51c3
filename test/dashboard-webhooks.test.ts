// Watching webhooks from the dashboard, at the route level: the form's four formats and the event
// catalog's samples, a secret rotated and shown once, the ed25519 key, the verification debugger
// opened from a delivery, and the person's API keys. The browser walk of the same pages is test/e2e.
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { csrfIn, dash, signIn } from "./dashboard-client";
import { ADMIN_TOKEN, call, json, newFlag, patchState, setup, webhookInput, type Tenant } from "./helpers";
import { deliveriesOf, deliveryDetail, eventually, received, receiverUrl, webhookPath } from "./webhook-helpers";

async function fixture(webhookBody: Record<string, unknown> = {}) {
  const { tenant, project } = await setup();
  const webhook = await json(call(`/projects/${project.id}/webhooks`, { token: tenant.key, body: webhookInput(webhookBody) }), 201);
  const session = await signIn(tenant);
  return { tenant, project, webhook, ...session, page: `/dashboard/settings/webhooks/${project.id}/${webhook.id}` };
}

const unescapeHtml = (html: string) =>
  html
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");

describe("the webhook form", () => {
  it("offers the four formats and each event with its description and its sample body in every format", async () => {
    const { tenant, cookie } = await fixture();
    const html = unescapeHtml(await (await dash("/dashboard/settings/webhooks/new", { cookie })).text());
    for (const format of ["rollgate", "tggl", "slack", "sentry"]) expect(html).toContain(`name="format" value="${format}"`);
    const catalog = (await json(call("/event-types", { token: tenant.key }), 200)).data as {
      event: string;
      description: string;
      samples: Record<string, unknown>;
    }[];
    for (const type of catalog.filter((t) => t.event !== "webhook.test")) {
      expect(html).toContain(`name="events" value="${type.event}"`);
      expect(html).toContain(type.description);
      for (const [format, sample] of Object.entries(type.samples)) expect(html, `${type.event} in ${format}`).toContain(JSON.stringify(sample, null, 2));
    }
    expect(html).not.toContain('name="events" value="webhook.test"');
  });

  it("creates a Sentry webhook and a Slack one as chosen", async () => {
    const { project, tenant, cookie, csrf } = await fixture();
    for (const format of ["sentry", "slack"]) {
      const res = await dash("/dashboard/settings/webhooks", {
        cookie,
        form: [
          ["_csrf", csrf],
          ["scope", project.id],
          ["name", `To ${format}`],
          ["url", webhookInput().url],
          ["events", "flag.toggled"],
          ["environments", "production"],
          ["format", format],
          ["enabled", "on"],
        ],
      });
      expect(res.status).toBe(303);
      const id = res.headers.get("location")!.split("?")[0].split("/").pop()!;
      const stored = await json(call(`/projects/${project.id}/webhooks/${id}`, { token: tenant.key }), 200);
      expect([stored.format, stored.environments]).toEqual([format, ["production"]]);
      const page = await (await dash(res.headers.get("location")!, { cookie })).text();
      expect(page).toContain(format === "slack" ? "Slack" : "Sentry");
    }
  });
});

/** Toggles a new flag on in production and answers the first request the webhook's receiver got. */
async function nextSignedRequest(tenant: Tenant, projectId: string, url: string) {
  const flag = await newFlag(tenant, projectId);
  await patchState(tenant, projectId, flag.key, "production", { enabled: true });
  const [hit] = await eventually(async () => {
    const hits = await received(url);
    expect(hits.length).toBeGreaterThan(0);
    return hits;
  });
  return hit;
}

describe("signing from the webhook's page", () => {
  it("a rotation sent again (the answer page reloaded) rotates nothing: the secret just shown stays the one that signs", async () => {
    const { tenant, project, webhook, cookie, page } = await fixture({ secret: "the-first-secret" });
    const html = await (await dash(page, { cookie })).text();
    const form = html.slice(html.indexOf(`action="${page}/rotate-secret"`));
    const fields = { _csrf: csrfIn(form), once: /name="once" value="([^"]+)"/.exec(form)![1], secret: "", overlap: "0" };
    const first = await dash(`${page}/rotate-secret`, { cookie, form: fields });
    expect(first.status).toBe(200);
    const secret = /<pre id="rotated-secret"[^>]*>([^<]+)<\/pre>/.exec(await first.text())![1];
    const spent = first.headers
      .getSetCookie()
      .find((l) => l.startsWith("flagpost_once="))!
      .split(";")[0];
    const again = await dash(`${page}/rotate-secret`, { cookie: `${cookie}; ${spent}`, form: fields });
    expect([again.status, again.headers.get("location")]).toEqual([303, `${page}?notice=already-sent#signing`]);
    expect(await (await dash(again.headers.get("location")!, { cookie })).text()).toContain("That form was already sent from this browser");
    const hit = await nextSignedRequest(tenant, project.id, webhook.url);
    expect(hit.headers["x-rollgate-signature"]).toBe(`sha256=${createHmac("sha256", secret).update(hit.body).digest("hex")}`);
  });

  it("rotates the secret: the new one is shown once, with the overlap, and signs what is sent next", async () => {
    const { tenant, project, webhook, cookie, csrf, page } = await fixture({ secret: "the-first-secret" });
    const res = await dash(`${page}/rotate-secret`, { cookie, form: { _csrf: csrf, secret: "", overlap: "3600" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const html = await res.text();
    const secret = /<pre id="rotated-secret"[^>]*>([^<]+)<\/pre>/.exec(html)?.[1];
    expect(secret).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(html).toContain(`whsec_${Buffer.from(secret!).toString("base64")}`);
    expect(html).toMatch(/Until <time [^>]*>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC<\/time> every request is signed with both secrets/);
    expect(html).toContain("shown only this once");

    const later = await (await dash(page, { cookie })).text();
    expect(later).not.toContain(secret!);
    const hit = await nextSignedRequest(tenant, project.id, webhook.url);
    expect(hit.headers["x-rollgate-signature"]).toBe(`sha256=${createHmac("sha256", secret!).update(hit.body).digest("hex")}`);
    expect(hit.headers["x-rollgate-signature-previous"]).toBe(`sha256=${createHmac("sha256", "the-first-secret").update(hit.body).digest("hex")}`);
  });

  it("sets one's own secret, and a refused one says why beside the field and keeps the old one", async () => {
    const { tenant, webhook, cookie, csrf, page } = await fixture({ secret: "kept" });
    const refused = await dash(`${page}/rotate-secret`, { cookie, form: { _csrf: csrf, secret: "x".repeat(513), overlap: "0" } });
    expect(refused.status).toBe(400);
    const refusal = await refused.text();
    expect(refusal).toContain("The secret was not rotated");
    expect(refusal).toContain('id="rotate-secret-error"');
    const own = await dash(`${page}/rotate-secret`, { cookie, form: { _csrf: csrf, secret: "my-own-secret", overlap: "0" } });
    const html = await own.text();
    expect(html).toContain(">my-own-secret</pre>");
    expect(html).toContain("stopped signing at once");
    const verdict = await json(
      call("/webhooks/verify", {
        token: tenant.key,
        body: {
          webhook_id: webhook.id,
          secret: "kept",
          headers: { "x-rollgate-signature": `sha256=${createHmac("sha256", "my-own-secret").update("{}").digest("hex")}` },
          body: "{}",
        },
      }),
      200,
    );
    expect(verdict.checks.find((c: { check: string }) => c.check === "rollgate_signature").detail).toContain("current");
  });

  it("creates the ed25519 key pair and shows its public key on the page", async () => {
    const { tenant, project, webhook, cookie, csrf, page } = await fixture();
    expect(await (await dash(page, { cookie })).text()).toContain("Create a key pair");
    const res = await dash(`${page}/ed25519-key`, { cookie, form: { _csrf: csrf } });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(`${page}?notice=ed25519-created`);
    const stored = await json(call(webhookPath(project.id, webhook.id), { token: tenant.key }), 200);
    expect(stored.ed25519_public_key).toMatch(/^whpk_/);
    const html = await (await dash(res.headers.get("location")!, { cookie })).text();
    expect(html).toContain(stored.ed25519_public_key);
    expect(html).toContain("Replace the key pair");
  });
});

describe("the verification debugger", () => {
  async function delivered() {
    const f = await fixture({ secret: "receiver-secret" });
    const flag = await newFlag(f.tenant, f.project.id);
    await patchState(f.tenant, f.project.id, flag.key, "production", { enabled: true });
    const delivery = await eventually(async () => {
      const [d] = await deliveriesOf(f.tenant, f.project.id, f.webhook.id);
      expect(d?.attempt_count).toBeGreaterThan(0);
      return d;
    });
    const detail = await deliveryDetail(f.tenant, f.project.id, f.webhook.id, delivery.id);
    return { ...f, delivery: detail as { id: string; attempts: { request: { headers: Record<string, string>; body: string } }[] } };
  }

  it("is linked from a delivery and starts from what Flagpost sent in it", async () => {
    const { cookie, page, delivery } = await delivered();
    const deliveryPage = await (await dash(`${page}/deliveries/${delivery.id}`, { cookie })).text();
    expect(deliveryPage).toContain(`href="${page}/verify?delivery=${delivery.id}"`);
    expect(deliveryPage).toContain("My receiver says the signature is wrong");
    const html = unescapeHtml(await (await dash(`${page}/verify?delivery=${delivery.id}`, { cookie })).text());
    const sent = delivery.attempts[0].request;
    expect(html).toContain(`webhook-signature: ${sent.headers["webhook-signature"]}`);
    expect(html).toContain(sent.body);
  });

  it("says which secret made the signature, and that a re-serialized body is the same JSON", async () => {
    const { cookie, csrf, page, delivery } = await delivered();
    const sent = delivery.attempts[0].request;
    const headers = Object.entries(sent.headers)
      .map(([k, v]) => `${k}: ${v}`)
      .join("\r\n");
    const wrongSecret = unescapeHtml(
      await (await dash(`${page}/verify`, { cookie, form: { _csrf: csrf, headers, body: sent.body, secret: "what-my-receiver-has" } })).text(),
    );
    expect(wrongSecret).toContain("This request does not verify");
    expect(wrongSecret).toMatch(/made with the webhook's current secret, not with your secret/);

    const pretty = JSON.stringify(JSON.parse(sent.body), null, 2).replace(/\n/g, "\r\n"); // as a textarea posts it
    const reserialized = unescapeHtml(await (await dash(`${page}/verify`, { cookie, form: { _csrf: csrf, headers, body: pretty } })).text());
    expect(reserialized).toContain("the same JSON, re-serialized");

    const valid = unescapeHtml(
      await (await dash(`${page}/verify`, { cookie, form: { _csrf: csrf, headers, body: sent.body, secret: "receiver-secret" } })).text(),
    );
    expect(valid).toContain("Every check passed");
  });

  it("says a malformed header line beside the field and checks nothing", async () => {
    const { cookie, csrf, page } = await delivered();
    const res = await dash(`${page}/verify`, { cookie, form: { _csrf: csrf, headers: "no colon here", body: "{}" } });
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain('id="verify-headers-error"');
    expect(html).not.toContain("does not verify");
  });
});

describe("delivery history", () => {
  it("names each delivery's flag, environment and revision, for a project webhook and an organization one", async () => {
    const { tenant, project, webhook, cookie, page } = await fixture();
    const org = await json(call("/webhooks", { token: tenant.key, body: webhookInput({ name: "Org receiver" }) }), 201);
    const flag = await newFlag(tenant, project.id, { name: "Pricing banner" });
    await patchState(tenant, project.id, flag.key, "production", { enabled: true });
    const revision = (await json(call(`/projects/${project.id}`, { token: tenant.key }), 200)).revision;
    await json(call(`/projects/${project.id}/webhooks/${webhook.id}/test`, { token: tenant.key, method: "POST" }), 200);
    for (const [path, id] of [
      [page, webhook.id],
      [`/dashboard/settings/webhooks/org/${org.id}`, org.id],
    ] as const) {
      const scope = id === webhook.id ? project.id : null;
      await eventually(async () => expect((await deliveriesOf(tenant, scope, id)).some((d) => d.event === "flag.toggled")).toBe(true));
      const html = await (await dash(path, { cookie })).text();
      const row = html.slice(html.indexOf("Flag toggled delivery"), html.indexOf("</tr>", html.indexOf("Flag toggled delivery")));
      expect(row, path).toContain(">Pricing banner</span>");
      expect(row, path).toContain(`production · rev ${revision}`);
      const toggled = (await deliveriesOf(tenant, scope, id)).find((d) => d.event === "flag.toggled")!;
      const detail = await (await dash(`${path}/deliveries/${toggled.id}`, { cookie })).text();
      expect(detail).toContain(`revision ${revision}`);
      expect(detail).toContain(`href="/dashboard/projects/${project.id}/flags/${flag.key}"`);
    }
    expect(await (await dash(page, { cookie })).text()).toContain("Test request");
  });
});

describe("a webhook's health", () => {
  async function failingFive() {
    const f = await fixture({ url: receiverUrl("status/500") });
    for (let i = 0; i < 5; i++)
      expect((await json(call(`/projects/${f.project.id}/webhooks/${f.webhook.id}/test`, { token: f.tenant.key, method: "POST" }), 200)).success).toBe(false);
    return f;
  }

  it("shows the circuit open after five failures in a row, and the last hour's and day's figures", async () => {
    const { cookie, page } = await failingFive();
    const html = await (await dash(page, { cookie })).text();
    expect(html).toMatch(/<span class="pill bad">Circuit open · 5 failed in a row<\/span>/);
    expect(html).toContain("Deliveries wait instead of being attempted");
    for (const window of ["1h", "24h"]) {
      const panel = html.slice(html.indexOf(`data-window="${window}"`), html.indexOf("</dl>", html.indexOf(`data-window="${window}"`)));
      expect(panel, window).toMatch(/<dt>Attempts<\/dt><dd>5<\/dd>/);
      expect(panel, window).toMatch(/<dt>Failed<\/dt><dd>5 \(100%\)<\/dd>/);
      expect(panel, window).toMatch(/<dt>Succeeded<\/dt><dd>0 \(0%\)<\/dd>/);
    }
  });

  it("recovers every failed delivery since the chosen moment, and says how many", async () => {
    const { tenant, project, webhook, cookie, csrf, page } = await failingFive();
    const res = await dash(`${page}/recover`, { cookie, form: { _csrf: csrf, since: "1h" } });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(`${page}?notice=recovered&count=5#notice`);
    // Each failed delivery left "failed" at once: it waits for, or has had, its one more attempt.
    const all = await deliveriesOf(tenant, project.id, webhook.id);
    expect(all).toHaveLength(5);
    expect(all.filter((d) => d.status === "failed" && d.attempt_count === 1)).toEqual([]);
    expect(await (await dash(`${page}?notice=recovered&count=5`, { cookie })).text()).toContain("5 failed deliveries get one more attempt, oldest first.");
    expect(await (await dash(`${page}?notice=recovered&count=%3Cb%3E`, { cookie })).text()).not.toContain("failed deliveries get");

    const future = new Date(Date.now() + 3_600_000).toISOString().slice(0, 16);
    const none = await dash(`${page}/recover`, { cookie, form: { _csrf: csrf, since: "at", since_at: future } });
    expect(none.headers.get("location")).toBe(`${page}?notice=recovered&count=0#notice`);
    const bad = await dash(`${page}/recover`, { cookie, form: { _csrf: csrf, since: "at", since_at: "yesterday" } });
    expect(bad.headers.get("location")).toBe(`${page}?notice=recover-invalid#notice`);
  });

  it("a receiver answering 410 Gone disables the webhook, and the list and its page say why", async () => {
    const { tenant, project, webhook, cookie, page } = await fixture({ url: receiverUrl("status/410") });
    await json(call(`/projects/${project.id}/webhooks/${webhook.id}/test`, { token: tenant.key, method: "POST" }), 200);
    const stored = await json(call(`/projects/${project.id}/webhooks/${webhook.id}`, { token: tenant.key }), 200);
    expect([stored.enabled, stored.health.disabled_reason]).toEqual([false, "gone"]);
    const list = await (await dash("/dashboard/settings/webhooks", { cookie })).text();
    expect(list).toContain("Disabled because the receiver answered 410 Gone");
    expect(await (await dash(page, { cookie })).text()).toMatch(
      /Disabled because the receiver answered 410 Gone, which says it will never take deliveries again/,
    );
  });
});

describe("the Redeliver button", () => {
  it("says what it does: one more attempt of a finished delivery, the next attempt now of a pending one", async () => {
    const { tenant, project, cookie } = await fixture();
    const failing = await json(call(`/projects/${project.id}/webhooks`, { token: tenant.key, body: webhookInput({ url: receiverUrl("status/500") }) }), 201);
    const flag = await newFlag(tenant, project.id);
    await patchState(tenant, project.id, flag.key, "production", { enabled: true });
    const pending = await eventually(async () => {
      const [d] = await deliveriesOf(tenant, project.id, failing.id);
      expect(d?.attempt_count).toBeGreaterThan(0);
      expect(d.status).toBe("pending");
      return d;
    });
    const html = await (await dash(`/dashboard/settings/webhooks/${project.id}/${failing.id}/deliveries/${pending.id}`, { cookie })).text();
    expect(html).toMatch(/<button type="submit" class="primary" aria-describedby="redeliver-what">Attempt now<\/button>/);
    expect(html).toContain("The rest of its schedule is kept");

    const test = await json(call(`/projects/${project.id}/webhooks/${failing.id}/test`, { token: tenant.key, method: "POST" }), 200);
    expect(test.success).toBe(false);
    const [finished] = await deliveriesOf(tenant, project.id, failing.id, "?status=failed");
    const page = await (await dash(`/dashboard/settings/webhooks/${project.id}/${failing.id}/deliveries/${finished.id}`, { cookie })).text();
    expect(page).toMatch(/aria-describedby="redeliver-what">Redeliver<\/button>/);
    expect(page).toContain("One more attempt of the same delivery");
  });
});

describe("Settings › API keys", () => {
  async function withSecondKey() {
    const { tenant } = await setup();
    const second = await json(call(`/admin/users/${tenant.userId}/api-keys`, { token: ADMIN_TOKEN, body: { name: "CI deploys" } }), 201);
    return { tenant, second, ...(await signIn(tenant)) };
  }

  it("lists the person's live keys, never their text", async () => {
    const { tenant, second, cookie } = await withSecondKey();
    const html = await (await dash("/dashboard/settings/api-keys", { cookie })).text();
    expect(html).toContain("CI deploys");
    expect(html).toContain(`id="api-key-${second.id}"`);
    const listed = (await json(call("/me/api-keys", { token: tenant.key }), 200)).data as { id: string }[];
    for (const key of listed) expect(html).toContain(`action="/dashboard/settings/api-keys/${key.id}/revoke"`);
    expect(html).not.toContain(second.key);
    expect(html).not.toContain(tenant.key);
  });

  it("revokes a key: the API refuses it; revoking the session's own key signs the person out", async () => {
    const { tenant, second, cookie, csrf } = await withSecondKey();
    const res = await dash(`/dashboard/settings/api-keys/${second.id}/revoke`, { cookie, form: { _csrf: csrf } });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/dashboard/settings/api-keys?notice=api-key-revoked#notice");
    expect((await call("/me", { token: second.key })).status).toBe(401);
    const after = await (await dash("/dashboard/settings/api-keys?notice=api-key-revoked", { cookie })).text();
    expect(after).toContain("API key revoked");
    expect(after).not.toContain("CI deploys");

    const [own] = ((await json(call("/me/api-keys", { token: tenant.key }), 200)).data as { id: string }[]).filter((k) => k.id !== second.id);
    await dash(`/dashboard/settings/api-keys/${own.id}/revoke`, { cookie, form: { _csrf: csrf } });
    const next = await dash("/dashboard/settings/api-keys", { cookie });
    expect(next.status).toBe(302);
    expect(next.headers.get("location")).toContain("/dashboard/sign-in?notice=key-rejected");
  });

  it("cannot revoke another person's key: 404, and the key still works", async () => {
    const { cookie, csrf } = await withSecondKey();
    const other = await withSecondKey();
    const res = await dash(`/dashboard/settings/api-keys/${other.second.id}/revoke`, { cookie, form: { _csrf: csrf } });
    expect(res.status).toBe(404);
    expect((await call("/me", { token: other.second.key })).status).toBe(200);
  });
});

describe("environments and SDK keys", () => {
  it("the project page shows the revision and leads to the keys; a new key has its copy button, a refused name is said beside its field", async () => {
    const { tenant, project } = await setup();
    await newFlag(tenant, project.id);
    const { cookie, csrf } = await signIn(tenant);
    const home = await (await dash(`/dashboard/projects/${project.id}`, { cookie })).text();
    expect(home).toMatch(/Revision <strong data-revision[^>]*>1<\/strong>/);
    expect(home).toContain(`href="/dashboard/projects/${project.id}/sdk-keys"`);

    const keys = `/dashboard/projects/${project.id}/environments/development/sdk-keys`;
    const refused = await dash(keys, { cookie, form: { _csrf: csrf, name: "n".repeat(300), kind: "server" } });
    expect(refused.status).toBe(400);
    const refusal = await refused.text();
    expect(refusal).toMatch(/<input id="sdk-development-name"[^>]*aria-invalid="true"/);
    expect(refusal).toMatch(/<p class="error" id="sdk-development-error" role="alert">[^<]*200/);
    expect((await json(call(`/projects/${project.id}/environments/development/sdk-keys`, { token: tenant.key }), 200)).data).toEqual([]);

    const created = await (await dash(keys, { cookie, form: { _csrf: csrf, name: "Checkout service", kind: "server" } })).text();
    expect(created).toContain('data-copy="created-sdk-key"');
    expect(created).toContain("shown only this once");
    // The form answers at its own address; asked for again by GET, that address is the keys page.
    const again = await dash(keys, { cookie });
    expect([again.status, again.headers.get("location")]).toEqual([303, `/dashboard/projects/${project.id}/sdk-keys`]);
    const [listed] = (await json(call(`/projects/${project.id}/environments/development/sdk-keys`, { token: tenant.key }), 200)).data;
    const revoked = await dash(`${keys}/${listed.id}/revoke`, { cookie, form: { _csrf: csrf } });
    expect(revoked.headers.get("location")).toBe(`/dashboard/projects/${project.id}/sdk-keys?notice=sdk-key-revoked#notice`);
  });
});
