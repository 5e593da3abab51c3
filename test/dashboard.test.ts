// The dashboard's session and CSRF rules, at the route level: who gets in, what the cookie holds,
// which form posts are believed. The browser journey itself is test/e2e (a real Chromium).
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { diffLines } from "../src/dashboard/flags/line-diff";
import { sealSession, SESSION_TTL_SECONDS } from "../src/dashboard/shell/session";
import { ADMIN_TOKEN, call, json, newFlag, newTenant, setup, type Tenant } from "./helpers";

const ORIGIN = "http://flagpost.test";

interface DashOptions {
  method?: string;
  cookie?: string;
  form?: Record<string, string>;
  headers?: Record<string, string>;
  origin?: string;
}

/** A browser-like request: form posts carry the page's Origin and Sec-Fetch-Site unless told otherwise. */
function dash(path: string, opts: DashOptions = {}): Promise<Response> {
  const origin = opts.origin ?? ORIGIN;
  const method = opts.method ?? (opts.form ? "POST" : "GET");
  const headers: Record<string, string> = { ...(opts.cookie ? { cookie: opts.cookie } : {}) };
  if (method === "POST") Object.assign(headers, { origin, "sec-fetch-site": "same-origin", "content-type": "application/x-www-form-urlencoded" });
  Object.assign(headers, opts.headers);
  for (const [name, value] of Object.entries(headers)) if (value === "") delete headers[name];
  const body = opts.form ? new URLSearchParams(opts.form).toString() : undefined;
  return exports.default.fetch(`${origin}${path}`, { method, headers, body, redirect: "manual" });
}

/** `name=value` pairs of a response's Set-Cookie headers, by name, with their attributes. */
function setCookies(res: Response): Map<string, { value: string; attributes: string }> {
  const cookies = new Map<string, { value: string; attributes: string }>();
  for (const line of res.headers.getSetCookie()) {
    const [pair, ...attributes] = line.split(";");
    const eq = pair.indexOf("=");
    cookies.set(pair.slice(0, eq).trim(), { value: decodeURIComponent(pair.slice(eq + 1)), attributes: attributes.join(";").trim() });
  }
  return cookies;
}

function csrfIn(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match) throw new Error("no CSRF field in the page");
  return match[1];
}

/** Opens the sign-in page: its nonce cookie and the token of its form. */
async function signInForm(origin = ORIGIN) {
  const res = await dash("/dashboard/sign-in", { origin });
  const nonce = [...setCookies(res)].find(([name]) => name.endsWith("flagpost_sign_in"));
  if (!nonce) throw new Error("no sign-in cookie");
  return { cookie: `${nonce[0]}=${nonce[1].value}`, token: csrfIn(await res.text()) };
}

/** Signs in through the form; answers the session cookie and a page's CSRF token. */
async function signIn(t: Tenant) {
  const form = await signInForm();
  const res = await dash("/dashboard/sign-in", { cookie: form.cookie, form: { _csrf: form.token, api_key: t.key, next: "/dashboard" } });
  expect(res.status).toBe(303);
  const session = setCookies(res).get("flagpost_session");
  if (!session) throw new Error("no session cookie");
  const cookie = `flagpost_session=${session.value}`;
  const page = await dash("/dashboard", { cookie });
  expect(page.status).toBe(200);
  return { cookie, csrf: csrfIn(await page.text()) };
}

async function stateOf(t: Tenant, projectId: string, flagKey: string) {
  return json(call(`/projects/${projectId}/flags/${flagKey}/environments/production`, { token: t.key }), 200);
}

