// The webhook pages a team watches day to day, walked in the browser: the event catalog's samples in
// the form, a secret rotated and shown once (the next request signed with both), the ed25519 key
// (its v1a signature checked with Node's own crypto), and the verification debugger opened from a
// delivery, naming the wrong secret and the re-serialized body.
import { createHmac, createPublicKey, verify } from "node:crypto";
import { expect, see } from "./authoring.mjs";

const hmacHex = (secret, body) => createHmac("sha256", secret).update(body).digest("hex");

/** Presses the page's Test button and waits for the request the receiver got from it. */
async function sendTest(page, receiver, name) {
  const before = receiver.received.length;
  await page.getByRole("button", { name: `Send a test request to ${name}` }).click();
  await see(page.locator("output.result", { hasText: /✓ Success/ }), "the test's success");
  return receiver.waitFor((r) => receiver.received.indexOf(r) >= before && r.headers["x-rollgate-event"] === "webhook.test");
}

/** The page's own measure: how far it scrolls sideways (0 when it fits). */
async function sidewaysScroll(page) {
  const [scroll, client] = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
  return scroll - client;
}

export function webhookPageSteps({ base, receiver, state, getPage, shot, secret }) {
  return [
    {
      name: "the webhook form shows each event's sample body in the format chosen, Slack and Sentry among them",
      async run() {
        const page = getPage();
        await page.goto(`${base}/dashboard/settings/webhooks/new`);
        const toggled = page.locator(".event-choice", { has: page.getByLabel("Flag toggled (flag.toggled)") });
        await see(toggled.getByText("A flag was turned on or off in one environment."), "the event's description");
        await toggled.getByText("Sample body").click();
        await page.getByRole("radio", { name: "Slack", exact: true }).check();
        await see(toggled.locator("[data-sample=slack] pre", { hasText: '"blocks"' }), "the Slack sample");
        expect(!(await toggled.locator("[data-sample=rollgate]").isVisible()), "the Rollgate sample shows beside the Slack one");
        await page.getByRole("radio", { name: "Sentry", exact: true }).check();
        await see(toggled.locator("[data-sample=sentry] pre", { hasText: '"change_id"' }), "the Sentry sample");
        await toggled.locator("[data-sample=sentry]").scrollIntoViewIfNeeded();
        await shot("webhook-events");
      },
    },
    {
      name: "rotates the secret: shown once with its overlap, and the next request is signed with the new one and the old one",
      async run() {
        const page = getPage();
        await page.goto(state.webhookUrl);
        await page.getByLabel("The previous secret keeps signing for").selectOption({ label: "1 hour" });
        page.once("dialog", (dialog) => dialog.accept());
        await page.getByRole("button", { name: "Rotate the secret" }).click();
        await see(page.getByText("Copy the secret now: it is shown only this once."), "the shown-once warning");
        await see(page.getByText(/every request is signed with both secrets/), "the overlap");
        state.rotated = (await page.locator("#rotated-secret").textContent()).trim();
        expect(/^[A-Za-z0-9_-]{32}$/.test(state.rotated), `the generated secret: ${state.rotated}`);
        const whsec = (await page.locator("#rotated-whsec").textContent()).trim();
        expect(whsec === `whsec_${Buffer.from(state.rotated).toString("base64")}`, `the whsec_ form: ${whsec}`);
        await shot("rotate-secret");
        await page.getByRole("link", { name: /I have copied it/ }).click();
        expect(!(await page.content()).includes(state.rotated), "the secret is shown again on the webhook's page");
        const hit = await sendTest(page, receiver, "Receiver");
        expect(hit.headers["x-rollgate-signature"] === `sha256=${hmacHex(state.rotated, hit.body)}`, "the request is not signed with the new secret");
        expect(hit.headers["x-rollgate-signature-previous"] === `sha256=${hmacHex(secret, hit.body)}`, "the previous secret does not sign during the overlap");
      },
    },
    {
      name: "creates an ed25519 key pair: the public key on the page verifies the v1a signature the receiver gets",
      async run() {
        const page = getPage();
        await page.getByRole("button", { name: "Create a key pair" }).click();
        await see(page.getByText("New ed25519 key pair"), "the key-pair notice");
        const inView = await page
          .waitForFunction(
            () => {
              const r = document.getElementById("signing-notice")?.getBoundingClientRect();
              return !!r && r.top >= 0 && r.bottom <= innerHeight && document.activeElement?.id === "signing-notice";
            },
            null,
            { timeout: 3000 },
          )
          .then(
            () => true,
            () => false,
          );
        expect(inView, "the key-pair notice is out of view, or not focused");
        const publicKey = (await page.locator("#ed25519-public-key").textContent()).trim();
        expect(publicKey.startsWith("whpk_"), `the public key: ${publicKey}`);
        const hit = await sendTest(page, receiver, "Receiver");
        const key = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: Buffer.from(publicKey.slice(5), "base64").toString("base64url") }, format: "jwk" });
        const v1a = hit.headers["webhook-signature"].split(" ").find((s) => s.startsWith("v1a,"));
        expect(v1a, `no v1a signature in ${hit.headers["webhook-signature"]}`);
        const signed = Buffer.from(`${hit.headers["webhook-id"]}.${hit.headers["webhook-timestamp"]}.${hit.body}`);
        expect(verify(null, signed, key, Buffer.from(v1a.slice(4), "base64")), "the v1a signature does not verify with the page's public key");
        await page.locator("#signing").scrollIntoViewIfNeeded();
        await shot("webhook-signing");
      },
    },
    {
      name: "my receiver says the signature is wrong: the debugger, opened from a delivery, names the wrong secret and the re-serialized body",
      async run() {
        const page = getPage();
        await page
          .getByRole("link", { name: /Test delivery/ })
          .first()
          .click();
        await page.getByRole("link", { name: "My receiver says the signature is wrong" }).click();
        await see(page.getByText(/Filled in with what Flagpost sent in attempt 1/), "the draft taken from the delivery");
        await page.getByLabel("The secret your receiver uses (optional)").fill("a-secret-from-another-webhook");
        await page.getByRole("button", { name: "Check the signature" }).click();
        const verdict = page.getByRole("alert").filter({ hasText: "This request does not verify" });
        await see(verdict.getByText(/made with the webhook's current secret, not with your secret/).first(), "the wrong secret named");
        await page.getByLabel("The secret your receiver uses (optional)").fill(secret);
        await page.getByRole("button", { name: "Check the signature" }).click();
        await see(page.getByText(/your receiver still has the secret from before the last rotation/).first(), "the previous secret named, with its overlap");
        const body = await page.getByLabel("Raw body your receiver got").inputValue();
        await page.getByLabel("Raw body your receiver got").fill(JSON.stringify(JSON.parse(body), null, 2));
        await page.getByLabel("The secret your receiver uses (optional)").fill(state.rotated);
        await page.getByRole("button", { name: "Check the signature" }).click();
        await see(page.getByRole("alert").getByText(/the same JSON, re-serialized/), "the re-serialized body named");
        await shot("debugger", { fullPage: true });
        await page.getByLabel("Raw body your receiver got").fill(body);
        await page.getByLabel("The secret your receiver uses (optional)").fill(state.rotated);
        await page.getByRole("button", { name: "Check the signature" }).click();
        await see(page.getByRole("status").getByText("Every check passed"), "the valid verdict with the right secret and the raw body");
      },
    },
    {
      name: "the webhook pages hold on a 390 px phone: no page scrolls sideways, wide tables scroll inside themselves",
      async run() {
        const page = getPage();
        await page.setViewportSize({ width: 390, height: 844 });
        try {
          for (const url of [
            state.webhookUrl,
            `${state.webhookUrl}/verify`,
            `${base}/dashboard/settings/webhooks/new`,
            `${base}/dashboard/settings/api-keys`,
            `${state.projectUrl}/sdk-keys`,
          ]) {
            await page.goto(url);
            const overflow = await sidewaysScroll(page);
            expect(overflow <= 0, `${url} scrolls ${overflow} px sideways at 390 px`);
          }
          await page.goto(state.webhookUrl);
          await page
            .getByRole("link", { name: /Test delivery/ })
            .first()
            .click();
          const overflow = await sidewaysScroll(page);
          expect(overflow <= 0, `the delivery page scrolls ${overflow} px sideways at 390 px`);
          const wraps = await page
            .locator(".table-wrap")
            .evaluateAll((els) => els.map((el) => [el.clientWidth, el.scrollWidth, getComputedStyle(el).overflowX]));
          expect(
            wraps.length > 0 && wraps.every(([client, , overflowX]) => client <= 390 && overflowX === "auto"),
            `the header tables: ${JSON.stringify(wraps)}`,
          );
          await shot("phone-delivery", { fullPage: true });
        } finally {
          await page.setViewportSize({ width: 1280, height: 860 });
        }
      },
    },
  ];
}
