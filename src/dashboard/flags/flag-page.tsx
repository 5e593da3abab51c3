// One flag's page: its state in every environment side by side, its variations, its name, key,
// description and tags, archive and delete (a confirmation naming the flag), its recent changes and
// the code that reads it.
import { Hono } from "hono";
import type { Child } from "hono/jsx";
import { ApiFailure } from "../shell/api";
import { commaList, formOf, idParam, keyParam, textField, type DashboardContext, type DashboardEnv } from "../shell/context";
import type { FieldErrors } from "../shell/fields";
import { CsrfField, PageHead, Pill, renderPage } from "../shell/layout";
import { projectCrumbs, ProjectTabs } from "../shell/project-head";
import type { Flag, Page, Project } from "../shell/resources";
import { ConflictNotice, staleNoticeWords } from "./conflict-notice";
import { fieldSentences, sentence } from "./field-words";
import { ArchiveOrDelete, EnvironmentCards, RecentChanges, SettingsForm, VariationsForm, type SettingsDraft } from "./flag-page-views";
import { flagPath } from "./paths";
import { filteredChanges, lastChangeOf } from "./recent-changes";
import { PropagationLine, propagationOf } from "./revision-page";
import { SdkSnippet } from "./sdk-snippet";
import { WaitingForFlag, type ChangeRequest, type Schedule } from "./requests";
import { toggledNotice } from "./toggle";
import { applyVariationIntent, draftsOfVariations, variationDraftsOfForm, variationErrorsOf, variationsOfDrafts, type VariationDraft } from "./variation-form";

interface Outcome {
  settings?: { draft: SettingsDraft; errors: FieldErrors };
  variations?: { drafts: VariationDraft[]; errors: FieldErrors; focusLast?: boolean };
  banner?: Child;
  status?: 200 | 400 | 409 | 422;
}

const ROUTE = "/projects/:projectId/flags/:flagKey";

export function flagPageRoutes() {
  const app = new Hono<DashboardEnv>();
  app.get(ROUTE, (c) => flagPage(c));
  app.post(`${ROUTE}/settings`, saveSettings);
  app.post(`${ROUTE}/variations`, saveVariations);
  app.post(`${ROUTE}/archived`, setArchived);
  app.get(`${ROUTE}/delete`, deletePage);
  app.post(`${ROUTE}/delete`, deleteFlag);
  return app;
}

/** Name, key, description, tags and sharing; a changed key moves the page to the new address. */
async function saveSettings(c: DashboardContext) {
  const { projectId, flagKey } = params(c);
  const form = await formOf(c);
  const draft = {
    name: textField(form, "name"),
    key: textField(form, "key").trim(),
    description: textField(form, "description"),
    tags: textField(form, "tags"),
    share_with_everyone: textField(form, "share_with_everyone") === "true",
    roles: textField(form, "roles"),
  };
  const patch = {
    name: draft.name.trim(),
    key: draft.key,
    description: draft.description.trim(),
    tags: commaList(draft.tags),
    sharing: { share_with_everyone: draft.share_with_everyone, roles: commaList(draft.roles) },
    version: Number(textField(form, "version")),
  };
  const keep = (errors: FieldErrors) => ({ settings: { draft, errors } });
  return saveFlag(c, patch, keep, (flag) => `${flagPath(projectId, flag.key)}?notice=settings-saved&flag=${flag.key}#notice`, flagKey);
}

/** The variation rows: their buttons edit the draft; Save sends the list as the flag's type reads it. */
async function saveVariations(c: DashboardContext) {
  const { projectId, flagKey } = params(c);
  const form = await formOf(c);
  const flag = await c.get("api").get<Flag>(`/projects/${projectId}/flags/${flagKey}`);
  const drafts = variationDraftsOfForm(form);
  const intent = textField(form, "intent") || "save";
  if (applyVariationIntent(drafts, intent)) return flagPage(c, { variations: { drafts, errors: {}, focusLast: intent === "add-variation" } });
  const built = variationsOfDrafts(drafts, flag.type);
  if ("errors" in built) return flagPage(c, { variations: { drafts, errors: built.errors }, status: 400 });
  const patch = { variations: built.variations, version: Number(textField(form, "version")) };
  const keep = (errors: FieldErrors, err?: ApiFailure) => ({
    variations: { drafts, errors: { ...errors, ...variationErrorsOf(err?.issues ?? [], drafts) } },
  });
  return saveFlag(c, patch, keep, (f) => `${flagPath(projectId, f.key)}?notice=variations-saved&flag=${f.key}#notice`);
}

