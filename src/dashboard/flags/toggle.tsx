// Turning a flag on or off in one environment, or setting its rollout, from the flag list or the
// flag page: the button, what pressing it does, and the question production asks first (in the
// browser, and on a page of its own without JavaScript). A stale version names who changed what.
import { Hono } from "hono";
import type { Child, FC } from "hono/jsx";
import { ApiFailure } from "../shell/api";
import { formOf, idParam, keyParam, textField, type DashboardContext, type DashboardEnv, type FormBody } from "../shell/context";
import { CsrfField, PageHead, renderPage } from "../shell/layout";
import { noticeFrom } from "../shell/notices";
import { projectCrumbs } from "../shell/project-head";
import type { Environment, Flag, FlagState, Project } from "../shell/resources";
import { flagPath, PRODUCTION } from "./paths";
import { changeInView, ChangeView, commentOf, ReasonField } from "./production-check";
import { lastChangeOf } from "./recent-changes";

export function toggleRoutes() {
  const app = new Hono<DashboardEnv>();
  app.post("/projects/:projectId/flags/:flagKey/environments/:envKey", setFlagState);
  return app;
}

interface ToggleProps {
  project: Project;
  flag: Flag;
  env: Environment;
  state: FlagState;
  csrf: string;
  /** The page to return to: the flag list or the flag's own page. */
  back: "list" | "flag";
  /** What the last press of this very button did: said beside it, and the focus is back on it. */
  said?: string;
}

/** Turn on or off in one environment; in production the browser asks first (and the server, without JS). */
export const ToggleForm: FC<ToggleProps> = ({ project, flag, env, state, csrf, back, said }) => {
  const verb = state.enabled ? "Turn off" : "Turn on";
  return (
    <form method="post" action={`/dashboard/projects/${project.id}/flags/${flag.key}/environments/${env.key}`} class="inline">
      <CsrfField token={csrf} />
      <input type="hidden" name="version" value={String(state.version)} />
      <input type="hidden" name="enabled" value={state.enabled ? "false" : "true"} />
      <input type="hidden" name="back" value={back} />
      <button
        type="submit"
        class={state.enabled ? "small-button" : "primary small-button"}
        aria-label={`${verb} ${flag.name} in ${env.name}`}
        autofocus={said ? true : undefined}
      >
        {verb}
      </button>
      {said ? (
        <span class="small cell-notice" role="status">
          {said}
        </span>
      ) : null}
    </form>
  );
};

/** What the page was sent back with after a press of the button of `flag` in `env`, if it was that one. */
export function toggledNotice(c: DashboardContext, flagKey: string, envKey: string): string | undefined {
  const params = new URL(c.req.url).searchParams;
  if (params.get("flag") !== flagKey || params.get("env") !== envKey) return undefined;
  return noticeFrom(params)?.text;
}

/** The on/off button and the rollout form, from the list or the flag page; production asks first. */
async function setFlagState(c: DashboardContext) {
  const [projectId, flagKey, envKey] = [idParam(c, "projectId"), keyParam(c, "flagKey"), keyParam(c, "envKey")];
  const form = await formOf(c);
  const patch = statePatch(form);
  const backTo = backPath(form, projectId, flagKey);
  const back = (notice: string, extra = "") => c.redirect(`${backTo}?notice=${notice}${extra}#notice`, 303);
  if (!patch) return back("rollout-invalid");
  try {
    if (envKey === PRODUCTION && textField(form, "confirm") !== PRODUCTION) return await confirmPage(c, form, patch);
    const path = `/projects/${projectId}/flags/${flagKey}/environments/${envKey}`;
    const state = await c.get("api").send<FlagState>("PATCH", path, { ...patch, ...commentOf(textField(form, "comment")) });
    // Back where the button was, its focus on the button: the notice names the flag and the environment, in the row too.
    const code = state.version === patch.version ? "flag-unchanged" : patch.enabled === undefined ? "flag-rollout" : patch.enabled ? "flag-on" : "flag-off";
    const rollout = patch.rollout_percentage === undefined ? "" : `&rollout=${patch.rollout_percentage}`;
    // No fragment: a browser skips autofocus when the address names a target, and the button's autofocus scrolls to it.
    return c.redirect(`${backTo}?notice=${code}&flag=${flagKey}&env=${envKey}${rollout}`, 303);
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

type StatePatch = { version: number; enabled?: boolean; rollout_percentage?: number };

/** The toggle form sends `enabled`, the rollout form `rollout_percentage`; both send the version. */
function statePatch(form: FormBody): StatePatch | null {
  const version = Number(textField(form, "version"));
  if (!Number.isInteger(version) || version < 1) return null;
  const enabled = textField(form, "enabled");
  if (enabled === "true" || enabled === "false") return { version, enabled: enabled === "true" };
  const rollout = textField(form, "rollout_percentage").trim();
  if (!/^\d{1,3}$/.test(rollout) || Number(rollout) > 100) return null;
  return { version, rollout_percentage: Number(rollout) };
}

/** A production change asks on a page of its own, with the change in view and a reason to give. */
async function confirmPage(c: DashboardContext, form: FormBody, patch: StatePatch) {
  const [projectId, flagKey, envKey] = [idParam(c, "projectId"), keyParam(c, "flagKey"), keyParam(c, "envKey")];
  const api = c.get("api");
  const flag = await api.get<Flag>(`/projects/${projectId}/flags/${flagKey}`);
  const change = await changeInView(api, `/projects/${projectId}/flags/${flagKey}/environments/${envKey}`, patch);
  const what =
    patch.enabled === undefined
      ? `Set the rollout of ${flag.name} to ${patch.rollout_percentage}% in production?`
      : `Turn ${patch.enabled ? "on" : "off"} ${flag.name} in production?`;
  const sent = ["enabled", "rollout_percentage", "version", "back"].map((name) => [name, textField(form, name)]);
  const fields = Object.fromEntries(sent.filter(([, v]) => v !== ""));
  const crumbs = [...projectCrumbs(), { href: `/dashboard/projects/${projectId}`, label: "Flags" }];
  const cancel = backPath(form, projectId, flagKey);
  const body = (
    <>
      <PageHead title="Change production?" crumbs={crumbs} />
      <ConfirmProduction question={what} action={c.req.path} fields={fields} csrf={c.get("csrf")} cancel={cancel}>
        <ChangeView change={change} flag={flag} envName="production" />
      </ConfirmProduction>
    </>
  );
  return renderPage(c, "Change production?", body, { section: "projects" });
}

/** Where the button was pressed: the flag's page, or the project's flag list. */
function backPath(form: FormBody, projectId: string, flagKey: string): string {
  return textField(form, "back") === "flag" ? flagPath(projectId, flagKey) : `/dashboard/projects/${projectId}`;
}

interface ConfirmProps {
  children?: Child;
  question: string;
  action: string;
  fields: Record<string, string>;
  csrf: string;
  cancel: string;
}

const ConfirmProduction: FC<ConfirmProps> = ({ children, question, action, fields, csrf, cancel }) => (
  <div class="notice warn production-check" role="alert">
    <p>
      <strong>{question}</strong> Its users get the change at once, and its webhooks are called.
    </p>
    {children}
    <form method="post" action={action}>
      <ReasonField />
      <CsrfField token={csrf} />
      {Object.entries(fields).map(([name, value]) => (
        <input type="hidden" name={name} value={value} />
      ))}
      <input type="hidden" name="confirm" value={PRODUCTION} />
      <button type="submit" class="primary" autofocus>
        Yes, change production
      </button>
      <a href={cancel}>Cancel</a>
    </form>
  </div>
);
