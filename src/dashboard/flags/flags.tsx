// A project's flags: every environment's state side by side, search by key, name or tag, adding an
// environment, and the new-flag page (any type, with its variations). The on/off button is toggle.tsx.
import { Hono } from "hono";
import type { FC } from "hono/jsx";
import { FLAG_TYPES, type FlagType } from "../../flags/model";
import { ApiFailure } from "../shell/api";
import { commaList, formOf, idParam, textField, type DashboardContext, type DashboardEnv, type FormBody } from "../shell/context";
import { EmptyState, PageHead, renderPage } from "../shell/layout";
import { projectCrumbs, ProjectTabs, Revision } from "../shell/project-head";
import type { Flag, Page, Project } from "../shell/resources";
import { staleNoticeWords } from "./conflict-notice";
import { fieldSentences } from "./field-words";
import { flagPageRoutes } from "./flag-page";
import { toggledNotice } from "./toggle";
import { FlagTable, NewEnvironmentForm, NewFlagForm, type NewEnvironmentState, type NewFlagState } from "./flag-views";
import { flagPath } from "./paths";
import { targetingRoutes } from "./targeting";
import { toggleRoutes } from "./toggle";
import { applyVariationIntent, blankVariation, variationDraftsOfForm, variationErrorsOf, variationsOfDrafts } from "./variation-form";

const SEARCH_PAGES = 10;

export function flagRoutes() {
  const app = new Hono<DashboardEnv>();
  app.get("/projects/:projectId", (c) => flagsPage(c));
  app.get("/projects/:projectId/new-flag", (c) => newFlagPage(c, newFlagState()));
  app.post("/projects/:projectId/flags", createFlag);
  app.post("/projects/:projectId/environments", createEnvironment);

  // A flag's on/off button, its own page and its targeting editor hang off the project's flags.
  app.route("/", toggleRoutes());
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
  const { tags, type, off, ...values } = state.values;
  const variations = built.variations.length ? { variations: built.variations } : {};
  const body = { ...values, type, tags: commaList(tags), ...variations };
  try {
    const flag = await c.get("api").send<Flag>("POST", `/projects/${projectId}/flags`, body);
    const notice = off === "first" ? await serveFirstWhileOff(c, projectId, flag) : "flag-created";
    return c.redirect(`${flagPath(projectId, flag.key)}?notice=${notice}#notice`, 303);
  } catch (err) {
    if (!(err instanceof ApiFailure) || ![400, 409, 422].includes(err.status)) throw err;
    const errors =
      err.status === 409
        ? { key: "Another flag in this project already uses this key." }
        : { ...fieldSentences(err.issues), ...variationErrorsOf(err.issues, state.variations) };
    return newFlagPage(c, { ...state, errors, message: "The flag could not be created." }, 400);
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
    const errors = err.status === 409 ? { key: "Another environment of this project already uses this key." } : fieldSentences(err.issues);
    return flagsPage(c, { values, errors }, 400);
  }
}

/**
 * The API starts a new flag serving its last variation while off (CONTRACT.md: a boolean's Off); when
 * the form asks for the first one instead, each environment's default is set to it, one change each.
 */
async function serveFirstWhileOff(c: DashboardContext, projectId: string, flag: Flag): Promise<string> {
  const first = flag.variations[0];
  if (!first) return "flag-created";
  try {
    for (const [envKey, state] of Object.entries(flag.environments)) {
      if (state.default_variation_id === first.id) continue;
      const path = `/projects/${projectId}/flags/${flag.key}/environments/${envKey}`;
      await c.get("api").send("PATCH", path, { version: state.version, default_variation_id: first.id });
    }
    return "flag-created";
  } catch (err) {
    if (err instanceof ApiFailure) return "flag-created-default-kept";
    throw err;
  }
}

function newFlagState(): NewFlagState {
  const values = { key: "", name: "", description: "", type: "boolean" as const, tags: "", off: "last" as const };
  return { values, variations: [blankVariation(0), blankVariation(1)], errors: {} };
}

function newFlagStateOf(form: FormBody): NewFlagState {
  const type = textField(form, "type") as FlagType;
  return {
    values: {
      key: textField(form, "key").trim(),
      name: textField(form, "name").trim(),
      description: textField(form, "description").trim(),
      type: (FLAG_TYPES as readonly string[]).includes(type) ? type : "boolean",
      tags: textField(form, "tags"),
      off: textField(form, "off") === "first" ? "first" : "last",
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

type FoundFlags = Page<Flag> & { searched_all?: boolean };

/** Every flag when searching (up to SEARCH_PAGES pages of 200), one page otherwise. */
async function flagsOf(c: DashboardContext, projectId: string, query: string, cursor?: string): Promise<FoundFlags> {
  if (!query) return c.get("api").get<Page<Flag>>(`/projects/${projectId}/flags`, { limit: 100, cursor });
  const needle = query.toLowerCase();
  const matches = (f: Flag) => f.key.includes(needle) || f.name.toLowerCase().includes(needle) || f.tags.some((t) => t.toLowerCase().includes(needle));
  const found: Flag[] = [];
  let next: string | null | undefined;
  for (let i = 0; i < SEARCH_PAGES; i++) {
    const page: Page<Flag> = await c.get("api").get<Page<Flag>>(`/projects/${projectId}/flags`, { limit: 200, cursor: next ?? undefined });
    found.push(...page.data.filter(matches));
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
      <SearchForm base={base} query={query} />
      {flags.data.length === 0 ? (
        <NoFlags base={base} query={query} cursor={cursor} />
      ) : (
        <FlagTable flags={flags.data} project={project} csrf={c.get("csrf")} said={(flagKey, envKey) => toggledNotice(c, flagKey, envKey)} />
      )}
      {flags.searched_all === false ? <p class="small muted">Searched the newest {SEARCH_PAGES * 200} flags; older ones may match too.</p> : null}
      {flags.next_cursor ? <MoreFlags base={base} shown={flags.data.length} cursor={flags.next_cursor} /> : null}
      <NewEnvironmentForm project={project} csrf={c.get("csrf")} state={newEnvironment} />
    </>
  );
  return renderPage(c, `${project.name} · Flags`, body, { section: "projects", status, noticeDetail: await staleNoticeWords(c) });
}

const SearchForm: FC<{ base: string; query: string }> = ({ base, query }) => (
  <search>
    <form method="get" action={base} class="inline search">
      <label for="flag-search">Search flags</label>
      <input id="flag-search" type="search" name="q" value={query} placeholder="Key, name or tag" />
      <button type="submit">Search</button>
      {query ? <a href={base}>Clear</a> : null}
    </form>
  </search>
);

const NoFlags: FC<{ base: string; query: string; cursor?: string }> = ({ base, query, cursor }) =>
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
  );

const MoreFlags: FC<{ base: string; shown: number; cursor: string }> = ({ base, shown, cursor }) => (
  <p class="pager">
    <span class="muted small">Showing {shown} flags, newest first.</span>
    <a class="button" href={`${base}?cursor=${encodeURIComponent(cursor)}`}>
      More flags →
    </a>
  </p>
);
