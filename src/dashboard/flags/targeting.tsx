// The targeting page of one flag in one environment (the editor in state-editor.tsx), and what
// saving it means: production asks first, a stale version names who changed what since, and every
// refusal comes back beside the field it concerns with the draft kept.
import { Hono } from "hono";
import type { Child } from "hono/jsx";
import { renderState } from "../../flags/code-like";
import { ApiFailure } from "../shell/api";
import { formOf, idParam, keyParam, textField, type DashboardContext, type DashboardEnv } from "../shell/context";
import type { FieldErrors } from "../shell/fields";
import { PageHead, renderPage } from "../shell/layout";
import { projectCrumbs } from "../shell/project-head";
import type { Flag, FlagState, Project } from "../shell/resources";
import { ConflictNotice } from "./conflict-notice";
import { flagPath, PRODUCTION, targetingPath } from "./paths";
import { lastChangeOf } from "./recent-changes";
import { changeInView, ChangeView, commentOf, ReasonField, type ChangeInView } from "./production-check";
import { ReachList, reachOfPatch, reachOfState } from "./reach-view";
import { StateEditor } from "./state-editor";
import { applyIntent, draftOfForm, draftOfState, patchOfDraft, stateErrorsOf, type StateDraft } from "./state-form";

interface Outcome {
  draft: StateDraft;
  errors?: FieldErrors;
  focus?: string;
  banner?: Child;
  status?: 200 | 400 | 409 | 422;
}

export function targetingRoutes() {
  const app = new Hono<DashboardEnv>();
  app.get("/projects/:projectId/flags/:flagKey/targeting/:envKey", (c) => targetingPage(c));
  app.post("/projects/:projectId/flags/:flagKey/targeting/:envKey", saveTargeting);
  return app;
}

/** The editor's buttons edit the draft; Save sends it (production asks first). */
async function saveTargeting(c: DashboardContext) {
  const [projectId, flagKey, envKey] = [idParam(c, "projectId"), keyParam(c, "flagKey"), keyParam(c, "envKey")];
  const form = await formOf(c);
  const draft = draftOfForm(form);
  const intent = textField(form, "intent") || "save";
  const flag = await c.get("api").get<Flag>(`/projects/${projectId}/flags/${flagKey}`);
  if (applyIntent(draft, intent, flag.variations[0]?.id ?? "")) return targetingPage(c, { draft, focus: focusAfter(intent, draft) });
  const prepared = patchOfDraft(draft);
  if ("errors" in prepared) return targetingPage(c, { draft, errors: prepared.errors, status: 400 });
  if (intent === "check") return targetingPage(c, { draft, focus: "check-reach" });
  const path = `/projects/${projectId}/flags/${flagKey}/environments/${envKey}`;
  try {
    if (envKey === PRODUCTION && intent !== "save-production") {
      const change = await changeInView(c.get("api"), path, prepared.patch);
      return targetingPage(c, { draft, banner: <ProductionCheck flag={flag} change={change} comment={textField(form, "comment")} /> });
    }
    const state = await c.get("api").send<FlagState>("PATCH", path, { ...prepared.patch, ...commentOf(textField(form, "comment")) });
    const notice = state.version === prepared.patch.version ? "flag-unchanged" : "flag-saved";
    return c.redirect(`${targetingPath(projectId, flagKey, envKey)}?notice=${notice}&flag=${flagKey}&env=${envKey}#notice`, 303);
  } catch (err) {
    if (!(err instanceof ApiFailure)) throw err;
    return refusedTargeting(c, err, draft, flag);
  }
}

/** A refused save comes back with the draft: a conflict names who changed what, a refusal each field's problem. */
async function refusedTargeting(c: DashboardContext, err: ApiFailure, draft: StateDraft, flag: Flag) {
  const [projectId, flagKey, envKey] = [idParam(c, "projectId"), keyParam(c, "flagKey"), keyParam(c, "envKey")];
  if (err.status === 409) {
    const change = await lastChangeOf(c.get("api"), projectId, flag.id, envKey);
    const reload = targetingPath(projectId, flagKey, envKey);
    const banner = <ConflictNotice change={change} reload={reload} subject="this" reloadLabel="Reload the current state" />;
    return targetingPage(c, { draft, banner, status: 409 });
  }
  if (err.status === 400 || err.status === 422) {
    const errors = stateErrorsOf(err.issues);
    if (!Object.keys(errors).length) errors.form = err.message;
    return targetingPage(c, { draft, errors, status: err.status });
  }
  throw err;
}

