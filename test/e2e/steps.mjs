// The dashboard, used as a newcomer would: sign in with the printed key, create a project, a flag and
// a webhook pointing at a receiver on 127.0.0.1, press Test, toggle the flag, find the delivery, open
// it, check its signature against what the receiver got, and redeliver it. Each step is one check a
// person would make; screenshots of the real pages go to test-results/screenshots (or E2E_SCREENSHOTS).
import { createHmac } from "node:crypto";
import path from "node:path";
import { authoringSteps, expect, see } from "./authoring.mjs";
import { ROOT } from "./harness.mjs";
import { healthSteps } from "./health.mjs";
import { keySteps } from "./keys.mjs";
import { propagationSteps } from "./propagation.mjs";
import { revertSteps } from "./revert.mjs";
import { truthSteps } from "./truth.mjs";
import { waitingSteps } from "./waiting.mjs";
import { webhookPageSteps } from "./webhook-pages.mjs";

const SECRET = "e2e-signing-secret";
const CUSTOM_HEADER_VALUE = "Bearer team-payments-2f9c";
// The screenshots of docs/ are refreshed on request (E2E_SCREENSHOTS=docs/screenshots npm run test:e2e);
// an ordinary run keeps its pictures in test-results/, so it leaves the working tree as it was.
const SHOTS = path.resolve(ROOT, process.env.E2E_SCREENSHOTS ?? "test-results/screenshots");

const sign = (body) => `sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`;

