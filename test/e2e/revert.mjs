// A way back, walked in the browser: a flag changed from the flag list, the change found in the change
// log as one entry with its revision, "Revert…" pressed there, the preview read, the revert confirmed,
// and the log's newest entry saying "revert of revision N"; once at 1280 px and once on a 390 px phone,
// neither page scrolling sideways.
import { expect, see } from "./authoring.mjs";
import { api, sidewaysScroll } from "./truth.mjs";

export function revertSteps({ base, key, state, getPage, shot }) {
  const call = api(base, key);
  const revertFromTheLog = async (page, flagKey, width) => {
    await page.setViewportSize({ width, height: width > 400 ? 860 : 844 });
    await page.goto(state.projectUrl);
    await page.getByRole("button", { name: `Turn on Revert ${width} in development` }).click();
    await see(page.getByText(`Turned on ${flagKey} in development`), "the toggle's notice");
    const { revision } = await call("GET", `/projects/${state.projectId}`);
    await page.goto(`${state.projectUrl}/changes?flag=${flagKey}`);
    const entry = page.getByRole("article", { name: `Revision ${revision}`, exact: true });
    await see(entry, `the entry of revision ${revision}`);
    expect((await entry.getByText("Flag toggled").count()) === 1, "the toggle is not shown once in its entry");
    expect((await sidewaysScroll(page)) <= 0, `the change log scrolls sideways at ${width} px`);
    await entry.getByRole("link", { name: "Revert…" }).click();
    await see(page.getByRole("heading", { name: `Revert revision ${revision}?` }), "the revert's page");
    await see(page.getByRole("heading", { name: "What the revert would change" }), "the preview");
    await see(page.locator("pre.diff .removed").first(), "the before → after");
    expect((await sidewaysScroll(page)) <= 0, `the revert page scrolls sideways at ${width} px`);
    await shot(`revert-preview-${width}`);
    await page.getByRole("button", { name: `Revert revision ${revision}` }).click();
    await see(page.getByText(`Reverted revision ${revision}: the change is revision ${revision + 1}`), "the revert's notice");
    const reverted = page.getByRole("article", { name: `Revision ${revision + 1}`, exact: true });
    await see(reverted.getByText(`“revert of revision ${revision}”`), "the new entry's comment");
    expect((await sidewaysScroll(page)) <= 0, `the change log scrolls sideways at ${width} px after the revert`);
    await shot(`revert-done-${width}`);
    const flag = await call("GET", `/projects/${state.projectId}/flags/${flagKey}`);
    expect(flag.environments.development.enabled === false, "the revert did not turn the flag off again");
  };
  return [
    {
      name: "reverts a change from the change log at 1280 px: preview, confirm, and the new entry 'revert of revision N'",
      async run() {
        await call("POST", `/projects/${state.projectId}/flags`, { key: "revert-1280", name: "Revert 1280" });
        await revertFromTheLog(getPage(), "revert-1280", 1280);
      },
    },
    {
      name: "reverts a change from the change log on a 390 px phone, no page scrolling sideways",
      async run() {
        await call("POST", `/projects/${state.projectId}/flags`, { key: "revert-390", name: "Revert 390" });
        try {
          await revertFromTheLog(getPage(), "revert-390", 390);
        } finally {
          await getPage().setViewportSize({ width: 1280, height: 860 });
        }
      },
    },
    {
      name: "explains in words a revert that a later change of the same setting blocks",
      async run() {
        const page = getPage();
        const flag = await call("POST", `/projects/${state.projectId}/flags`, { key: "revert-blocked", name: "Revert blocked" });
        await call("PATCH", `/projects/${state.projectId}/flags/revert-blocked/environments/development`, {
          version: flag.environments.development.version,
          rollout_percentage: 30,
        });
        const { revision } = await call("GET", `/projects/${state.projectId}`);
        await call("PATCH", `/projects/${state.projectId}/flags/revert-blocked/environments/development`, { rollout_percentage: 60 });
        await page.goto(`${state.projectUrl}/revisions/${revision}/revert`);
        await see(page.getByRole("alert").filter({ hasText: "A later change touched the same settings" }), "the refusal in words");
        expect((await page.getByRole("button", { name: /^Revert revision/ }).count()) === 0, "a blocked revert still offers its button");
      },
    },
  ];
}