/** After adding a condition or a rule, the keyboard goes to its first field. */
function focusAfter(intent: string, draft: StateDraft): string | undefined {
  const [verb, a] = intent.split(":");
  if (verb === "add-condition") return `c${draft.conditions.length - 1}.name`;
  if (verb === "add-rule") return `c${a}.r${draft.conditions[Number(a)].rules.length - 1}.property`;
  return undefined;
}

async function targetingPage(c: DashboardContext, outcome?: Outcome) {
  const [projectId, flagKey, envKey] = [idParam(c, "projectId"), keyParam(c, "flagKey"), keyParam(c, "envKey")];
  const api = c.get("api");
  const [project, flag] = await Promise.all([api.get<Project>(`/projects/${projectId}`), api.get<Flag>(`/projects/${projectId}/flags/${flagKey}`)]);
  const env = project.environments.find((e) => e.key === envKey);
  const state = flag.environments[envKey];
  if (!env || !state) throw new ApiFailure(404, "not_found", "no such environment");
  const draft = outcome?.draft ?? draftOfState(state);
  const body = (
    <>
      <PageHead title={`${flag.name} in ${env.name}`} crumbs={[...projectCrumbs(project), { href: flagPath(projectId, flagKey), label: flag.name }]} />
      <nav class="tabs" aria-label="Environment">
        {project.environments.map((e) => (
          <a href={targetingPath(projectId, flagKey, e.key)} aria-current={e.key === envKey ? "page" : undefined}>
            {e.name}
          </a>
        ))}
      </nav>
      <div class="editor-layout">
        <StateEditor
          action={targetingPath(projectId, flagKey, envKey)}
          csrf={c.get("csrf")}
          draft={draft}
          variations={flag.variations}
          envName={env.name}
          production={envKey === PRODUCTION}
          errors={outcome?.errors ?? {}}
          focus={outcome?.focus}
          banner={outcome?.banner}
        />
        <aside>
          <h2>What it serves now</h2>
          <figure aria-label={`What ${flag.name} serves in ${env.name} now`}>
            <pre>{renderState(state, flag.variations)}</pre>
          </figure>
          <DraftReach flag={flag} state={state} draft={outcome?.draft} envName={env.name} />
          <p class="small muted">State version {state.version}. Saved changes go to the change log and to webhooks.</p>
        </aside>
      </div>
    </>
  );
  return renderPage(c, `${flag.name} · ${env.name}`, body, { section: "projects", status: outcome?.status ?? 200 });
}

/** What the draft (or, before any edit, the saved state) really serves over the sample users. */
const DraftReach = ({ flag, state, draft, envName }: { flag: Flag; state: FlagState; draft?: StateDraft; envName: string }) => {
  const prepared = draft ? patchOfDraft(draft) : null;
  const reach = prepared && "patch" in prepared ? reachOfPatch(flag, prepared.patch) : reachOfState(flag, state);
  const title = prepared && "patch" in prepared ? "What this draft would really serve" : "What it really serves now";
  return (
    <>
      <h2>{title}</h2>
      <ReachList reach={reach} variations={flag.variations} label={`${title} in ${envName}`} />
    </>
  );
};

/** Production asks first, with the change in view: the draft's before → after, its what-if and reach, and a reason. */
const ProductionCheck = ({ flag, change, comment }: { flag: Flag; change: ChangeInView; comment: string }) => (
  <section class="notice warn production-check" role="alert" aria-label="Change production?">
    <p>
      <strong>This changes production.</strong> Users of {flag.name} get the new targeting as soon as it is saved, and its webhooks are called.
    </p>
    <ChangeView change={change} flag={flag} envName="production" />
    <ReasonField value={comment} />
    <button type="submit" name="intent" value="save-production" class="primary" autofocus>
      Yes, save to production
    </button>
  </section>
);