async function setArchived(c: DashboardContext) {
  const { projectId } = params(c);
  const form = await formOf(c);
  const patch = { archived: textField(form, "archived") === "true", version: Number(textField(form, "version")) };
  return saveFlag(
    c,
    patch,
    () => ({}),
    (f) => `${flagPath(projectId, f.key)}?notice=${f.archived ? "flag-archived" : "flag-unarchived"}#notice`,
  );
}

async function deleteFlag(c: DashboardContext) {
  const { projectId, flagKey } = params(c);
  await c.get("api").send("DELETE", `/projects/${projectId}/flags/${flagKey}`);
  return c.redirect(`/dashboard/projects/${projectId}?notice=flag-deleted#notice`, 303);
}

function params(c: DashboardContext) {
  return { projectId: idParam(c, "projectId"), flagKey: keyParam(c, "flagKey") };
}

/** PATCHes the flag; a refusal re-renders the page with the draft, a conflict names who changed what. */
async function saveFlag(
  c: DashboardContext,
  patch: Record<string, unknown>,
  keep: (errors: FieldErrors, err?: ApiFailure) => Outcome,
  then: (flag: Flag) => string,
  flagKey = params(c).flagKey,
) {
  const { projectId } = params(c);
  try {
    const flag = await c.get("api").send<Flag>("PATCH", `/projects/${projectId}/flags/${flagKey}`, patch);
    return c.redirect(then(flag), 303);
  } catch (err) {
    if (!(err instanceof ApiFailure)) throw err;
    return refusedSave(c, err, keep, flagKey);
  }
}

/** A taken key is said beside the field; a stale version names who changed what; a refusal says why, in words. */
async function refusedSave(c: DashboardContext, err: ApiFailure, keep: (errors: FieldErrors, err?: ApiFailure) => Outcome, flagKey: string) {
  const { projectId } = params(c);
  if (err.status === 409 && err.code === "conflict") {
    return flagPage(c, { ...keep({ key: "Another flag in this project already uses this key." }, err), status: 409 });
  }
  if (err.status === 409) {
    const current = await c
      .get("api")
      .get<Flag>(`/projects/${projectId}/flags/${flagKey}`)
      .catch(() => null);
    const change = current ? await lastChangeOf(c.get("api"), projectId, current.id) : undefined;
    const reload = flagPath(projectId, flagKey);
    const banner = <ConflictNotice change={change} reload={reload} subject="this flag" reloadLabel="Reload the flag" />;
    return flagPage(c, { ...keep({}, err), banner, status: 409 });
  }
  if (err.status === 400 || err.status === 422) {
    const outcome = keep(fieldSentences(err.issues), err);
    const banner = (
      <div class="notice error" role="alert" tabindex={-1} autofocus>
        {sentence(err.message)}
      </div>
    );
    return flagPage(c, { ...outcome, banner, status: err.status });
  }
  throw err;
}

/** The settings form as the flag stands. */
function settingsDraftOf(flag: Flag): SettingsDraft {
  const { name, key, description, sharing } = flag;
  return { name, key, description, tags: flag.tags.join(", "), share_with_everyone: sharing.share_with_everyone, roles: sharing.roles.join(", ") };
}

