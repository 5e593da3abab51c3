// "Revert…" from the change log: what the revision did, what setting it back would change (the
// revert's dry run: before → after per environment, and the webhooks it would call), an optional
// reason, and the button that applies it as a new change. A revert that cannot be done is explained
// in words: a later change of the same settings, a creation or deletion, an environment that asks
// for approval, a variation that would be missing.
import { Hono } from "hono";
import type { FC } from "hono/jsx";
import { ApiFailure } from "../shell/api";
import { formOf, idParam, textField, type DashboardContext, type DashboardEnv } from "../shell/context";
import { CsrfField, PageHead, renderPage } from "../shell/layout";
import { projectCrumbs } from "../shell/project-head";
import type { ChangeLogEntry, Page, Project } from "../shell/resources";
import { CodeLikeDiff } from "./change-entry";
import { describeChanges } from "./change-words";
import { commentOf, ReasonField } from "./production-check";
import { sourceOf } from "./recent-changes";

export function revertRoutes() {
  const app = new Hono<DashboardEnv>();
  app.get("/projects/:projectId/revisions/:revision/revert", previewPage);
  app.post("/projects/:projectId/revisions/:revision/revert", applyRevert);
  return app;
}

interface RevertPreview {
  revision: number;
  reverted: number;
  result: { key: string; name: string };
  events: {
    event: string;
    environment: { key: string; name: string } | null;
    code_like_before: string;
    code_like_after: string;
    webhooks: { name: string }[];
  }[];
}

function revisionParam(c: DashboardContext): number {
  const text = c.req.param("revision") ?? "";
  if (!/^\d{1,15}$/.test(text)) throw new ApiFailure(404, "not_found", "no such revision");
  return Number(text);
}

const apiPath = (projectId: string, revision: number) => `/projects/${projectId}/revisions/${revision}/revert`;
const logPath = (projectId: string) => `/dashboard/projects/${projectId}/changes`;

async function previewPage(c: DashboardContext) {
  const [projectId, revision] = [idParam(c, "projectId"), revisionParam(c)];
  const api = c.get("api");
  const [project, done] = await Promise.all([api.get<Project>(`/projects/${projectId}`), whatItDid(c, projectId, revision)]);
  try {
    const preview = await api.send<RevertPreview>("POST", `${apiPath(projectId, revision)}?dry_run=true`);
    return page(c, project, revision, done, <Confirm preview={preview} action={c.req.path} csrf={c.get("csrf")} cancel={logPath(projectId)} />);
  } catch (err) {
    if (!(err instanceof ApiFailure) || ![409, 422].includes(err.status)) throw err;
    return page(c, project, revision, done, <Refusal failure={err} revision={revision} back={logPath(projectId)} />, 409);
  }
}

async function applyRevert(c: DashboardContext) {
  const [projectId, revision] = [idParam(c, "projectId"), revisionParam(c)];
  const form = await formOf(c);
  const api = c.get("api");
  try {
    const done = await api.send<{ revision: number }>("POST", apiPath(projectId, revision), commentOf(textField(form, "comment")));
    return c.redirect(`${logPath(projectId)}?notice=reverted&reverted=${revision}&revision=${done.revision}#revision-${done.revision}`, 303);
  } catch (err) {
    if (!(err instanceof ApiFailure) || ![409, 422].includes(err.status)) throw err;
    const [project, did] = await Promise.all([api.get<Project>(`/projects/${projectId}`), whatItDid(c, projectId, revision)]);
    return page(c, project, revision, did, <Refusal failure={err} revision={revision} back={logPath(projectId)} />, 409);
  }
}

/** The revision's own events, read from the change log (a revision's events follow the one before it). */
async function whatItDid(c: DashboardContext, projectId: string, revision: number): Promise<ChangeLogEntry[]> {
  if (revision < 1) return [];
  const page = await c.get("api").get<Page<ChangeLogEntry>>(`/projects/${projectId}/events`, { since_revision: revision - 1, limit: 20 });
  return page.data.filter((e) => e.revision === revision);
}