export function dashboardSteps({ flagpost, receiver, context }) {
  const { base, key } = flagpost;
  let page;
  const state = {};
  const shot = (name, options = {}) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), ...options });

  return [
    {
      name: "the dashboard sends a stranger to sign in, and a wrong key gets a clear error",
      async run() {
        page = await context.newPage();
        await page.goto(`${base}/dashboard`);
        expect(new URL(page.url()).pathname === "/dashboard/sign-in", `expected the sign-in page, got ${page.url()}`);
        await shot("sign-in");
        await page.getByLabel("API key").fill("fp_not-a-real-key");
        await page.getByRole("button", { name: "Sign in" }).click();
        await see(page.getByRole("alert").filter({ hasText: "was not recognised" }), "the wrong-key error");
      },
    },
    {
      name: "signs in with the printed key, by keyboard, into an HttpOnly, Secure, SameSite session cookie",
      async run() {
        await page.getByLabel("API key").focus();
        await page.keyboard.type(key);
        await page.keyboard.press("Enter");
        await see(page.getByRole("heading", { name: "Projects" }), "the projects page");
        await see(page.getByText("dev@localhost.test"), "who is signed in");
        const session = (await context.cookies(base)).find((c) => c.name === "flagpost_session");
        expect(session, "no session cookie was stored");
        expect(session.httpOnly && session.secure && session.sameSite === "Lax", `cookie flags: ${JSON.stringify(session)}`);
        expect(!session.value.includes(key) && !decodeURIComponent(session.value).includes(key), "the API key is readable in the cookie");
        const stored = await page.evaluate(() => [localStorage.length, sessionStorage.length, document.cookie]);
        expect(stored[0] === 0 && stored[1] === 0, "something was put in web storage");
        expect(!stored[2].includes("flagpost_session"), "the session cookie is readable by scripts");
      },
    },
    {
      name: "creates a project and a flag from the empty states, the keys following the names as they are typed",
      async run() {
        await page.getByLabel(/^Name/).pressSequentially("Web shop");
        expect((await page.getByLabel("Key").inputValue()) === "web-shop", "the project key did not follow its name");
        await page.getByLabel("Key").fill("web");
        await page.getByRole("button", { name: "Create project" }).click();
        await see(page.getByText("Project created"), "the project-created notice");
        state.projectUrl = page.url().split("?")[0];
        state.projectId = state.projectUrl.split("/").pop();
        await see(page.getByText("No flags yet"), "the no-flags empty state");
        await page.getByRole("link", { name: "Create the first flag" }).click();
        await page.locator("#flag-name").pressSequentially("New checkout");
        expect((await page.getByLabel("Key").inputValue()) === "new-checkout", "the flag key did not follow its name");
        await page.getByLabel("Description (optional)").first().fill("The one-page checkout");
        await page.getByRole("button", { name: "Create flag" }).last().click();
        await see(page.getByText("Flag created"), "the flag-created notice");
        await see(page.getByRole("heading", { name: "New checkout" }), "the flag's page");
        expect((await page.locator(".env-card .pill", { hasText: "Off" }).count()) === 2, "the new flag is not off in both environments");
      },
    },
    {
      name: "creates a project webhook with a secret and a custom header, pointing at the receiver",
      async run() {
        await page.getByRole("link", { name: "Settings › Webhooks" }).click();
        await see(page.getByText("No webhooks yet"), "the no-webhooks empty state");
        const creates = await page.getByRole("link", { name: /New webhook|Add a webhook here|Create a webhook/ }).count();
        expect(creates === 1, `an empty Webhooks page offers ${creates} create buttons, not one`);
        await page.getByRole("link", { name: "Create a webhook" }).click();
        await page.getByLabel("Project Web shop").check();
        await page.getByLabel(/^Name/).fill("Receiver");
        await page.getByLabel("URL").fill(`${receiver.base}/hooks/ok/main`);
        await page.getByLabel("Secret (optional)").fill(SECRET);
        await page.getByLabel("Custom headers (optional)").fill(`X-Team: ${CUSTOM_HEADER_VALUE}`);
        await shot("webhook-form", { fullPage: true });
        await page.getByRole("button", { name: "Create webhook" }).click();
        await see(page.getByText("Webhook created"), "the webhook-created notice");
        await see(page.getByText("Set: requests are signed"), "the secret shown as set, never its value");
        expect(!(await page.content()).includes(SECRET), "the secret appears in the page");
        state.webhookUrl = page.url().split("?")[0];
      },
    },
    {
      name: "the Test button shows success, status code and response time inline, and the request is signed",
      async run() {
        await page.getByRole("button", { name: "Send a test request to Receiver" }).click();
        const output = page.locator("output.result");
        await see(output.filter({ hasText: /✓ Success · HTTP 200 · \d+ ms/ }), "the inline test result");
        const hit = await receiver.waitFor((r) => r.headers["x-rollgate-event"] === "webhook.test");
        expect(hit.headers["x-rollgate-signature"] === sign(hit.body), "the test request's signature does not verify");
        expect(hit.headers["x-team"] === CUSTOM_HEADER_VALUE, "the custom header was not sent");
        await see(page.locator("#history tbody tr", { hasText: "webhook.test" }), "the test delivery in the history, without a reload");
        await shot("webhook");
      },
    },
    {
      name: "turns the flag on in production (after a confirmation), sets a 50% rollout and a condition in the editor",
      async run() {
        await page.goto(state.projectUrl);
        const row = page.locator("#flag-new-checkout");
        await row.getByRole("button", { name: "Turn on New checkout in production" }).click();
        await see(page.getByText("Turn on New checkout in production?"), "the production confirmation");
        await see(page.locator(".diff .added", { hasText: "Live (value: true)" }), "what it will serve, after");
        await see(page.getByText(/1,000 of 1,000 sample users would be served another variation: Off → Live: 1,000\./), "the what-if over the sample users");
        await shot("confirm-production");
        await page.getByLabel("Reason (optional)").fill("Launch day");
        await page.getByRole("button", { name: "Yes, change production" }).click();
        await see(
          page.locator("#flag-new-checkout td[data-env=production] [role=status]", { hasText: "Turned on new-checkout in production." }),
          "the notice beside the button",
        );
        const focused = await page
          .waitForFunction(() => document.activeElement?.getAttribute("aria-label") === "Turn off New checkout in production", null, { timeout: 3000 })
          .then(
            () => true,
            () => false,
          );
        expect(focused, "the focus did not come back to the toggled button");
        const log = await fetch(`${base}/api/v1/projects/${state.projectId}/events`, { headers: { authorization: `Bearer ${key}` } }).then((r) => r.json());
        expect(log.data[0].comment === "Launch day", `the reason was not kept: ${JSON.stringify(log.data[0].comment)}`);
        await see(row.locator("td[data-env=production] .pill", { hasText: "On" }), "the flag, on in production");
        await see(row.locator("td[data-env=development] .pill", { hasText: "Off" }), "the flag, still off in development");
        state.toggled = await receiver.waitFor((r) => r.headers["x-rollgate-event"] === "flag.toggled");
        await row.getByRole("link", { name: "Targeting of New checkout in production" }).click();
        await page.getByLabel("Rollout %").fill("50");
        await page.getByRole("button", { name: "Save to production…" }).click();
        await see(page.getByText("This changes production."), "the production confirmation");
        await page.getByRole("button", { name: "Yes, save to production" }).click();
        await see(page.getByText("Saved the targeting of new-checkout in production."), "the saved notice");
        await see(page.locator("aside pre", { hasText: "50% OF userId (0% TO 50%)" }), "the rollout in the code-like text");
        await page.getByRole("button", { name: "Add a condition" }).click();
        await page.getByLabel("Name (optional)").fill("Beta users");
        await page.getByLabel("Context property").fill("userId");
        await page.getByLabel("Values (one per line)").fill("alice\nbob");
        await page.getByRole("button", { name: "Save to production…" }).click();
        await page.getByRole("button", { name: "Yes, save to production" }).click();
        await see(page.locator("aside pre", { hasText: /IF\s+userId IS ONE OF \[\s+"alice",\s+"bob",\s+\]\s+THEN/ }), "the condition in the code-like text");
        await page.goto(state.projectUrl);
        await see(page.locator("#flag-new-checkout td[data-env=production]", { hasText: "1 condition · 50% rollout" }), "the condition count in the list");
        await shot("flags");
      },
    },
    {
      name: "the change log says what changed in the product's words, with the code-like text as a readable diff",
      async run() {
        await page.getByRole("link", { name: "Change log" }).first().click();
        const entries = page.locator("article.entry");
        await see(entries.first().getByText('Condition "Beta users" added: userId is one of alice, bob → serves Live'), "the newest change first");
        const rollout = entries.filter({ hasText: "Rollout 100% → 50% (serving Live)" });
        await see(rollout.getByText("Flag state updated"), "the rollout change");
        await see(rollout.getByText("dev@localhost.test"), "who made the change");
        await see(rollout.locator(".diff .removed", { hasText: "− Live (value: true)" }), "a removed line");
        await see(rollout.locator(".diff .added", { hasText: "+   50% OF userId (0% TO 50%)" }), "an added line");
        const toggle = entries.filter({ hasText: "Turned on" });
        await see(toggle.locator(".diff .removed", { hasText: "− Off (inactive)" }), "what it served before the toggle");
        await shot("change-log");
        await toggle.getByRole("link", { name: "Deliveries of this change →" }).click();
        const delivery = page.locator("tbody tr", { hasText: "Receiver" });
        await see(delivery.getByText("Succeeded"), "the delivery the toggle caused");
        await delivery.getByRole("link", { name: "Receiver" }).click();
        await see(page.getByRole("heading", { name: "Flag toggled delivery" }), "the delivery's page");
      },
    },
    {
      name: "finds the flag.toggled delivery in the history, by event and by status",
      async run() {
        await page.goto(state.webhookUrl);
        await page.getByLabel("Event").selectOption("flag.toggled");
        await page.getByRole("button", { name: "Filter" }).click();
        const rows = page.locator("tbody tr");
        await see(rows.filter({ hasText: "Flag toggled" }), "the toggled delivery");
        expect((await rows.count()) === 1, `expected one flag.toggled delivery, saw ${await rows.count()}`);
        await see(rows.first().getByText("Succeeded"), "its status");
        await see(
          rows
            .first()
            .locator("td.origin", { hasText: "New checkout" })
            .getByText(/production · rev \d+/),
          "the change it carries: flag, environment, revision",
        );
        await page.getByLabel("Status").selectOption("failed");
        await page.getByRole("button", { name: "Filter" }).click();
        await see(page.getByText("No deliveries match these filters"), "the no-match empty state");
        await page.getByRole("link", { name: "Clear filters" }).click();
        await see(page.locator("tbody tr").filter({ hasText: "Test" }), "the test delivery in the full history");
        await shot("deliveries");
      },
    },
    {
      name: "opens the delivery: the signed request and the receiver's response",
      async run() {
        await page.getByRole("link", { name: /Flag toggled delivery/ }).click();
        await see(page.getByRole("heading", { name: "Attempt 1" }), "the first attempt");
        const request = page.getByRole("table", { name: "Request headers of attempt 1" });
        const signature = (await request.locator("tr", { hasText: "X-Rollgate-Signature" }).locator("td").nth(1).textContent())?.trim();
        expect(
          signature === state.toggled.headers["x-rollgate-signature"],
          `the page shows ${signature}, the receiver got ${state.toggled.headers["x-rollgate-signature"]}`,
        );
        expect(signature === sign(state.toggled.body), "the shown signature does not verify against the body");
        await see(request.getByText("X-Rollgate-Delivery"), "the delivery id header");
        expect(!(await page.content()).includes(CUSTOM_HEADER_VALUE), "the custom header value is shown unmasked");
        await see(page.locator("pre", { hasText: '"event": "flag.toggled"' }), "the pretty-printed request body");
        const response = page.getByRole("table", { name: "Response headers of attempt 1" });
        await see(response.getByText("flagpost-e2e"), "the receiver's response header");
        await see(page.locator("pre", { hasText: '"by": "e2e receiver"' }), "the receiver's response body");
        await see(page.getByText("200 OK in").first(), "the status and duration");
        state.deliveryId = state.toggled.headers["x-rollgate-delivery"];
        await shot("delivery", { fullPage: true });
      },
    },
    {
      name: "redelivers it: a second attempt with the same delivery id",
      async run() {
        const before = receiver.received.length;
        await page.getByRole("button", { name: "Redeliver" }).click();
        await see(page.getByText("Redelivery sent"), "the redelivery notice");
        const again = await receiver.waitFor((r) => receiver.received.indexOf(r) >= before && r.headers["x-rollgate-delivery"] === state.deliveryId);
        expect(again.body === state.toggled.body, "the redelivery sent a different body");
        for (let i = 0; i < 50 && !(await page.getByRole("heading", { name: "Attempt 2" }).count()); i++) {
          await page.waitForTimeout(200);
          await page.reload();
        }
        await see(page.getByRole("heading", { name: "Attempt 2" }), "the second attempt in the log");
      },
    },
    ...webhookPageSteps({ base, receiver, state, getPage: () => page, shot, secret: SECRET }),
    ...keySteps({ base, key, state, getPage: () => page, shot }),
    ...propagationSteps({ base, key, state, getPage: () => page, shot }),
    ...moreSteps({ base, flagpost, receiver, context, state, getPage: () => page, shot }),
  ];
}

