// A project's flags in one environment: turn them on and off, set the rollout, read what each serves
// (the code-like text), and add flags. Every form carries the state's version, so a change made by
// someone else since the page loaded is refused (409) rather than silently overwritten.
import { Hono } from "hono";
import { ApiFailure } from "./api";
import { formOf, idParam, keyParam, textField, type DashboardContext, type DashboardEnv, type FormBody } from "./context";
import { errorsByField } from "./fields";
import { EmptyState, PageHead, renderPage } from "./layout";
import { EnvironmentTabs, FlagCard, NewFlagForm, ProjectTabs, type NewFlagState } from "./flag-views";
import type { Flag, FlagState, Page, Project } from "./resources";

export function flagRoutes() {
  const app = new Hono<DashboardEnv>();
  app.get("/projects/:projectId", (c) => flagsPage(c));

  app.post("/projects/:projectId/flags", async (c) => {
    const projectId = idParam(c, "projectId");
    const form = await formOf(c);
    const values = { key: textField(form, "key").trim(), name: textField(form, "name").trim(), description: textField(form, "description").trim() };
    try {
      const flag = await c.get("api").send<Flag>("POST", `/projects/${projectId}/flags`, values);
      return c.redirect(`${projectPath(projectId, textField(form, "env"))}&notice=flag-created#flag-${flag.key}`, 303);
    } catch (err) {
      if (!(err instanceof ApiFailure) || (err.status !== 400 && err.status !== 409)) throw err;
      const errors = err.status === 409 ? { key: "Another flag in this project already uses this key." } : errorsByField(err.issues);
      return flagsPage(c, { values, errors, message: "The flag could not be created." });
    }
  });

  app.post("/projects/:projectId/flags/:flagKey/environments/:envKey", async (c) => {
    const [projectId, flagKey, envKey] = [idParam(c, "projectId"), keyParam(c, "flagKey"), keyParam(c, "envKey")];
    const patch = statePatch(await formOf(c));
    const back = (notice: string) => c.redirect(`${projectPath(projectId, envKey)}&notice=${notice}#flag-${flagKey}`, 303);
    if (!patch) return back("rollout-invalid");
    try {
      const path = `/projects/${projectId}/flags/${flagKey}/environments/${envKey}`;
      const state = await c.get("api").send<FlagState>("PATCH", path, patch);
      return back(state.version === patch.version ? "flag-unchanged" : "flag-saved");
    } catch (err) {
      if (err instanceof ApiFailure && err.status === 409) return back("flag-stale");
      if (err instanceof ApiFailure && err.status === 400) return back("rollout-invalid");
      throw err;
    }
  });
  return app;
}

function projectPath(projectId: string, envKey: string): string {
  return `/dashboard/projects/${projectId}?env=${encodeURIComponent(envKey)}`;
}

/** The toggle form sends `enabled`, the rollout form `rollout_percentage`; both send the version. */
function statePatch(form: FormBody): { version: number; enabled?: boolean; rollout_percentage?: number } | null {
  const version = Number(textField(form, "version"));
  if (!Number.isInteger(version) || version < 1) return null;
  const enabled = textField(form, "enabled");
  if (enabled === "true" || enabled === "false") return { version, enabled: enabled === "true" };
  const rollout = textField(form, "rollout_percentage").trim();
  if (!/^\d{1,3}$/.test(rollout) || Number(rollout) > 100) return null;
  return { version, rollout_percentage: Number(rollout) };
}

async function flagsPage(c: DashboardContext, failed?: NewFlagState) {
  const projectId = idParam(c, "projectId");
  const cursor = c.req.query("cursor");
  const [project, flags] = await Promise.all([
    c.get("api").get<Project>(`/projects/${projectId}`),
    c.get("api").get<Page<Flag>>(`/projects/${projectId}/flags`, { limit: 100, cursor }),
  ]);
  const envs = project.environments;
  const env = envs.find((e) => e.key === c.req.query("env")) ?? envs.find((e) => e.key === "production") ?? envs[0];
  const csrf = c.get("csrf");
  const body = (
    <>
      <PageHead title={project.name} crumbs={[{ href: "/dashboard", label: "Projects" }]} />
      <ProjectTabs project={project} current="flags" />
      {env ? <EnvironmentTabs project={project} current={env.key} /> : null}
      {flags.data.length === 0 && !cursor ? (
        <EmptyState title="No flags yet">
          <p>A flag starts turned off everywhere. Turning it on, or changing its rollout, is recorded in the change log and sent to webhooks.</p>
        </EmptyState>
      ) : null}
      {env ? flags.data.map((flag) => <FlagCard flag={flag} project={project} env={env} csrf={csrf} />) : null}
      {flags.next_cursor ? (
        <p class="pager">
          <span class="muted small">Showing {flags.data.length} flags, newest first.</span>
          <a class="button" href={`/dashboard/projects/${projectId}?env=${env?.key ?? ""}&cursor=${encodeURIComponent(flags.next_cursor)}`}>
            More flags →
          </a>
        </p>
      ) : null}
      <NewFlagForm project={project} envKey={env?.key ?? ""} csrf={csrf} state={failed} open={flags.data.length === 0 || failed !== undefined} />
    </>
  );
  return renderPage(c, `${project.name} · Flags`, body, { section: "projects", status: failed ? 400 : 200 });
}
