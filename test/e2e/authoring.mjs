// Authoring flags in the dashboard, as a person would, and checking through the API that what was
// stored is exactly what was typed: a JSON flag with three variations and two conditions, a condition
// written with the keyboard alone, a version conflict, the flag page's settings, and the layout on a
// 390 px phone with a 200-character name that has no space to break at.

export function expect(condition, message) {
  if (!condition) throw new Error(message);
}

/** Waits for a locator to be visible (Playwright's own wait, with a readable failure). */
export async function see(locator, what) {
  try {
    await locator.first().waitFor({ state: "visible" });
  } catch {
    throw new Error(`expected to see ${what}`);
  }
}

function api({ base, key }) {
  const headers = { authorization: `Bearer ${key}`, "content-type": "application/json" };
  return async (method, path, body) => {
    const res = await fetch(`${base}/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/** Presses Tab until the focused element matches `selector`; a keyboard user's way to a control. */
async function tabTo(page, selector, max = 150) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press("Tab");
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
  }
  throw new Error(`Tab never reached ${selector}`);
}

const focusedId = (page) => page.evaluate(() => document.activeElement?.id ?? "");

/** Whether the element with this id gets the focus once the page has loaded (autofocus runs after parsing). */
async function focuses(page, id) {
  await page.waitForLoadState("load");
  return page
    .waitForFunction((want) => document.activeElement?.id === want, id, { timeout: 3000 })
    .then(() => true)
    .catch(() => false);
}

export function authoringSteps({ base, key, state, getPage, shot }) {
  const call = api({ base, key });
  const flagUrl = (flagKey) => `${state.projectUrl}/flags/${flagKey}`;
  return [
    {
      name: "authors a JSON flag with three variations through the UI alone, a value error said in words beside its field",
      async run() {
        const page = getPage();
        await page.goto(state.projectUrl);
        await page.getByRole("link", { name: "New flag" }).click();
        await page.locator("#flag-name").fill("Checkout config");
        await page.getByLabel("Type").selectOption("json");
        await page.getByLabel("Tags (optional)").fill("checkout, pricing");
        await page.locator("#v0-name").fill("Control");
        await page.locator("#v0-value").fill('{"layout": "classic"}');
        await page.locator("#v1-name").fill("Compact");
        await page.locator("#v1-value").fill("{layout: compact}");
        await page.getByRole("button", { name: "Add a variation" }).click();
        expect(await focuses(page, "v2-name"), "the new variation's name is not focused");
        await page.locator("#v2-name").fill("Wide");
        await page.locator("#v2-value").fill('{"layout": "wide", "columns": [1, 2]}');
        await page.locator("input[name='v2.active']").uncheck();
        await page.getByRole("button", { name: "Create flag" }).last().click();
        await see(page.locator("#v1-value-error", { hasText: "not valid JSON" }), "the JSON error beside the value");
        expect((await page.getByLabel("Key").inputValue()) === "checkout-config", "the key was not derived from the name");
        await page.locator("#v1-value").fill('{"layout": "compact", "steps": 1}');
        await page.getByRole("button", { name: "Create flag" }).last().click();
        await see(page.getByText("Flag created"), "the flag-created notice");
        const flag = await call("GET", `/projects/${state.projectId}/flags/checkout-config`);
        const variations = flag.variations.map(({ name, value, active, order }) => ({ name, value, active, order }));
        const expected = [
          { name: "Control", value: { layout: "classic" }, active: true, order: 0 },
          { name: "Compact", value: { layout: "compact", steps: 1 }, active: true, order: 1 },
          { name: "Wide", value: { layout: "wide", columns: [1, 2] }, active: false, order: 2 },
        ];
        expect(flag.type === "json" && same(flag.tags, ["checkout", "pricing"]), `type ${flag.type}, tags ${JSON.stringify(flag.tags)}`);
        expect(same(variations, expected), `stored variations: ${JSON.stringify(variations)}`);
      },
    },
    {
      name: "targets it with two conditions (one moved above the other), a default and a rollout; the API stores exactly that",
      async run() {
        const page = getPage();
        await page.getByRole("link", { name: "Edit targeting of Checkout config in development" }).click();
        await page.getByRole("button", { name: "Add a condition" }).click();
        await page.locator("#c0-name").fill("Paying plans");
        await page.locator("#c0-variation_id").selectOption({ label: "Compact" });
        await page.locator("#c0-r0-property").fill("plan");
        await page.locator("#c0-r0-operator").selectOption("SELECT_EQUALS");
        await page.locator("#c0-r0-values").fill("pro\nteam\n");
        await page.getByRole("button", { name: "Add a condition" }).click();
        await page.locator("#c1-name").fill("Adults outside France");
        await page.locator("#c1-variation_id").selectOption({ label: "Wide (inactive)" });
        await page.locator("#c1-r0-property").fill("age");
        await page.locator("#c1-r0-operator").selectOption("NUM_GTE");
        expect(!(await page.locator("#c1-r0-values").isVisible()), "the list input shows for a one-value operator");
        await see(page.locator("#c1-r0-operand-hint", { hasText: "A number, such as 42" }), "the operator's rule in words");
        await page.locator("#c1-r0-value").fill("eighteen");
        await page.getByRole("button", { name: "Add a rule to condition 2" }).click();
        expect(await focuses(page, "c1-r1-property"), `the new rule's property is not focused (#${await focusedId(page)} is)`);
        await page.locator("#c1-r1-property").fill("country");
        await page.locator("#c1-r1-operator").selectOption("STR_NOT_EQUALS");
        await page.locator("#c1-r1-values").fill("FR");
        await page.getByRole("button", { name: "Move condition 2 up" }).click();
        await page.getByRole("checkbox", { name: /On: serve the conditions/ }).check();
        await page.getByLabel("Default variation").selectOption({ label: "Control" });
        await page.getByLabel("Rollout %").fill("30");
        await page.getByLabel("Rollout variation").selectOption({ label: "Compact" });
        await page.getByRole("button", { name: "Save to development" }).click();
        await see(page.locator("#c0-r0-value-error", { hasText: "takes a number" }), "the API's refusal beside the field, in words");
        expect((await page.locator("#c0-name").inputValue()) === "Adults outside France", "the draft was lost on a refusal");
        await page.locator("#c0-r0-value").fill("18");
        await page.getByRole("button", { name: "Save to development" }).click();
        await see(page.getByText("Saved the targeting of checkout-config in development."), "the saved notice, naming the flag and the environment");
        const flag = await call("GET", `/projects/${state.projectId}/flags/checkout-config`);
        const id = (name) => flag.variations.find((v) => v.name === name).id;
        const stored = flag.environments.development;
        const shape = stored.conditions.map((c) => ({ name: c.name, variation_id: c.variation_id, rules: c.rules.map(({ id: _id, ...rule }) => rule) }));
        const expected = [
          {
            name: "Adults outside France",
            variation_id: id("Wide"),
            rules: [
              { property: "age", operator: "NUM_GTE", value: 18 },
              { property: "country", operator: "STR_NOT_EQUALS", values: ["FR"] },
            ],
          },
          { name: "Paying plans", variation_id: id("Compact"), rules: [{ property: "plan", operator: "SELECT_EQUALS", values: ["pro", "team"] }] },
        ];
        expect(same(shape, expected), `stored conditions: ${JSON.stringify(shape)}`);
        expect(stored.enabled && stored.default_variation_id === id("Control"), `enabled ${stored.enabled}, default ${stored.default_variation_id}`);
        expect(
          stored.rollout_percentage === 30 && stored.rollout_variation_id === id("Compact"),
          `rollout ${stored.rollout_percentage} of ${stored.rollout_variation_id}`,
        );
        expect(flag.environments.production.enabled === false && flag.environments.production.conditions.length === 0, "production changed too");
        await shot("targeting", { fullPage: true });
      },
    },
    {
      name: "authors a condition with the keyboard alone, production's confirmation included",
      async run() {
        const page = getPage();
        await page.goto(`${flagUrl("checkout-config")}/targeting/production`);
        await tabTo(page, "button[value=add-condition]");
        await page.keyboard.press("Enter");
        await page.waitForURL(/targeting\/production$/);
        expect(await focuses(page, "c0-name"), `after adding, the focus is on #${await focusedId(page)}`);
        await page.keyboard.type("Staff");
        await page.keyboard.press("Tab");
        expect((await focusedId(page)) === "c0-variation_id", "Tab does not lead to the served variation");
        await page.keyboard.press("ArrowDown"); // Control → Compact
        await page.keyboard.press("Tab");
        await page.keyboard.type("email");
        await page.keyboard.press("Tab");
        expect((await focusedId(page)) === "c0-r0-operator", "Tab does not lead to the operator");
        for (let i = 0; i < 4; i++) await page.keyboard.press("ArrowDown"); // is one of → … → ends with one of
        await page.keyboard.press("Tab");
        expect((await focusedId(page)) === "c0-r0-values", `Tab leads to #${await focusedId(page)}, not the values`);
        await page.keyboard.type("@example.com");
        await tabTo(page, "button.primary[value=save]");
        await page.keyboard.press("Enter");
        await page.waitForURL(/targeting\/production$/);
        await see(page.getByText("This changes production."), "the production confirmation");
        expect((await page.evaluate(() => document.activeElement?.textContent?.trim())) === "Yes, save to production", "the confirmation is not focused");
        await page.keyboard.press("Enter");
        await see(page.getByText("Saved the targeting of checkout-config in production."), "the saved notice, naming the flag and the environment");
        const flag = await call("GET", `/projects/${state.projectId}/flags/checkout-config`);
        const [condition] = flag.environments.production.conditions;
        const compact = flag.variations.find((v) => v.name === "Compact").id;
        const rule = condition && { property: condition.rules[0].property, operator: condition.rules[0].operator, values: condition.rules[0].values };
        expect(condition?.name === "Staff" && condition.variation_id === compact, `stored: ${JSON.stringify(condition)}`);
        expect(same(rule, { property: "email", operator: "STR_ENDS_WITH", values: ["@example.com"] }), `stored rule: ${JSON.stringify(rule)}`);
      },
    },
    {
      name: "a version conflict keeps the draft, says who changed what, and offers to reload",
      async run() {
        const page = getPage();
        await page.goto(`${flagUrl("checkout-config")}/targeting/development`);
        await call("PATCH", `/projects/${state.projectId}/flags/checkout-config/environments/development`, { rollout_percentage: 40 });
        await page.getByLabel("Rollout %").fill("60");
        await page.getByRole("button", { name: "Save to development" }).click();
        const alert = page.getByRole("alert").filter({ hasText: "Nothing was saved" });
        await see(alert.getByText(/dev@localhost\.test changed it .*rollout 30% → 40%/), "who changed what");
        expect((await page.getByLabel("Rollout %").inputValue()) === "60", "the draft was lost");
        await alert.getByRole("link", { name: "Reload the current state" }).click();
        expect((await page.getByLabel("Rollout %").inputValue()) === "40", "the reload does not show the current state");
      },
    },
    {
      name: "the flag page renames, retags, archives, unarchives and deletes (naming the flag); the list finds flags by tag",
      async run() {
        const page = getPage();
        await page.goto(flagUrl("checkout-config"));
        await see(page.locator("pre", { hasText: 'client.getObjectValue("checkout-config", {}' }), "the SDK snippet for a JSON flag");
        await see(page.locator(".change-list li", { hasText: "rollout 30% → 40%" }), "the flag's recent changes");
        await page.locator("#flag-name").fill("Checkout layout");
        await page.locator("#flag-tags").fill("checkout, layout");
        await page.getByRole("button", { name: "Save", exact: true }).click();
        await see(page.getByRole("heading", { name: "Checkout layout" }), "the new name");
        await page.goto(`${state.projectUrl}?q=layout`);
        await see(page.locator("#flag-checkout-config"), "the flag found by its tag");
        expect(!(await page.locator("#flag-new-checkout").count()), "a flag without the tag is listed");
        await page.getByRole("link", { name: "Checkout layout", exact: true }).click();
        await page.getByRole("button", { name: "Archive" }).click();
        await see(page.getByText("Flag archived"), "the archived notice");
        await page.getByRole("button", { name: "Unarchive" }).click();
        await see(page.getByText("Flag unarchived"), "the unarchived notice");
        await shot("flag", { fullPage: true });
        await call("POST", `/projects/${state.projectId}/flags`, { key: "doomed", name: "Doomed experiment" });
        await page.goto(flagUrl("doomed"));
        await page.getByRole("link", { name: "Delete…" }).click();
        await see(page.getByRole("heading", { name: "Delete Doomed experiment?" }), "a confirmation naming the flag");
        await see(page.getByText("key doomed"), "the key named too");
        await page.getByRole("button", { name: "Delete Doomed experiment" }).click();
        await see(page.getByText("Flag deleted"), "the deleted notice");
        expect(!(await page.locator("#flag-doomed").count()), "the deleted flag is still listed");
      },
    },
    {
      name: "the change log filters by flag, environment and person",
      async run() {
        const page = getPage();
        await page.goto(`${state.projectUrl}/changes`);
        await page.locator("#filter-flag").selectOption("checkout-config");
        await page.locator("#filter-environment").selectOption("development");
        await page.getByRole("button", { name: "Filter" }).click();
        const entries = page.locator("article.entry");
        await see(entries.first(), "a matching change");
        const flags = await entries.locator(".entry-flag code").allTextContents();
        expect(flags.length > 0 && flags.every((k) => k === "checkout-config"), `other flags listed: ${flags}`);
        const where = await entries.locator(".meta > span.muted:nth-of-type(2)").allTextContents();
        expect(
          where.every((w) => w === "in development" || w === "all environments"),
          `other environments listed: ${where}`,
        );
        await page.getByLabel("Person (email)").fill("nobody@else.test");
        await page.getByRole("button", { name: "Filter" }).click();
        await see(page.getByText("No change matches these filters"), "no change by another person");
      },
    },
    {
      name: "adds an environment from the project page, its key following its name; every flag is off there",
      async run() {
        const page = getPage();
        await page.goto(state.projectUrl);
        await page.getByText("Add an environment").click();
        await page.locator("#environment-name").pressSequentially("Staging EU");
        expect((await page.locator("#environment-key").inputValue()) === "staging-eu", "the environment key did not follow its name");
        await page.getByRole("button", { name: "Add environment" }).click();
        await see(page.getByText("Environment added"), "the environment-added notice");
        await see(page.getByRole("columnheader", { name: "Staging EU" }), "the new environment's column");
        const states = await page.locator("td[data-env=staging-eu] .pill").allTextContents();
        const rows = await page.locator("table.flags tbody tr").count();
        expect(rows > 0 && states.length === rows && states.every((s) => s === "Off"), `states in the new environment: ${states} (of ${rows} flags)`);
      },
    },
    {
      name: "reads on a 390 px phone: a 200-character unbroken name never makes a page scroll sideways",
      async run() {
        const page = getPage();
        const name = `Unbroken${"x".repeat(192)}`;
        await call("POST", `/projects/${state.projectId}/flags`, { key: "long-name", name, tags: ["t".repeat(64)] });
        await page.setViewportSize({ width: 390, height: 844 });
        const urls = [
          state.projectUrl,
          flagUrl("long-name"),
          `${flagUrl("long-name")}/targeting/production`,
          `${state.projectUrl}/changes`,
          `${flagUrl("long-name")}/delete`,
          state.webhookUrl,
        ];
        for (const url of urls) {
          await page.goto(url);
          const [scroll, client] = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
          expect(scroll <= client, `${url} is ${scroll}px wide on a ${client}px screen`);
        }
        await page.goto(state.projectUrl);
        const title = await page.locator("#flag-long-name .flag-name .truncate").getAttribute("title");
        expect(title === name, "the truncated name has no full text on hover");
        // Every environment in view, without scrolling the table sideways: each flag a card, its name above its buttons.
        const table = await page.locator(".table-wrap").evaluate((el) => [el.scrollWidth, el.clientWidth]);
        expect(table[0] <= table[1], `the flags table scrolls sideways: ${table}`);
        for (const env of ["development", "production"]) {
          const box = await page.locator(`#flag-new-checkout td[data-env=${env}] button`).first().boundingBox();
          expect(box && box.x >= 0 && box.x + box.width <= 390, `the ${env} button of new-checkout is out of view: ${JSON.stringify(box)}`);
        }
        const [nameBox, button] = await Promise.all([
          page.locator("#flag-new-checkout .flag-name").boundingBox(),
          page.locator("#flag-new-checkout td[data-env=production] button").first().boundingBox(),
        ]);
        expect(button.y > nameBox.y && button.y - nameBox.y < 400, `the flag's name and its production button are apart: ${nameBox.y}, ${button.y}`);
        await shot("phone-flags");
        await page.setViewportSize({ width: 1280, height: 860 });
      },
    },
  ];
}
