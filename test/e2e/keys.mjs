// Keys, walked in the browser: a project's revision, an SDK key made for one environment (shown once,
// then evaluating through OFREP) and revoked (then refused), and the person's API keys listed and one
// revoked (then refused by the API).
import { expect, see } from "./authoring.mjs";

async function apiCall(base, method, path, token, body) {
  const res = await fetch(`${base}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body && JSON.stringify(body),
  });
  return { status: res.status, body: res.status === 204 ? null : await res.json() };
}

async function evaluate(base, sdkKey, flagKey) {
  const res = await fetch(`${base}/ofrep/v1/evaluate/flags/${flagKey}`, {
    method: "POST",
    headers: { authorization: `Bearer ${sdkKey}`, "content-type": "application/json" },
    body: JSON.stringify({ context: { targetingKey: "user-1" } }),
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}

export function keySteps({ base, key, state, getPage, shot }) {
  return [
    {
      name: "a project's revision, and an SDK key made in production: shown once, evaluating through OFREP, then revoked and refused",
      async run() {
        const page = getPage();
        await page.goto(state.projectUrl);
        const project = await apiCall(base, "GET", `/projects/${state.projectId}`, key);
        await see(page.locator("[data-revision]", { hasText: String(project.body.revision) }), `revision ${project.body.revision} on the project page`);
        await page.getByRole("link", { name: "Environments & SDK keys" }).click();
        const production = page.locator("#env-production");
        await production.getByLabel("Name").fill("Web storefront");
        await production.getByLabel("Kind").selectOption("client");
        await production.getByRole("button", { name: "Create SDK key" }).click();
        await see(page.getByText("Copy it now: it is shown only this once."), "the shown-once warning");
        const sdkKey = (await page.locator("#created-sdk-key").textContent()).trim();
        await shot("sdk-keys");
        const answer = await evaluate(base, sdkKey, "new-checkout");
        expect(answer.status === 200 && answer.body.key === "new-checkout", `OFREP with the new key: ${answer.status} ${JSON.stringify(answer.body)}`);
        await page.getByRole("link", { name: "I have copied it" }).click();
        await see(page.locator("#env-production").getByText("Web storefront"), "the new key listed by name");
        expect(!(await page.content()).includes(sdkKey), "the SDK key is shown again");
        page.once("dialog", (dialog) => dialog.accept());
        await page.getByRole("button", { name: "Revoke the SDK key Web storefront of production" }).click();
        await see(page.getByText("SDK key revoked"), "the revoked notice");
        const refused = await evaluate(base, sdkKey, "new-checkout");
        expect(refused.status === 401, `OFREP with the revoked key: ${refused.status}`);
      },
    },
    {
      name: "Settings › API keys lists the person's keys and revokes one, which the API then refuses",
      async run() {
        const page = getPage();
        const me = await apiCall(base, "GET", "/me", key);
        const made = await apiCall(base, "POST", `/admin/users/${me.body.user.id}/api-keys`, "flagpost-local-admin", { name: "Old CI runner" });
        expect(made.status === 201, `the admin could not make a key: ${made.status}`);
        await page.getByRole("link", { name: "API keys" }).click();
        await see(page.getByRole("heading", { name: "API keys" }), "the API keys page");
        const row = page.locator(`#api-key-${made.body.id}`);
        await see(row.getByText("Old CI runner"), "the new key listed by name");
        expect(!(await page.content()).includes(made.body.key), "a key's text is shown");
        await shot("api-keys");
        page.once("dialog", (dialog) => {
          state.revokeQuestion = dialog.message();
          dialog.accept();
        });
        await row.getByRole("button", { name: "Revoke the API key Old CI runner" }).click();
        await see(page.getByText("API key revoked"), "the revoked notice");
        expect(/If you signed in with it, you are signed out/.test(state.revokeQuestion ?? ""), `the question: ${state.revokeQuestion}`);
        expect(!(await page.locator(`#api-key-${made.body.id}`).count()), "the revoked key is still listed");
        expect((await apiCall(base, "GET", "/me", made.body.key)).status === 401, "the API still takes the revoked key");
      },
    },
  ];
}
