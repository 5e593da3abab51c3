// The dashboard's SDK keys page: the project's revision, each environment's keys, a new key shown
// once, revoking one; through the API in-process, so the key works at once and stops at once.
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, json, newFlag, setup, type Tenant } from "./helpers";
import { ofrep } from "./serve-helpers";

const ORIGIN = "http://flagpost.test";

function dash(path: string, opts: { cookie?: string; form?: Record<string, string> } = {}): Promise<Response> {
  const headers: Record<string, string> = opts.cookie ? { cookie: opts.cookie } : {};
  if (opts.form) Object.assign(headers, { origin: ORIGIN, "sec-fetch-site": "same-origin", "content-type": "application/x-www-form-urlencoded" });
  return exports.default.fetch(`${ORIGIN}${path}`, {
    method: opts.form ? "POST" : "GET",
    headers,
    body: opts.form ? new URLSearchParams(opts.form).toString() : undefined,
    redirect: "manual",
  });
}

const csrfIn = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)![1];

async function signIn(t: Tenant): Promise<string> {
  const form = await dash("/dashboard/sign-in");
  const nonce = form.headers
    .getSetCookie()
    .map((l) => l.split(";")[0])
    .find((p) => p.split("=")[0].endsWith("flagpost_sign_in"))!;
  const res = await dash("/dashboard/sign-in", { cookie: nonce, form: { _csrf: csrfIn(await form.text()), api_key: t.key, next: "/dashboard" } });
  expect(res.status).toBe(303);
  return res.headers
    .getSetCookie()
    .map((l) => l.split(";")[0])
    .find((p) => p.startsWith("flagpost_session="))!;
}

describe("dashboard: SDK keys", () => {
  it("shows the revision, creates a key shown once, lists it without the key, and revokes it", async () => {
    const { tenant, project } = await setup();
    await newFlag(tenant, project.id, { key: "checkout" });
    const cookie = await signIn(tenant);
    const page = await dash(`/dashboard/projects/${project.id}/sdk-keys`, { cookie });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html, html.slice(html.indexOf("Revision") - 100, html.indexOf("Revision") + 200)).toMatch(/<strong data-revision[^>]*>1<\/strong>/);
    expect(html).toContain("development");
    expect(html).toContain("No SDK keys yet.");

    const created = await dash(`/dashboard/projects/${project.id}/environments/production/sdk-keys`, {
      cookie,
      form: { _csrf: csrfIn(html), name: "web app", kind: "client" },
    });
    expect(created.status).toBe(200);
    const createdHtml = await created.text();
    const key = /<pre data-sdk-key[^>]*>(fpsdk_client_[^<]+)<\/pre>/.exec(createdHtml)?.[1];
    expect(key).toBeDefined();
    expect((await ofrep(key!, "checkout")).status).toBe(200);

    const again = await (await dash(`/dashboard/projects/${project.id}/sdk-keys`, { cookie })).text();
    expect(again).toContain("web app");
    expect(again).not.toContain(key!);
    const revoke = /action="([^"]+\/revoke)"/.exec(again)![1];
    const revoked = await dash(revoke, { cookie, form: { _csrf: csrfIn(again) } });
    expect(revoked.status).toBe(303);
    expect((await ofrep(key!, "checkout")).status).toBe(401);
    expect(await (await dash(`/dashboard/projects/${project.id}/sdk-keys`, { cookie })).text()).not.toContain("web app");
  });

  it("a new-key form sent again (the answer page reloaded) makes no second key; a new page's form does", async () => {
    const { tenant, project } = await setup();
    const cookie = await signIn(tenant);
    const formOf = async () => {
      const html = await (await dash(`/dashboard/projects/${project.id}/sdk-keys`, { cookie })).text();
      const form = html.slice(html.indexOf(`action="/dashboard/projects/${project.id}/environments/production/sdk-keys"`));
      return { _csrf: csrfIn(html), once: /name="once" value="([^"]+)"/.exec(form)![1], name: "web app", kind: "server" };
    };
    const path = `/dashboard/projects/${project.id}/environments/production/sdk-keys`;
    const fields = await formOf();
    const first = await dash(path, { cookie, form: fields });
    expect(first.status).toBe(200);
    const spent = first.headers
      .getSetCookie()
      .find((l) => l.startsWith("flagpost_once="))!
      .split(";")[0];
    const again = await dash(path, { cookie: `${cookie}; ${spent}`, form: fields });
    expect([again.status, again.headers.get("location")]).toEqual([303, `/dashboard/projects/${project.id}/sdk-keys?notice=already-sent#notice`]);
    const keys = async () => (await json(call(`/projects/${project.id}/environments/production/sdk-keys`, { token: tenant.key }), 200)).data;
    expect(await keys()).toHaveLength(1);
    const fresh = await dash(path, { cookie: `${cookie}; ${spent}`, form: await formOf() });
    expect(fresh.status).toBe(200);
    expect(await keys()).toHaveLength(2);
  });

  it("answers 404 for another organization's project", async () => {
    const { tenant } = await setup();
    const other = await setup();
    const cookie = await signIn(tenant);
    expect((await dash(`/dashboard/projects/${other.project.id}/sdk-keys`, { cookie })).status).toBe(404);
  });
});
