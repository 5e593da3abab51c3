// The dashboard's smaller leaks (issue 11): a `next` or `back` that is not a dashboard path, a
// sign-out that left the cookie usable, and a sign-in page that told an admin token from a bad key.
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { safeNext } from "../src/dashboard/shell/context";
import { ADMIN_TOKEN, call, json, newTenant, setup, type Tenant } from "./helpers";

const ORIGIN = "http://flagpost.test";

function dash(path: string, opts: { cookie?: string; form?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<Response> {
  const headers: Record<string, string> = { ...(opts.cookie ? { cookie: opts.cookie } : {}) };
  if (opts.form) Object.assign(headers, { origin: ORIGIN, "sec-fetch-site": "same-origin", "content-type": "application/x-www-form-urlencoded" });
  Object.assign(headers, opts.headers);
  return exports.default.fetch(`${ORIGIN}${path}`, {
    method: opts.form ? "POST" : "GET",
    headers,
    body: opts.form ? new URLSearchParams(opts.form).toString() : undefined,
    redirect: "manual",
  });
}

function cookieOf(res: Response, suffix: string): string | undefined {
  const line = res.headers.getSetCookie().find((l) => l.split("=")[0].endsWith(suffix));
  return line?.split(";")[0];
}

async function signInForm() {
  const res = await dash("/dashboard/sign-in");
  const token = /name="_csrf" value="([^"]+)"/.exec(await res.text())![1];
  return { cookie: cookieOf(res, "flagpost_sign_in")!, token };
}

async function signIn(t: Tenant) {
  const form = await signInForm();
  const res = await dash("/dashboard/sign-in", { cookie: form.cookie, form: { _csrf: form.token, api_key: t.key, next: "/dashboard" } });
  expect(res.status).toBe(303);
  const cookie = cookieOf(res, "flagpost_session")!;
  const page = await dash("/dashboard", { cookie });
  return { cookie, csrf: /name="_csrf" value="([^"]+)"/.exec(await page.text())![1] };
}

describe("safeNext", () => {
  it.each([
    ["/dashboard/x\r\nSet-Cookie: a=b", "/dashboard"],
    ["/dashboard/x\nLocation: //evil.com", "/dashboard"],
    ["/dashboard/..//evil.com", "/dashboard"],
    ["/dashboard/%2e%2e//evil.com", "/dashboard"],
    ["/dashboard/../api/v1/me", "/dashboard"],
    ["//evil.com/dashboard", "/dashboard"],
    ["/dashboard\\..\\evil", "/dashboard"],
    ["https://evil.com/dashboard", "/dashboard"],
    ["/dashboardx", "/dashboard"],
    ["/dashboard/settings/webhooks?status=failed", "/dashboard/settings/webhooks?status=failed"],
    ["/dashboard", "/dashboard"],
  ])("%j → %j", (next, safe) => {
    expect(safeNext(next)).toBe(safe);
  });
});

describe("redirects stay in the dashboard", () => {
  it("an asset name that is an object's own property (constructor, __proto__) is 404, not a 500", async () => {
    for (const name of ["constructor", "__proto__", "toString", "hasOwnProperty", "no-such.css"]) {
      const res = await dash(`/dashboard/assets/${name}`);
      expect(res.status, name).toBe(404);
      await res.body?.cancel();
    }
    const page = await (await dash("/dashboard/sign-in")).text();
    const stylesheet = /href="(\/dashboard\/assets\/app-[a-z0-9]+\.css)"/.exec(page)![1];
    expect((await dash(stylesheet)).status).toBe(200);
  });

  it("a CR/LF in `next` is no 500", async () => {
    const t = await newTenant();
    const { cookie } = await signIn(t);
    const res = await dash(`/dashboard/sign-in?next=${encodeURIComponent("/dashboard/x\r\nSet-Cookie: a=b")}`, { cookie });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/dashboard");
  });

  it("the Test button's `back` cannot send the browser off-site", async () => {
    const { tenant, project } = await setup();
    const hook = await json(
      call(`/projects/${project.id}/webhooks`, {
        token: tenant.key,
        body: { name: "R", url: `${env.RECEIVER_URL}/ok/${crypto.randomUUID()}`, events: ["flag.toggled"] },
      }),
      201,
    );
    const { cookie, csrf } = await signIn(tenant);
    const res = await dash(`/dashboard/settings/webhooks/${project.id}/${hook.id}/test`, { cookie, form: { _csrf: csrf, back: "/dashboard/..//evil.com" } });
    expect(res.status).toBe(303);
    const location = res.headers.get("location")!;
    expect(location.startsWith("/dashboard")).toBe(true);
    expect(new URL(location, ORIGIN).origin).toBe(ORIGIN);
  });
});

