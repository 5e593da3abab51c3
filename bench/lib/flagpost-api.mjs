// A small client for Flagpost's public API (CONTRACT.md), used to set up benchmark and fault runs.
// Requests go through Node's fetch (undici), keep-alive, to 127.0.0.1 only.

export function flagpostClient(base, token) {
  async function call(method, path, body, { expect } = {}) {
    const res = await fetch(`${base}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    const json = text ? JSON.parse(text) : null;
    if (expect !== undefined && res.status !== expect) throw new Error(`${method} ${path} answered ${res.status}, expected ${expect}: ${text.slice(0, 300)}`);
    return { status: res.status, body: json };
  }

  /** Every item of a paginated list. */
  async function all(path) {
    const items = [];
    let cursor = null;
    do {
      const sep = path.includes("?") ? "&" : "?";
      const { body } = await call("GET", `${path}${sep}limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`, undefined, { expect: 200 });
      items.push(...body.data);
      cursor = body.next_cursor;
    } while (cursor);
    return items;
  }

  return {
    call,
    all,
    createProject: async (key) => (await call("POST", "/projects", { key, name: key }, { expect: 201 })).body,
    createFlag: async (projectId, key) => (await call("POST", `/projects/${projectId}/flags`, { key, name: key }, { expect: 201 })).body,
    createWebhook: async (projectId, url, extra = {}) =>
      (
        await call(
          "POST",
          `/projects/${projectId}/webhooks`,
          { name: url.slice(-60), url, events: ["flag.toggled"], secret: "bench-secret", ...extra },
          { expect: 201 },
        )
      ).body,
    toggle: (projectId, flag, enabled, env = "production") =>
      call("PATCH", `/projects/${projectId}/flags/${flag}/environments/${env}`, { enabled }, { expect: 200 }),
  };
}

/** A fresh organization, user and API key through the admin API; answers the key. */
export async function createApiKey(base, adminToken, name) {
  const admin = flagpostClient(base, adminToken);
  const org = (await admin.call("POST", "/admin/orgs", { name }, { expect: 201 })).body;
  const user = (await admin.call("POST", `/admin/orgs/${org.id}/users`, { email: `${name}@bench.test`, name }, { expect: 201 })).body;
  return (await admin.call("POST", `/admin/users/${user.id}/api-keys`, { name }, { expect: 201 })).body.key;
}
