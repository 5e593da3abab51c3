// A project's flags: every environment's state side by side, search by key, name or tag, turning a
// flag on or off (production asks first), and the new-flag page (any type, with its variations).
import { Hono } from "hono";
import { FLAG_TYPES, type FlagType } from "../../flags/model";
import { ApiFailure } from "../shell/api";
import { commaList, formOf, idParam, keyParam, textField, type DashboardContext, type DashboardEnv } from "../shell/context";
import { EmptyState, PageHead, renderPage } from "../shell/layout";
import { projectCrumbs, ProjectTabs, Revision } from "../shell/project-head";
import type { Flag, FlagState, Page, Project } from "../shell/resources";
import { staleNoticeWords } from "./conflict-notice";
import { fieldSentences } from "./field-words";
import { flagPageRoutes } from "./flag-page";
import { ConfirmProduction, FlagTable, NewEnvironmentForm, NewFlagForm, type NewEnvironmentState, type NewFlagState } from "./flag-views";
import { lastChangeOf } from "./recent-changes";
import { flagPath, PRODUCTION, targetingRoutes } from "./targeting";
import { applyVariationIntent, blankVariation, variationDraftsOfForm, variationErrorsOf, variationsOfDrafts } from "./variation-form";

const SEARCH_PAGES = 10;

export function flagRoutes() {
  const app = new Hono<DashboardEnv>();
  app.get("/projects/:projectId", (c) => flagsPage(c));
  app.get("/projects/:projectId/new-flag", (c) => newFlagPage(c, newFlagState()));
  app.post("/projects/:projectId/flags", createFlag);
  app.post("/projects/:projectId/flags/:flagKey/environments/:envKey", setFlagState);
  app.post("/projects/:projectId/environments", createEnvironment);

  // A flag's own page and its targeting editor hang off the project's flags.
  app.route("/", flagPageRoutes());
  app.route("/", targetingRoutes());
  return app;
}

/** The new-flag form: its variation buttons edit the draft; Create sends it. */
async function createFlag(c: DashboardContext) {
  const projectId = idParam(c, "projectId");
  const form = await formOf(c);
  const state = newFlagStateOf(form);
  const intent = textField(form, "intent") || "create";
  if (applyVariationIntent(state.variations, intent)) return newFlagPage(c, { ...state, focusLast: intent === "add-variation" });
  const built = variationsOfDrafts(state.variations, state.values.type);
  if ("errors" in built) return newFlagPage(c, { ...state, errors: built.errors, message: "The flag could not be created." }, 400);
  const { tags, type, ...values } = state.values;
  const body = { ...values, type, tags: commaList(tags), ...(built.variations.length ? { variations: built.variations } : {}) };
  try {
    const flag = await c.get("api").send<Flag>("POST", `/projects/${projectId}/flags`, body);
    return c.redirect(`${flagPath(projectId, flag.key)}?notice=flag-created#notice`, 303);
  } catch (err) {
    if (!(err instanceof ApiFailure) || (err.status !== 400 && err.status !== 409 && err.status !== 422)) throw err;
    const errors =
      err.status === 409
        ? { key: "Another flag in this project already uses this key." }
        : { ...fieldSentences(err.issues), ...variationErrorsOf(err.issues, state.variations) };
    return newFlagPage(c, { ...state, errors, message: "The flag could not be created." }, 400);
  }
}

/** The on/off button and the rollout form, from the list or the flag page; production asks first. */
async function setFlagState(c: DashboardContext) {
  const [projectId, flagKey, envKey] = [idParam(c, "projectId"), keyParam(c, "flagKey"), keyParam(c, "envKey")];
  const form = await formOf(c);
  const patch = statePatch(form);
  const backTo = textField(form, "back") === "flag" ? flagPath(projectId, flagKey) : `/dashboard/projects/${projectId}`;
  const back = (notice: string, extra = "") => c.redirect(`${backTo}?notice=${notice}${extra}#notice`, 303);
  if (!patch) return back("rollout-invalid");
  if (envKey === PRODUCTION && textField(form, "confirm") !== PRODUCTION) return confirmPage(c, form, patch);
  try {
    const path = `/projects/${projectId}/flags/${flagKey}/environments/${envKey}`;
    const state = await c.get("api").send<FlagState>("PATCH", path, patch);
    return back(state.version === patch.version ? "flag-unchanged" : "flag-saved");
  } catch (err) {
    if (err instanceof ApiFailure && err.status === 409) {
      const flag = await c.get("api").get<Flag>(`/projects/${projectId}/flags/${flagKey}`);
      const change = await lastChangeOf(c.get("api"), projectId, flag.id, envKey);
      return back("flag-stale", change ? `&change=${change.id}` : "");
    }
    if (err instanceof ApiFailure && err.status === 400) return back("rollout-invalid");
    throw err;
  }
}

