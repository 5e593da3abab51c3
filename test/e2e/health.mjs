// Watching a webhook's health in the browser: a receiver that keeps failing turns the webhook
// "failing", then "circuit open" after five failures in a row, its figures count the attempts, every
// failed delivery since a moment is recovered in one action, and a receiver answering 410 Gone gets
// its webhook disabled, the page saying why.
import { expect, see } from "./authoring.mjs";

export function healthSteps({ base, receiver, getPage, shot }) {
  return [
    {
      name: "a failing receiver: failing, then circuit open after five failures in a row, with the last hour's figures",
      async run() {
        const page = getPage();
        await page.goto(`${base}/dashboard/settings/webhooks/new`);
        await page.getByLabel("The organization (every project)").check();
        await page.getByLabel(/^Name/).fill("Flaky receiver");
        await page.getByLabel("URL").fill(`${receiver.base}/hooks/fail/flaky`);
        await page.getByRole("button", { name: "Create webhook" }).click();
        await see(page.getByText("Webhook created"), "the webhook-created notice");
        await see(page.locator(".facts .pill", { hasText: "Healthy" }), "a new webhook, healthy");
        const test = page.getByRole("button", { name: "Send a test request to Flaky receiver" });
        await test.click();
        await see(page.locator("output.result", { hasText: /✗ Failed · HTTP 500/ }), "the failed test");
        // Without a reload: the health and the figures follow the test.
        await see(page.locator(".facts .pill", { hasText: "Failing · 1 failed in a row" }), "failing, one in a row, without a reload");
        await see(
          page.locator("[data-window='1h'] dt:has-text('Failed') + dd", { hasText: /^\s*1 \(100%\)\s*$/ }),
          "the last hour's failure, without a reload",
        );
        for (let i = 2; i <= 5; i++) {
          await test.click();
          await see(page.locator("#history tbody tr").nth(i - 1), `test delivery ${i} in the history`);
        }
        await page.reload();
        await see(page.locator(".facts .pill", { hasText: "Circuit open · 5 failed in a row" }), "the circuit, open");
        await see(page.getByText(/Deliveries wait instead of being attempted/), "what an open circuit means");
        const hour = page.locator("[data-window='1h']");
        expect((await hour.locator("dt:has-text('Attempts') + dd").textContent()).trim() === "5", "the last hour's attempts");
        expect((await hour.locator("dt:has-text('Failed') + dd").textContent()).trim() === "5 (100%)", "the last hour's failures, a count and its share");
        expect((await hour.locator("dt:has-text('Succeeded') + dd").textContent()).trim() === "0 (0%)", "the last hour's successes, a count and its share");
        await shot("webhook-health", { fullPage: true });
      },
    },
    {
      name: "recovers every failed delivery of the last hour in one action",
      async run() {
        const page = getPage();
        const before = receiver.received.filter((r) => r.path === "/hooks/fail/flaky").length;
        await page.getByLabel("the last hour").check();
        await page.getByRole("button", { name: "Recover failed deliveries" }).click();
        await see(page.getByText("5 failed deliveries get one more attempt, oldest first."), "how many deliveries were recovered");
        await receiver.waitFor(() => receiver.received.filter((r) => r.path === "/hooks/fail/flaky").length > before);
      },
    },
    {
      name: "a receiver answering 410 Gone disables its webhook, and the page says why",
      async run() {
        const page = getPage();
        await page.goto(`${base}/dashboard/settings/webhooks/new`);
        await page.getByLabel("The organization (every project)").check();
        await page.getByLabel(/^Name/).fill("Retired receiver");
        await page.getByLabel("URL").fill(`${receiver.base}/hooks/gone/retired`);
        await page.getByRole("button", { name: "Create webhook" }).click();
        await page.getByRole("button", { name: "Send a test request to Retired receiver" }).click();
        await see(page.locator("output.result", { hasText: /HTTP 410/ }), "the 410 answer");
        await page.reload();
        await see(page.locator(".facts .pill", { hasText: "Disabled" }), "the webhook, disabled");
        await see(page.getByText(/Disabled because the receiver answered 410 Gone/), "why it is disabled");
        await page.goto(`${base}/dashboard/settings/webhooks`);
        await see(
          page.locator("#organization article", { hasText: "Retired receiver" }).getByText(/Disabled because the receiver answered 410 Gone/),
          "why, in the list too",
        );
        await shot("webhooks", { fullPage: true });
      },
    },
  ];
}
