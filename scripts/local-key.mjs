// Waits for the local server, then makes sure there is a local organization, user and API key, and
// prints how to use them. The key is kept beside the local database so a restart shows the same one.
import fs from "node:fs";
import path from "node:path";

const [base, adminToken, stateDir] = process.argv.slice(2);
const file = path.join(stateDir, "flagpost-local-key.json");

async function call(pathname, { token, body } = {}) {
  const res = await fetch(base + pathname, {
    method: body ? "POST" : "GET",
    headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}

async function waitForServer() {
  for (let i = 0; i < 600; i++) {
    try {
      const res = await fetch(`${base}/api/v1/openapi.json`);
      if (res.ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("the local server did not come up within a minute");
}

async function localKey() {
  if (fs.existsSync(file)) {
    const saved = JSON.parse(fs.readFileSync(file, "utf8"));
    if ((await call("/api/v1/me", { token: saved.key })).status === 200) return saved;
  }
  const org = await call("/api/v1/admin/orgs", { token: adminToken, body: { name: "Local" } });
  if (org.status !== 201) throw new Error(`could not create the local organization (${org.status}): is ADMIN_TOKEN right?`);
  const user = await call(`/api/v1/admin/orgs/${org.body.id}/users`, { token: adminToken, body: { email: "dev@localhost.test", name: "Local developer" } });
  const key = await call(`/api/v1/admin/users/${user.body.id}/api-keys`, { token: adminToken, body: { name: "local" } });
  const saved = { key: key.body.key, email: user.body.email, org: org.body.name };
  fs.mkdirSync(stateDir, { recursive: true });
  fs.writeFileSync(file, JSON.stringify(saved, null, 2));
  return saved;
}

await waitForServer();
const saved = await localKey();
console.log(`
  Flagpost is running at ${base}
    Dashboard      ${base}/dashboard   (sign in with the API key below)
    API            ${base}/api/v1      (reference: ${base}/docs)
    API key        ${saved.key}   (${saved.email}, organization "${saved.org}")
    Admin token    ${adminToken}

  Try:  curl -H "Authorization: Bearer ${saved.key}" ${base}/api/v1/me
`);