describe("dashboard session", () => {
  it("sends a visitor without a session to sign in, remembering the page", async () => {
    const res = await dash("/dashboard/settings/webhooks?status=failed");
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe(`/dashboard/sign-in?next=${encodeURIComponent("/dashboard/settings/webhooks?status=failed")}`);
  });

  it("signs in into an HttpOnly, Secure, SameSite, expiring cookie that does not reveal the key", async () => {
    const t = await newTenant("Session Org");
    const form = await signInForm();
    const res = await dash("/dashboard/sign-in", { cookie: form.cookie, form: { _csrf: form.token, api_key: t.key, next: "/dashboard/settings/webhooks" } });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/dashboard/settings/webhooks");
    const session = setCookies(res).get("flagpost_session");
    expect(session).toBeDefined();
    const attributes = session!.attributes.toLowerCase().split(/;\s*/);
    expect(attributes).toEqual(expect.arrayContaining(["httponly", "secure", "samesite=lax", "path=/", `max-age=${SESSION_TTL_SECONDS}`]));
    expect(session!.value).not.toContain(t.key);
    expect(session!.value).not.toContain(t.key.slice(3, 20));
    const home = await dash("/dashboard", { cookie: `flagpost_session=${session!.value}` });
    expect(home.status).toBe(200);
    const html = await home.text();
    expect(html).toContain("Session Org");
    expect(html).not.toContain(t.key);
  });

  it("uses __Host- cookies over https", async () => {
    const form = await signInForm("https://flagpost.test");
    expect(form.cookie.startsWith("__Host-flagpost_sign_in=")).toBe(true);
    const t = await newTenant();
    const res = await dash("/dashboard/sign-in", {
      origin: "https://flagpost.test",
      cookie: form.cookie,
      form: { _csrf: form.token, api_key: t.key, next: "/dashboard" },
    });
    expect(res.status).toBe(303);
    expect(setCookies(res).get("__Host-flagpost_session")?.attributes).toMatch(/Path=\/;.*Secure/);
  });

  it("refuses a wrong key and the admin token with 401 and no session", async () => {
    for (const [key, says] of [
      ["fp_wrong", "was not recognised"],
      [ADMIN_TOKEN, "was not recognised"],
    ]) {
      const form = await signInForm();
      const res = await dash("/dashboard/sign-in", { cookie: form.cookie, form: { _csrf: form.token, api_key: key } });
      expect(res.status).toBe(401);
      expect(await res.text()).toContain(says);
      expect(setCookies(res).has("flagpost_session")).toBe(false);
    }
  });

  it.each([
    ["a changed signature", (v: string) => v.slice(0, -2) + (v.endsWith("AA") ? "BB" : "AA")],
    ["a later expiry", (v: string) => v.replace(/^v1\.(\d+)\./, (_, s) => `v1.${Number(s) + 86_400}.`)],
    ["another session id", (v: string) => v.replace(/^(v1\.\d+\.)[^.]+/, "$1AAAAAAAAAAAAAAAAAAAAAA")],
    ["a changed ciphertext", (v: string) => v.replace(/^(v1\.\d+\.[^.]+\.)(.)/, (_, head, ch) => head + (ch === "A" ? "B" : "A"))],
    ["no signature", (v: string) => v.split(".").slice(0, 4).join(".")],
    ["garbage", () => "not-a-session"],
  ])("refuses a session cookie with %s and clears it", async (_, tamper) => {
    const t = await newTenant();
    const { cookie } = await signIn(t);
    const res = await dash("/dashboard/settings/webhooks", { cookie: `flagpost_session=${tamper(cookie.split("=")[1])}` });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toMatch(/^\/dashboard\/sign-in\?notice=session-ended/);
    expect(setCookies(res).get("flagpost_session")?.attributes).toContain("Max-Age=0");
  });

  it("refuses an expired session", async () => {
    const t = await newTenant();
    const expired = await sealSession(env, t.key, Date.now() - (SESSION_TTL_SECONDS + 60) * 1000);
    const fresh = await sealSession(env, t.key, Date.now() - (SESSION_TTL_SECONDS - 60) * 1000);
    expect((await dash("/dashboard", { cookie: `flagpost_session=${expired}` })).status).toBe(302);
    expect((await dash("/dashboard", { cookie: `flagpost_session=${fresh}` })).status).toBe(200);
  });

  it("shows only the key's organization: another organization's project and webhook are 404", async () => {
    const mine = await newTenant("Mine");
    const { tenant: theirs, project } = await setup();
    const hook = await json(
      call(`/projects/${project.id}/webhooks`, { token: theirs.key, body: { name: "Theirs", url: `${env.RECEIVER_URL}/ok/x`, events: ["flag.toggled"] } }),
      201,
    );
    const { cookie } = await signIn(mine);
    for (const path of [
      `/dashboard/projects/${project.id}`,
      `/dashboard/projects/${project.id}/changes`,
      `/dashboard/settings/webhooks/${project.id}/${hook.id}`,
    ]) {
      const res = await dash(path, { cookie });
      expect(res.status, path).toBe(404);
      const html = await res.text();
      expect(html).not.toContain(project.key);
      expect(html).not.toContain("Theirs");
    }
  });

  it("answers 404 for a URL that names no id or key, so no parameter can walk to another API route", async () => {
    const { tenant, project } = await setup();
    const flag = await newFlag(tenant, project.id);
    const { cookie, csrf } = await signIn(tenant);
    for (const path of [
      "/dashboard/projects/not-an-id",
      `/dashboard/settings/webhooks/${project.id}/not-an-id`,
      `/dashboard/settings/webhooks/elsewhere/${crypto.randomUUID()}`,
    ]) {
      expect((await dash(path, { cookie })).status, path).toBe(404);
    }
    const walk = await dash(`/dashboard/projects/${project.id}/flags/%252E%252E/environments/production`, {
      cookie,
      form: { _csrf: csrf, enabled: "true", version: "1" },
    });
    expect(walk.status).toBe(404);
    expect(walk.headers.get("content-type")).toContain("text/html");
    expect((await stateOf(tenant, project.id, flag.key)).enabled).toBe(false);
  });

  it("signs out: the cookie is cleared", async () => {
    const t = await newTenant();
    const { cookie, csrf } = await signIn(t);
    const res = await dash("/dashboard/sign-out", { cookie, form: { _csrf: csrf } });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/dashboard/sign-in?notice=signed-out");
    expect(setCookies(res).get("flagpost_session")?.attributes).toContain("Max-Age=0");
  });

  it("sends pages that cannot be framed, cached or sniffed", async () => {
    const t = await newTenant();
    const { cookie } = await signIn(t);
    const res = await dash("/dashboard", { cookie });
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    expect(res.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  });
});

describe("dashboard CSRF", () => {
  async function toggleFixture() {
    const { tenant, project } = await setup();
    const flag = await newFlag(tenant, project.id);
    const { cookie, csrf } = await signIn(tenant);
    const path = `/dashboard/projects/${project.id}/flags/${flag.key}/environments/production`;
    return { tenant, project, flag, cookie, csrf, path, form: { enabled: "true", version: "1", confirm: "production" } };
  }

  it("carries out a form post with the session's token from this origin", async () => {
    const f = await toggleFixture();
    const res = await dash(f.path, { cookie: f.cookie, form: { ...f.form, _csrf: f.csrf } });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toContain(`notice=flag-on&flag=${f.flag.key}&env=production`);
    expect((await stateOf(f.tenant, f.project.id, f.flag.key)).enabled).toBe(true);
  });

  it.each([
    ["no token", {}, {}],
    ["a wrong token", { _csrf: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" }, {}],
    ["another origin", "valid", { origin: "https://evil.example" }],
    ["Origin null", "valid", { origin: "null" }],
    ["Sec-Fetch-Site cross-site", "valid", { "sec-fetch-site": "cross-site" }],
    ["Sec-Fetch-Site same-site (a sibling subdomain)", "valid", { "sec-fetch-site": "same-site" }],
  ] as const)("refuses a form post with %s, changing nothing", async (_, token, headers) => {
    const f = await toggleFixture();
    const tokenField = token === "valid" ? { _csrf: f.csrf } : token;
    const res = await dash(f.path, { cookie: f.cookie, form: { ...f.form, ...tokenField }, headers: { ...headers } });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain("Request refused");
    expect((await stateOf(f.tenant, f.project.id, f.flag.key)).enabled).toBe(false);
  });

  it("refuses the token of another session, even of the same key", async () => {
    const f = await toggleFixture();
    const other = await signIn(f.tenant);
    expect(other.csrf).not.toBe(f.csrf);
    const res = await dash(f.path, { cookie: f.cookie, form: { ...f.form, _csrf: other.csrf } });
    expect(res.status).toBe(403);
    expect((await stateOf(f.tenant, f.project.id, f.flag.key)).enabled).toBe(false);
  });

  it("accepts a post without Origin or Sec-Fetch-Site when the token is right (older browsers)", async () => {
    const f = await toggleFixture();
    const res = await dash(f.path, { cookie: f.cookie, form: { ...f.form, _csrf: f.csrf }, headers: { origin: "", "sec-fetch-site": "" } });
    expect(res.status).toBe(303);
  });

  it("protects signing in: the nonce cookie and its token must match, from this origin", async () => {
    const t = await newTenant();
    const form = await signInForm();
    const other = await signInForm();
    const attempts: [string, DashOptions][] = [
      ["no nonce cookie", { form: { _csrf: form.token, api_key: t.key } }],
      ["another nonce's token", { cookie: form.cookie, form: { _csrf: other.token, api_key: t.key } }],
      [
        "another origin",
        { cookie: form.cookie, form: { _csrf: form.token, api_key: t.key }, headers: { origin: "http://evil.test", "sec-fetch-site": "cross-site" } },
      ],
    ];
    for (const [what, opts] of attempts) {
      const res = await dash("/dashboard/sign-in", opts);
      expect(res.status, what).toBe(403);
      expect(setCookies(res).has("flagpost_session"), what).toBe(false);
    }
  });

  it("answers the inline Test button with JSON, and refuses it without the token", async () => {
    const { tenant, project } = await setup();
    const hook = await json(
      call(`/projects/${project.id}/webhooks`, {
        token: tenant.key,
        body: { name: "R", url: `${env.RECEIVER_URL}/ok/${crypto.randomUUID()}`, events: ["flag.toggled"] },
      }),
      201,
    );
    const { cookie, csrf } = await signIn(tenant);
    const path = `/dashboard/settings/webhooks/${project.id}/${hook.id}/test`;
    const refused = await dash(path, { cookie, form: {}, headers: { accept: "application/json" } });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toHaveProperty("error");
    const res = await dash(path, { cookie, form: { _csrf: csrf }, headers: { accept: "application/json" } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ success: true, status_code: 200, response_time_ms: expect.any(Number) });
    const fallback = await dash(path, { cookie, form: { _csrf: csrf, back: `/dashboard/settings/webhooks/${project.id}/${hook.id}` } });
    expect(fallback.status).toBe(303);
    expect(fallback.headers.get("location")).toMatch(/\?test=success&status=200&ms=\d+$/);
  });
});

describe("code-like diff", () => {
  it.each([
    ["identical", "a\nb", "a\nb", [" a", " b"]],
    ["created", "", "Live (value: true)", ["+Live (value: true)"]],
    ["deleted", "Off (inactive)", "", ["-Off (inactive)"]],
    ["replaced, old line first", "Off (inactive)", "Live (value: true)", ["-Off (inactive)", "+Live (value: true)"]],
    [
      "a block inserted",
      "IF\n  x\nTHEN\n  Live\nELSE\n  Off",
      "IF\n  x\nTHEN\n  Live\nELSE IF\n  y\nTHEN\n  Live\nELSE\n  Off",
      [" IF", "   x", " THEN", "   Live", "+ELSE IF", "+  y", "+THEN", "+  Live", " ELSE", "   Off"],
    ],
    ["a changed line in the middle", "IF\n  a\nTHEN", "IF\n  b\nTHEN", [" IF", "-  a", "+  b", " THEN"]],
  ])("%s", (_, before, after, expected) => {
    const sign = { same: " ", removed: "-", added: "+" } as const;
    expect(diffLines(before, after).map((line) => sign[line.kind] + line.text)).toEqual(expected);
  });
});
