// Propagation, walked in the browser: the change log's "delivered to a/b webhooks · held by c/d SDK
// keys" on a change, its link to the revision's page (the webhooks that got it, the SDK keys that
// hold it, their open streams), the same line on the flag page, and the revision page at 1280 and
// 390 px without sideways scroll.
import { expect, see } from "./authoring.mjs";
import { sidewaysScroll } from "./truth.mjs";

const LINE = /delivered to (\d+)\/(\d+) webhooks · held by (\d+)\/(\d+) SDK keys/;

export function propagationSteps({ base, key, state, getPage, shot }) {
  return [
    {
      name: "a change's propagation: the change log's line, the revision page (webhooks, SDK keys, streams) at 1280 and 390 px, the flag page's latest change",
      async run() {
        const page = getPage();
        const headers = { authorization: `Bearer ${key}`, "content-type": "application/json" };
        const made = await fetch(`${base}/api/v1/projects/${state.projectId}/environments/production/sdk-keys`, {
          method: "POST",
          headers,
          body: JSON.stringify({ name: "Storefront", kind: "client" }),
        }).then((r) => r.json());
        const served = await fetch(`${base}/ofrep/v1/evaluate/flags`, {
          method: "POST",
          headers: { authorization: `Bearer ${made.key}`, "content-type": "application/json" },
          body: "{}",
        });
        expect(served.status === 200, `the new key's bulk evaluation: ${served.status}`);

        await page.setViewportSize({ width: 1280, height: 860 });
        await page.goto(`${state.projectUrl}/changes`);
        const line = page.locator("a.propagation").first();
        await see(line, "the propagation line on the latest change");
        const [, delivered, webhooks, holding, keys] = LINE.exec((await line.textContent()) ?? "") ?? [];
        expect(Number(webhooks) >= 1 && Number(keys) >= 1 && Number(holding) >= 1, `the line: ${await line.textContent()}`);
        expect(Number(delivered) <= Number(webhooks), "more delivered than webhooks");
        await line.click();
        await see(page.getByRole("heading", { name: /^Revision \d+$/ }), "the revision's page");
        await see(page.getByRole("heading", { name: "Webhooks" }), "its webhooks");
        await see(page.locator("tr", { hasText: "Storefront" }).getByText("holds"), "the new key, holding the revision");
        expect((await sidewaysScroll(page)) === 0, "the revision page scrolls sideways at 1280 px");
        await shot("revision");
        await page.setViewportSize({ width: 390, height: 844 });
        expect((await sidewaysScroll(page)) === 0, "the revision page scrolls sideways at 390 px");
        await shot("revision-390", { fullPage: true });
        await page.setViewportSize({ width: 1280, height: 860 });

        await page.goto(`${state.projectUrl}/flags/new-checkout`);
        await see(page.getByText("Latest change:"), "the flag page's latest change");
        await see(page.locator("a.propagation"), "its propagation line");
      },
    },
  ];
}