describe("signing in and out", () => {
  it("signing out revokes the session on the server: the old cookie no longer opens a page", async () => {
    const t = await newTenant();
    const { cookie, csrf } = await signIn(t);
    expect((await dash("/dashboard", { cookie })).status).toBe(200);
    expect((await dash("/dashboard/sign-out", { cookie, form: { _csrf: csrf } })).status).toBe(303);
    const replay = await dash("/dashboard", { cookie });
    expect(replay.status).toBe(302);
    expect(replay.headers.get("location")).toMatch(/^\/dashboard\/sign-in/);
    // Another session of the same key is not affected.
    const other = await signIn(t);
    expect((await dash("/dashboard", { cookie: other.cookie })).status).toBe(200);
  });

  it("the sign-in page answers the admin token exactly as it answers an unknown key", async () => {
    const pages = [];
    for (const key of ["fp_wrong", ADMIN_TOKEN]) {
      const form = await signInForm();
      const res = await dash("/dashboard/sign-in", { cookie: form.cookie, form: { _csrf: form.token, api_key: key } });
      expect(res.status).toBe(401);
      const html = await res.text();
      expect(html).not.toMatch(/admin/i);
      pages.push(html.replace(/name="_csrf" value="[^"]+"/, ""));
    }
    expect(pages[1]).toBe(pages[0]);
  });
});

describe("X-D1-Bookmark reaches D1 only when it has D1's shape", () => {
  it.each([
    ["garbage", "first-unconstrained"],
    ["00000000-00000009-00000000-0000000000000000000000000000000\n", "first-unconstrained"],
    ["../../etc", "first-unconstrained"],
    ["00000000-00000009-00000000-00000000000000000000000000000000", "00000000-00000009-00000000-00000000000000000000000000000000"],
  ])("%j opens a session at %j", async (sent, expected) => {
    const { d1Sessions } = await import("../src/kernel/db/sessions");
    const { Hono } = await import("hono");
    const asked: string[] = [];
    const DB = {
      withSession: (at: string) => {
        asked.push(at);
        return { getBookmark: () => null };
      },
    };
    const app = new Hono<any>().use(d1Sessions).get("/", (c) => c.text("ok"));
    const res = await app.request("/", { headers: { "x-d1-bookmark": sent } }, { DB });
    expect(res.status).toBe(200);
    expect(asked).toEqual([expected]);
  });
});

describe("the dashboard's API calls", () => {
  it("carry the browser's address, so its failed sign-ins count against it and no one else", async () => {
    const limited = { ...env, AUTH_FAILURES_PER_MINUTE: "2" } as Env;
    const worker = (await import("../src/index")).default;
    const { createExecutionContext, waitOnExecutionContext } = await import("cloudflare:test");
    const attempt = async (address: string, key: string) => {
      const page = await dash("/dashboard/sign-in");
      const form = { cookie: cookieOf(page, "flagpost_sign_in")!, token: /name="_csrf" value="([^"]+)"/.exec(await page.text())![1] };
      const ctx = createExecutionContext();
      const res = await worker.fetch(
        new Request(`${ORIGIN}/dashboard/sign-in`, {
          method: "POST",
          redirect: "manual",
          headers: {
            cookie: form.cookie,
            origin: ORIGIN,
            "sec-fetch-site": "same-origin",
            "content-type": "application/x-www-form-urlencoded",
            "cf-connecting-ip": address,
          },
          body: new URLSearchParams({ _csrf: form.token, api_key: key, next: "/dashboard" }).toString(),
        }),
        limited,
        ctx,
      );
      await waitOnExecutionContext(ctx);
      return res.status;
    };
    const t = await newTenant();
    for (let i = 0; i < 3; i++) await attempt("192.0.2.200", `fp_guess-${i}`);
    expect(await attempt("192.0.2.200", "fp_guess-3")).toBe(429);
    expect(await attempt("192.0.2.201", "fp_guess-4")).not.toBe(429);
    // v1.2: the guesses are throttled, not the address; a live key from it signs in.
    expect(await attempt("192.0.2.200", t.key)).toBe(303);
  });
});

describe("an organization with more than 100 projects", () => {
  it("gets its home page and Settings › Webhooks (both ask the API for 200 projects)", async () => {
    const t = await newTenant();
    for (let i = 0; i < 101; i += 10)
      await Promise.all(
        Array.from({ length: Math.min(10, 101 - i) }, (_, j) =>
          json(call("/projects", { token: t.key, body: { key: `p-${i + j}`, name: `Project ${i + j}` } }), 201),
        ),
      );
    // One webhook, so that Settings › Webhooks lists every project's section (an empty page shows only how to start).
    await json(call("/webhooks", { token: t.key, body: { name: "Audit", url: "https://example.com/hook", events: ["flag.created"] } }), 201);
    const { cookie } = await signIn(t);
    for (const page of ["/dashboard", "/dashboard/settings/webhooks"]) {
      const res = await dash(page, { cookie });
      expect(res.status, page).toBe(200);
      expect(await res.text()).toContain("Project 100");
    }
  });
});