/** The add-an-environment form at the foot of the flag list; a refusal shows the list with the form open. */
async function createEnvironment(c: DashboardContext) {
  const projectId = idParam(c, "projectId");
  const form = await formOf(c);
  const values = { key: textField(form, "key").trim(), name: textField(form, "name").trim() };
  try {
    await c.get("api").send("POST", `/projects/${projectId}/environments`, values);
    return c.redirect(`/dashboard/projects/${projectId}?notice=environment-created#notice`, 303);
  } catch (err) {
    if (!(err instanceof ApiFailure) || (err.status !== 400 && err.status !== 409)) throw err;
    const errors =
      err.status === 409 ? { key: "Another environment of this project already uses this key." } : fieldSentences(err.issues);
    return flagsPage(c, { values, errors }, 400);
  }
}

/** The toggle form sends `enabled`, the rollout form `rollout_percentage`; both send the version. */
function statePatch(form: Parameters<typeof textField>[0]): { version: number; enabled?: boolean; rollout_percentage?: number } | null {
  const version = Number(textField(form, "version"));
  if (!Number.isInteger(version) || version < 1) return null;
  const enabled = textField(form, "enabled");
  if (enabled === "true" || enabled === "false") return { version, enabled: enabled === "true" };
  const rollout = textField(form, "rollout_percentage").trim();
  if (!/^\d{1,3}$/.test(rollout) || Number(rollout) > 100) return null;
  return { version, rollout_percentage: Number(rollout) };
}

/** Without JavaScript (or when the browser's question was skipped) a production change asks here. */
async function confirmPage(c: DashboardContext, form: Parameters<typeof textField>[0], patch: { enabled?: boolean; rollout_percentage?: number }) {
  const [projectId, flagKey] = [idParam(c, "projectId"), keyParam(c, "flagKey")];
  const flag = await c.get("api").get<Flag>(`/projects/${projectId}/flags/${flagKey}`);
  const what = patch.enabled === undefined ? `Set the rollout of ${flag.name} to ${patch.rollout_percentage}% in production?` : `Turn ${patch.enabled ? "on" : "off"} ${flag.name} in production?`;
  const fields = Object.fromEntries(["enabled", "rollout_percentage", "version", "back"].map((name) => [name, textField(form, name)]).filter(([, v]) => v !== ""));
  const body = (
    <>
      <PageHead title="Change production?" crumbs={[{ href: "/dashboard", label: "Projects" }, { href: `/dashboard/projects/${projectId}`, label: "Flags" }]} />
      <ConfirmProduction question={what} action={c.req.path} fields={fields} csrf={c.get("csrf")} cancel={textField(form, "back") === "flag" ? flagPath(projectId, flagKey) : `/dashboard/projects/${projectId}`} />
    </>
  );
  return renderPage(c, "Change production?", body, { section: "projects" });
}

function newFlagState(): NewFlagState {
  return { values: { key: "", name: "", description: "", type: "boolean", tags: "" }, variations: [blankVariation(0), blankVariation(1)], errors: {} };
}

function newFlagStateOf(form: Parameters<typeof textField>[0]): NewFlagState {
  const type = textField(form, "type") as FlagType;
  return {
    values: {
      key: textField(form, "key").trim(),
      name: textField(form, "name").trim(),
      description: textField(form, "description").trim(),
      type: (FLAG_TYPES as readonly string[]).includes(type) ? type : "boolean",
      tags: textField(form, "tags"),
    },
    variations: variationDraftsOfForm(form),
    errors: {},
  };
}

