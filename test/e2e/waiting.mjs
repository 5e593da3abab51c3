// Changes that wait, walked in the browser at 1280 px and on a 390 px phone, each width in a project
// of its own: a change scheduled from the flag page's form and cancelled there; one scheduled a few
// seconds ahead (through the API: the form's time has whole minutes) listed, then applied on its
// own, the flag page showing it on and the change log naming the schedule; then production made to
// require approval from the Change requests tab, a toggle there opening a change request, a second
// person of the organization (their own key, their own browser) approving it, the first applying it,
// and the change log naming who approved. No page scrolls sideways.
import { expect, see } from "./authoring.mjs";
import { startOtherBrowser } from "./harness.mjs";
import { api, sidewaysScroll } from "./truth.mjs";

const ADMIN_TOKEN = "flagpost-local-admin";

/** Waits for `check` to return something truthy, polling, for at most `ms`. */
async function until(check, what, ms = 20_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function noSidewaysScroll(page, what, width) {
  expect((await sidewaysScroll(page)) <= 0, `${what} scrolls sideways at ${width} px`);
}

/** A second person in the first key's organization, with an API key of their own. */
async function secondPerson(base, key) {
  const me = await api(base, key)("GET", "/me");
  const admin = api(base, ADMIN_TOKEN);
  const email = `reviewer-${Date.now()}@localhost.test`;
  const user = await admin("POST", `/admin/orgs/${me.org.id}/users`, { email, name: "Reviewer" });
  const created = await admin("POST", `/admin/users/${user.id}/api-keys`, { name: "e2e reviewer" });
  return { email, key: created.key };
}

export function waitingSteps({ base, key, getPage, shot }) {
  const call = api(base, key);
  const people = {};
  const setUp = async (width) => {
    const project = await call("POST", "/projects", { key: `waiting-${width}`, name: `Waiting ${width}` });
    await call("POST", `/projects/${project.id}/flags`, { key: "launch", name: "Launch" });
    return { id: project.id, url: `${base}/dashboard/projects/${project.id}`, flagUrl: `${base}/dashboard/projects/${project.id}/flags/launch` };
  };

  const scheduleWalk = async (width) => {
    const page = getPage();
    await page.setViewportSize({ width, height: width > 400 ? 860 : 844 });
    const project = await setUp(width);
    await page.goto(project.flagUrl);
    const waiting = page.getByRole("region", { name: "Waiting changes" });
    await see(waiting.getByText("No change request or schedule waits for this flag."), "the empty waiting list");
    await noSidewaysScroll(page, "the flag page", width);
    // From the form: tomorrow (the form's time has whole minutes), then cancelled from the page.
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 16);
    await page.getByLabel("Environment", { exact: true }).selectOption("development");
    await page.getByLabel("Turn", { exact: true }).selectOption("true");
    await page.getByLabel("Apply at (UTC)").fill(tomorrow);
    await page.getByRole("button", { name: "Apply at…" }).click();
    await see(page.getByText("Change scheduled."), "the scheduled notice");
    const upcoming = page.getByRole("list", { name: "Upcoming schedules" });
    await see(upcoming.getByRole("listitem").filter({ hasText: `development at ${tomorrow}` }), "the schedule, listed with its time");
    await noSidewaysScroll(page, "the flag page with a schedule", width);
    await upcoming.getByRole("button", { name: "Cancel" }).click();
    await see(page.getByText("Schedule cancelled: it will not be applied."), "the cancelled notice");
    expect((await page.getByRole("list", { name: "Upcoming schedules" }).count()) === 0, "the cancelled schedule is still listed");
    const [cancelled] = (await call("GET", `/projects/${project.id}/schedules?flag=launch`)).data;
    expect(cancelled?.status === "cancelled", `the schedule is ${cancelled?.status}, not cancelled`);
    // A few seconds ahead, through the API: listed on the page, then applied on its own.
    const at = new Date(Date.now() + 6_000).toISOString();
    const schedule = await call("POST", `/projects/${project.id}/flags/launch/environments/development/schedules`, {
      at,
      patch: { enabled: true },
      comment: `launch at ${width}`,
    });
    await page.goto(project.flagUrl);
    await see(
      page
        .getByRole("list", { name: "Upcoming schedules" })
        .getByRole("listitem")
        .filter({ hasText: `launch at ${width}` }),
      "the near schedule, listed",
    );
    await shot(`schedule-${width}`);
    const card = page.locator(".env-card", { has: page.getByRole("heading", { name: /^development/i }) });
    await until(async () => {
      await page.reload();
      return (await card.locator(".pill", { hasText: "On" }).count()) > 0;
    }, "the scheduled change to turn the flag on in development");
    expect((await page.getByRole("list", { name: "Upcoming schedules" }).count()) === 0, "the applied schedule is still listed as upcoming");
    const applied = await call("GET", `/projects/${project.id}/schedules/${schedule.id}`);
    expect(applied.status === "applied", `the schedule is ${applied.status}, not applied`);
    await page.goto(`${project.url}/changes?flag=launch`);
    const entry = page.locator("article.entry").filter({ hasText: `schedule ${schedule.id.slice(0, 8)}, set by dev@localhost.test` });
    await see(entry, "the change log entry naming its schedule");
    await see(entry.getByText(`“launch at ${width}”`), "the schedule's comment on the entry");
    await see(entry.getByText("Turned on"), "what the schedule did");
    await noSidewaysScroll(page, "the change log", width);
    return project;
  };

  const approvalWalk = async (project, width) => {
    const page = getPage();
    // The first person makes production require approval, from the Change requests tab.
    await page.goto(project.url);
    await page.getByRole("link", { name: "Change requests" }).click();
    await see(page.getByText("No open change requests"), "the empty change requests");
    await noSidewaysScroll(page, "the change requests page", width);
    await page.getByRole("button", { name: /^Require approval in production$/i }).click();
    await see(page.getByText("Changes in that environment now need another person's approval."), "the approval-on notice");
    await see(page.getByRole("button", { name: /^Allow direct changes in production$/i }), "production, requiring approval");
    // A toggle there opens a change request instead of a write.
    await page.goto(project.flagUrl);
    // On a protected production the press proposes at once (the dry run of the confirmation is refused
    // there too), so no "Yes, change production" page comes between.
    await page.getByRole("button", { name: "Turn on Launch in production" }).click();
    await see(page.getByText("This environment requires approval: a change request was opened."), "the request-opened notice");
    const request = page.getByRole("article", { name: "Change request for launch in production" });
    await see(request.getByText("proposed by dev@localhost.test"), "the open request on the flag page");
    await noSidewaysScroll(page, "the flag page with a request", width);
    const flag = await call("GET", `/projects/${project.id}/flags/launch`);
    expect(flag.environments.production.enabled === false, "the toggle wrote production directly");
    expect((await request.getByRole("button", { name: "Approve" }).count()) === 1, "no Approve button on the open request");
    // The second person, signed in with their own key in a browser of their own, approves it.
    people.reviewer ??= await secondPerson(base, key);
    const other = await startOtherBrowser();
    try {
      const context = await other.newContext({ viewport: { width, height: width > 400 ? 860 : 844 } });
      const theirs = await context.newPage();
      await theirs.goto(`${base}/dashboard/sign-in`);
      await theirs.getByLabel("API key").fill(people.reviewer.key);
      await theirs.getByRole("button", { name: "Sign in" }).click();
      await see(theirs.getByText(people.reviewer.email), "the reviewer, signed in");
      await theirs.goto(`${project.url}/change-requests`);
      const card = theirs.getByRole("article", { name: "Change request for launch in production" });
      await see(card.getByText("proposed by dev@localhost.test"), "who proposed it");
      await see(card.locator("pre.diff", { hasText: "+ " }), "the request's before and after");
      await noSidewaysScroll(theirs, "the reviewer's change requests page", width);
      await shot(`change-request-${width}`);
      await card.getByRole("button", { name: "Approve" }).click();
      await see(theirs.getByText("Change request approved."), "the approval's notice");
    } finally {
      await other.close();
    }
    // The first person applies it.
    await page.goto(`${project.url}/change-requests?status=approved`);
    const approved = page.getByRole("article", { name: "Change request for launch in production" });
    await see(approved.getByText(`approved by ${people.reviewer.email}`), "who approved, on the request");
    await approved.getByRole("button", { name: "Apply now" }).click();
    await see(page.getByText("Change request applied."), "the applied notice");
    await page.goto(project.flagUrl);
    const card = page.locator(".env-card", { has: page.getByRole("heading", { name: /^production/i }) });
    await see(card.locator(".pill", { hasText: "On" }), "the flag, on in production");
    await page.goto(`${project.url}/changes?flag=launch`);
    const entry = page.locator("article.entry").filter({ hasText: `approved by ${people.reviewer.email}` });
    await see(entry, "the change log entry naming who approved");
    await see(entry.getByText("Turned on"), "what the request did");
    await noSidewaysScroll(page, "the change log", width);
    await shot(`change-request-applied-${width}`);
  };

  const both = (width) => [
    {
      name: `schedules a change at ${width} px: one from the form cancelled on the page, one seconds ahead applied and named in the change log`,
      async run() {
        try {
          people[width] = await scheduleWalk(width);
        } finally {
          await getPage().setViewportSize({ width: 1280, height: 860 });
        }
      },
    },
    {
      name: `requires approval in production at ${width} px: a toggle opens a request, a second person approves it, it is applied and the log names them`,
      async run() {
        try {
          await approvalWalk(people[width], width);
        } finally {
          await getPage().setViewportSize({ width: 1280, height: 860 });
        }
      },
    },
  ];
  return [...both(1280), ...both(390)];
}