function page(c: DashboardContext, project: Project, revision: number, did: ChangeLogEntry[], answer: unknown, status?: 409) {
  const crumbs = [...projectCrumbs(), { href: `/dashboard/projects/${project.id}`, label: project.name }, { href: logPath(project.id), label: "Change log" }];
  const body = (
    <>
      <PageHead title={`Revert revision ${revision}?`} crumbs={crumbs} />
      <WhatItDid revision={revision} events={did} />
      {answer}
    </>
  );
  return renderPage(c, `Revert revision ${revision}`, body, { section: "projects", ...(status ? { status } : {}) });
}

const WhatItDid: FC<{ revision: number; events: ChangeLogEntry[] }> = ({ revision, events }) => {
  const [first] = events;
  if (!first) return <p>Revision {revision} is not in the change log any more.</p>;
  return (
    <section class="card" aria-labelledby="revision-did">
      <h2 id="revision-did">What revision {revision} did</h2>
      <p>
        <strong>{first.flag.name}</strong> <code>{first.flag.key}</code>, by {sourceOf(first)}
        {first.comment ? ` — “${first.comment}”` : ""}
      </p>
      <ul class="changes">
        {events
          .flatMap((e) => describeChanges(e).map((words) => `${e.environment ? `${e.environment.name}: ` : ""}${words}`))
          .map((line) => (
            <li>{line}</li>
          ))}
      </ul>
    </section>
  );
};

const Confirm: FC<{ preview: RevertPreview; action: string; csrf: string; cancel: string }> = ({ preview, action, csrf, cancel }) => {
  const shown = preview.events.filter((e, i) => preview.events.findIndex((o) => o.environment?.key === e.environment?.key) === i);
  const webhooks = [...new Set(preview.events.flatMap((e) => e.webhooks.map((w) => w.name)))];
  return (
    <section class="card revert-check" aria-labelledby="revert-would">
      <h2 id="revert-would">What the revert would change</h2>
      <p>
        It sets back what revision {preview.reverted} changed in <strong>{preview.result.name}</strong>, as a new change (revision {preview.revision}) with its
        own webhooks.
      </p>
      {shown.map((e) => (
        <CodeLikeDiff
          before={e.code_like_before}
          after={e.code_like_after}
          label={e.environment ? `What it serves in ${e.environment.name}, before and after the revert` : "The flag, before and after the revert"}
        />
      ))}
      <p class="small muted">{webhooks.length ? `Webhooks called: ${webhooks.join(", ")}.` : "No webhook hears this change."}</p>
      <form method="post" action={action}>
        <CsrfField token={csrf} />
        <ReasonField />
        <div class="controls">
          <button type="submit" class="primary">
            Revert revision {preview.reverted}
          </button>
          <a href={cancel}>Cancel</a>
        </div>
      </form>
    </section>
  );
};

/** Why the revert cannot be done, in words; the API's own message names the revision or field. */
const REFUSALS: Record<string, (revision: number) => string> = {
  revert_conflict: () =>
    "A later change touched the same settings. Setting them back now would undo that change too, so nothing was done: change the flag by hand.",
  not_revertible: (revision) =>
    `Revision ${revision} created or deleted a flag (or it was made before changes were recorded for reverting): there is nothing to set back.`,
  approval_required: () => "The change is in an environment that requires approval: propose it as a change request, for a second person to approve.",
  unprocessable: () => "Setting it back would leave a rule or default naming a variation the flag no longer has. Change the flag by hand.",
  conflict: () => "Setting it back would give the flag a key another flag has taken since.",
};

const Refusal: FC<{ failure: ApiFailure; revision: number; back: string }> = ({ failure, revision, back }) => (
  <div class="notice error" role="alert" id="revert-refused">
    <p>
      <strong>This revision cannot be reverted.</strong> {(REFUSALS[failure.code] ?? (() => ""))(revision)}
    </p>
    <p class="small">{failure.message}</p>
    <p>
      <a href={back}>Back to the change log</a>
    </p>
  </div>
);