async function flagPage(c: DashboardContext, outcome: Outcome = {}) {
  const { projectId, flagKey } = params(c);
  const api = c.get("api");
  const [project, flag] = await Promise.all([api.get<Project>(`/projects/${projectId}`), api.get<Flag>(`/projects/${projectId}/flags/${flagKey}`)]);
  const [changes, requests, schedules] = await Promise.all([
    filteredChanges(api, projectId, { flag: flag.id }, 8, undefined, 400),
    api.get<Page<ChangeRequest>>(`/projects/${projectId}/change-requests`, { flag: flag.key, limit: 50 }),
    api.get<Page<Schedule>>(`/projects/${projectId}/schedules`, { flag: flag.key, status: "scheduled", limit: 50 }),
  ]);
  const latest = changes.entries[0];
  const propagation = latest ? await propagationOf(api, projectId, [latest.revision]) : new Map();
  const csrf = c.get("csrf");
  const settings = outcome.settings ?? { draft: settingsDraftOf(flag), errors: {} };
  const variations = outcome.variations ?? { drafts: draftsOfVariations(flag.variations, flag.type), errors: {} };
  const body = (
    <>
      <PageHead title={flag.name} crumbs={projectCrumbs(project)}>
        <Pill tone="off">{flag.type}</Pill>
        {flag.archived ? <Pill tone="warn">Archived</Pill> : null}
      </PageHead>
      <ProjectTabs project={project} current="flags" />
      <p class="muted">
        Key <code>{flag.key}</code>
        {flag.description ? ` · ${flag.description}` : ""} · version {flag.version}
      </p>
      {outcome.banner ?? null}
      <h2 id="environments">In every environment</h2>
      <EnvironmentCards project={project} flag={flag} csrf={csrf} said={(envKey) => toggledNotice(c, flag.key, envKey)} />
      <WaitingForFlag
        project={project}
        flagKey={flag.key}
        requests={requests.data.filter((r) => r.status === "open" || r.status === "approved")}
        schedules={schedules.data}
        csrf={csrf}
      />
      <h2 id="variations">Variations</h2>
      <VariationsForm flag={flag} base={flagPath(projectId, flag.key)} csrf={csrf} {...variations} />
      <h2 id="settings">Name, key, description and tags</h2>
      <SettingsForm flag={flag} base={flagPath(projectId, flag.key)} csrf={csrf} {...settings} />
      <h2 id="code">Use it in code</h2>
      <SdkSnippet flag={flag} origin={new URL(c.req.url).origin} projectId={projectId} />
      <h2 id="changes">Recent changes</h2>
      {latest ? (
        <p>
          Latest change: <PropagationLine projectId={projectId} revision={latest.revision} summary={propagation.get(latest.revision)} />
        </p>
      ) : null}
      <RecentChanges entries={changes.entries} projectId={projectId} flag={flag} />
      <h2 id="danger">Archive or delete</h2>
      <ArchiveOrDelete flag={flag} base={flagPath(projectId, flag.key)} csrf={csrf} />
    </>
  );
  const noticeDetail = await staleNoticeWords(c);
  return renderPage(c, `${flag.name} · ${project.name}`, body, { section: "projects", status: outcome.status ?? 200, noticeDetail });
}

async function deletePage(c: DashboardContext) {
  const { projectId, flagKey } = params(c);
  const api = c.get("api");
  const [project, flag] = await Promise.all([api.get<Project>(`/projects/${projectId}`), api.get<Flag>(`/projects/${projectId}/flags/${flagKey}`)]);
  const on = project.environments.filter((e) => flag.environments[e.key]?.enabled).map((e) => e.name);
  const body = (
    <>
      <PageHead title={`Delete ${flag.name}?`} crumbs={[...projectCrumbs(project), { href: flagPath(projectId, flagKey), label: flag.name }]} />
      <div class="notice warn" role="alert">
        <p>
          <strong>
            Delete the flag “{flag.name}” (key <code>{flag.key}</code>) from every environment?
          </strong>
        </p>
        <p>
          {on.length ? `It is on in ${on.join(", ")}. ` : ""}Code that asks for it gets its own default from then on. Its webhooks are told. This cannot be
          undone; archiving keeps it instead.
        </p>
        <form method="post" action={`${flagPath(projectId, flagKey)}/delete`} class="inline">
          <CsrfField token={c.get("csrf")} />
          <button type="submit" class="danger" autofocus>
            Delete {flag.name}
          </button>
          <a href={flagPath(projectId, flagKey)}>Keep it</a>
        </form>
      </div>
    </>
  );
  return renderPage(c, `Delete ${flag.name}?`, body, { section: "projects" });
}