async function newFlagPage(c: DashboardContext, state: NewFlagState, status: 200 | 400 = 200) {
  const projectId = idParam(c, "projectId");
  const project = await c.get("api").get<Project>(`/projects/${projectId}`);
  const body = (
    <>
      <PageHead title="New flag" crumbs={projectCrumbs(project)} />
      <NewFlagForm project={project} csrf={c.get("csrf")} state={state} />
    </>
  );
  return renderPage(c, `${project.name} · New flag`, body, { section: "projects", status });
}

/** Every flag when searching (up to SEARCH_PAGES pages of 200), one page otherwise. */
async function flagsOf(c: DashboardContext, projectId: string, query: string, cursor?: string): Promise<Page<Flag> & { searched_all?: boolean }> {
  if (!query) return c.get("api").get<Page<Flag>>(`/projects/${projectId}/flags`, { limit: 100, cursor });
  const needle = query.toLowerCase();
  const found: Flag[] = [];
  let next: string | null | undefined;
  for (let i = 0; i < SEARCH_PAGES; i++) {
    const page: Page<Flag> = await c.get("api").get<Page<Flag>>(`/projects/${projectId}/flags`, { limit: 200, cursor: next ?? undefined });
    found.push(...page.data.filter((f) => f.key.includes(needle) || f.name.toLowerCase().includes(needle) || f.tags.some((t) => t.toLowerCase().includes(needle))));
    next = page.next_cursor;
    if (!next) break;
  }
  return { data: found, next_cursor: null, searched_all: !next };
}

async function flagsPage(c: DashboardContext, newEnvironment?: NewEnvironmentState, status: 200 | 400 = 200) {
  const projectId = idParam(c, "projectId");
  const cursor = c.req.query("cursor");
  const query = (c.req.query("q") ?? "").trim().slice(0, 100);
  const [project, flags] = await Promise.all([c.get("api").get<Project>(`/projects/${projectId}`), flagsOf(c, projectId, query, cursor)]);
  const base = `/dashboard/projects/${projectId}`;
  const body = (
    <>
      <PageHead title={project.name} crumbs={projectCrumbs()}>
        <Revision project={project} />
        <a class="button primary" href={`${base}/new-flag`}>
          New flag
        </a>
      </PageHead>
      <ProjectTabs project={project} current="flags" />
      <form method="get" action={base} class="inline search" role="search">
        <label for="flag-search">Search flags</label>
        <input id="flag-search" type="search" name="q" value={query} placeholder="Key, name or tag" />
        <button type="submit">Search</button>
        {query ? <a href={base}>Clear</a> : null}
      </form>
      {flags.data.length === 0 ? (
        query ? (
          <EmptyState title="No flag matches">
            <p>No flag's key, name or tag contains “{query}”.</p>
          </EmptyState>
        ) : (
          <EmptyState title={cursor ? "No more flags" : "No flags yet"}>
            <p>A flag starts turned off everywhere. Turning it on, or changing its targeting, is recorded in the change log and sent to webhooks.</p>
            <p>
              <a class="button primary" href={`${base}/new-flag`}>
                Create the first flag
              </a>
            </p>
          </EmptyState>
        )
      ) : (
        <FlagTable flags={flags.data} project={project} csrf={c.get("csrf")} />
      )}
      {flags.searched_all === false ? <p class="small muted">Searched the newest {SEARCH_PAGES * 200} flags; older ones may match too.</p> : null}
      {flags.next_cursor ? (
        <p class="pager">
          <span class="muted small">Showing {flags.data.length} flags, newest first.</span>
          <a class="button" href={`${base}?cursor=${encodeURIComponent(flags.next_cursor)}`}>
            More flags →
          </a>
        </p>
      ) : null}
      <NewEnvironmentForm project={project} csrf={c.get("csrf")} state={newEnvironment} />
    </>
  );
  return renderPage(c, `${project.name} · Flags`, body, { section: "projects", status, noticeDetail: await staleNoticeWords(c) });
}