function moreSteps({ base, flagpost, receiver, state, getPage, shot }) {
  return [
    {
      name: "an organization webhook that fails shows the failure, the status code and the next retry time",
      async run() {
        const page = getPage();
        await page.goto(`${base}/dashboard/settings/webhooks/new`);
        await page.getByLabel("The organization (every project)").check();
        await page.getByLabel(/^Name/).fill("Broken receiver");
        await page.getByLabel("URL").fill(`${receiver.base}/hooks/fail/org`);
        await page.getByLabel("Flag created (flag.created)").uncheck();
        await page.getByRole("button", { name: "Create webhook" }).click();
        await see(page.getByText("Webhook created"), "the webhook-created notice");
        await page.getByRole("button", { name: "Send a test request to Broken receiver" }).click();
        await see(page.locator("output.result", { hasText: /✗ Failed · HTTP 500 · \d+ ms/ }), "the failed test result");
        await page.goto(state.projectUrl);
        await page.getByRole("button", { name: "Turn off New checkout in production" }).click();
        await page.getByRole("button", { name: "Yes, change production" }).click();
        await see(page.locator("#flag-new-checkout td[data-env=production] .pill", { hasText: "Off" }), "the flag, off");
        await receiver.waitFor((r) => r.path === "/hooks/fail/org" && r.headers["x-rollgate-event"] === "flag.toggled");
        await page.goto(`${base}/dashboard/settings/webhooks`);
        await page.locator("#organization").getByRole("link", { name: "Deliveries" }).click();
        await page.getByRole("link", { name: /Flag toggled delivery/ }).click();
        await see(page.locator(".facts .pill", { hasText: "Retrying" }), "the delivery named as retrying, not 'Pending'");
        await see(page.locator("dt:has-text('Next') + dd", { hasText: "Attempt 2 at" }).locator("time"), "the next attempt and its time");
        await see(page.getByText("500 Internal Server Error").first(), "the receiver's status");
      },
    },
    {
      name: "edits, disables, enables and deletes a webhook",
      async run() {
        const page = getPage();
        await page.getByRole("link", { name: "Broken receiver" }).click();
        await page.getByRole("link", { name: "Edit" }).click();
        await page.getByLabel(/^Name/).fill("Broken receiver (renamed)");
        await page.getByRole("button", { name: "Save webhook" }).click();
        await see(page.getByRole("heading", { name: "Broken receiver (renamed)" }), "the new name");
        await page.getByRole("button", { name: "Disable" }).click();
        await see(page.locator(".facts .pill", { hasText: "Disabled" }), "the disabled status");
        await page.getByRole("button", { name: "Enable" }).click();
        await see(page.getByText("Webhook enabled"), "the enabled notice");
        await see(page.locator(".facts .pill").filter({ hasNotText: "Disabled" }), "its health, no longer disabled");
        page.once("dialog", (dialog) => dialog.accept());
        await page.getByRole("button", { name: "Delete" }).click();
        await see(page.getByText("Webhook deleted"), "the deleted notice");
        expect(!(await page.getByText("Broken receiver (renamed)").count()), "the deleted webhook is still listed");
        await shot("webhooks");
      },
    },
    ...healthSteps({ base, receiver, getPage, shot }),
    {
      name: "a form posted from another origin (same host, another port: SameSite cannot tell) is refused and changes nothing",
      async run() {
        const page = getPage();
        await page.goto(state.projectUrl);
        const form = page.locator("#flag-new-checkout td[data-env=production] form");
        const action = await form.getAttribute("action");
        const version = await form.locator("input[name=version]").inputValue();
        receiver.setCrossSitePage(
          `<!doctype html><form method="post" action="${base}${action}"><input name="enabled" value="true"><input name="version" value="${version}"><input name="confirm" value="production"><input name="_csrf" value="guess"></form><script>document.forms[0].submit()</script>`,
        );
        await page.goto(`${receiver.base}/cross-site`);
        await page.waitForURL(`${base}${action}`);
        await see(page.getByText("Request refused"), "the refusal");
        await page.goto(state.projectUrl);
        await see(page.locator("#flag-new-checkout td[data-env=production] .pill", { hasText: "Off" }), "the flag, still off");
      },
    },
    ...authoringSteps({ base, key: flagpost.key, state, getPage, shot }),
    ...truthSteps({ base, key: flagpost.key, state, getPage, shot }),
    ...revertSteps({ base, key: flagpost.key, state, getPage, shot }),
    ...waitingSteps({ base, key: flagpost.key, getPage, shot }),
    {
      name: "signs out: the cookie is gone and pages ask to sign in again",
      async run() {
        const page = getPage();
        await page.getByRole("button", { name: "Sign out" }).click();
        await see(page.getByText("You are signed out"), "the signed-out notice");
        const cookies = await page.context().cookies(base);
        expect(!cookies.some((c) => c.name === "flagpost_session"), "the session cookie is still there");
        await page.goto(state.webhookUrl);
        expect(new URL(page.url()).pathname === "/dashboard/sign-in", `expected the sign-in page, got ${page.url()}`);
        for (const width of [390, 1280]) {
          await page.setViewportSize({ width, height: 844 });
          const [scroll, client] = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
          expect(scroll <= client, `the sign-in page scrolls sideways at ${width} px`);
        }
      },
    },
  ];
}
