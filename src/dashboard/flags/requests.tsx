// Changes that wait: a project's change requests (a list page, with the before and after as
// code-like text, and approve, close, apply), the environments that require approval, and on a flag's
// page its open requests and upcoming schedules (cancel), with a form to schedule a change.
import { Hono } from "hono";
import type { FC } from "hono/jsx";
import { idParam, type DashboardContext, type DashboardEnv } from "../shell/context";
import { ACTIONS, cancelSchedule, createSchedule, requestAction, setApproval } from "./request-actions";
import { CsrfField, EmptyState, PageHead, Pill, renderPage } from "../shell/layout";
import { projectCrumbs, ProjectTabs } from "../shell/project-head";
import type { Page, Project } from "../shell/resources";
import { diffLines } from "./line-diff";
import { flagPath } from "./paths";

export interface ChangeRequest {
  id: string;
  status: "open" | "approved" | "applied" | "closed";
  flag: string;
  environment: string;
  comment: string | null;
  apply_at: string | null;
  created_by: { id: string; email: string };
  approved_by: { email: string } | null;
  preview: { event: string; code_like_before: string; code_like_after: string }[];
}

export interface Schedule {
  id: string;
  flag: string;
  environment: string;
  at: string;
  status: string;
  patch: Record<string, unknown>;
  comment: string | null;
}

export function requestRoutes() {
  const app = new Hono<DashboardEnv>();
  app.get("/projects/:projectId/change-requests", requestsPage);
  app.post("/projects/:projectId/change-requests/:requestId/:action", requestAction);
  app.post("/projects/:projectId/schedules/:scheduleId/cancel", cancelSchedule);
  app.post("/projects/:projectId/flags/:flagKey/schedules", createSchedule);
  app.post("/projects/:projectId/environments/:envKey/approval", setApproval);
  return app;
}

/** The request's before and after, as the line diff of its preview's code-like text. */
export const RequestCard: FC<{ request: ChangeRequest; projectId: string; csrf: string; back: string }> = ({ request, projectId, csrf, back }) => {
  const first = request.preview[0];
  const last = request.preview[request.preview.length - 1];
  const lines = first ? diffLines(first.code_like_before, last.code_like_after) : [];
  return (
    <article class="card tight" aria-label={`Change request for ${request.flag} in ${request.environment}`}>
      <p>
        <Pill tone={request.status === "open" ? "warn" : request.status === "applied" ? "ok" : "off"}>{request.status}</Pill>{" "}
        <a href={flagPath(projectId, request.flag)}>{request.flag}</a> in <strong>{request.environment}</strong>, proposed by {request.created_by.email}
        {request.approved_by ? `, approved by ${request.approved_by.email}` : ""}
        {request.apply_at ? ` · applies at ${request.apply_at}` : ""}
      </p>
      {request.comment ? <blockquote>{request.comment}</blockquote> : null}
      {lines.length ? (
        <pre class="diff">{lines.map((l) => `${l.kind === "added" ? "+ " : l.kind === "removed" ? "- " : "  "}${l.text}\n`).join("")}</pre>
      ) : (
        <p class="small muted">This request changes nothing.</p>
      )}
      <p class="small">
        <a href={`${flagPath(projectId, request.flag)}#environments`}>What-if on the flag page</a>
      </p>
      <div class="inline">
        {ACTIONS.filter((a) => allowed(request.status, a)).map((action) => (
          <form method="post" action={`/dashboard/projects/${projectId}/change-requests/${request.id}/${action}`} class="inline">
            <CsrfField token={csrf} />
            <input type="hidden" name="back" value={back} />
            <button type="submit" class={action === "close" ? "small-button" : "primary small-button"}>
              {action === "approve" ? "Approve" : action === "apply" ? "Apply now" : "Close"}
            </button>
          </form>
        ))}
      </div>
    </article>
  );
};

function allowed(status: ChangeRequest["status"], action: (typeof ACTIONS)[number]): boolean {
  if (action === "approve") return status === "open";
  if (action === "apply") return status === "approved";
  return status === "open" || status === "approved";
}

/** On a flag's page: its open and approved requests, its upcoming schedules, and a form to schedule a change. */
export const WaitingForFlag: FC<{ project: Project; flagKey: string; requests: ChangeRequest[]; schedules: Schedule[]; csrf: string }> = (p) => {
  const back = flagPath(p.project.id, p.flagKey);
  return (
    <section aria-labelledby="waiting">
      <h2 id="waiting">Waiting changes</h2>
      {p.requests.length === 0 && p.schedules.length === 0 ? <p class="muted">No change request or schedule waits for this flag.</p> : null}
      {p.requests.map((r) => (
        <RequestCard request={r} projectId={p.project.id} csrf={p.csrf} back={back} />
      ))}
      {p.schedules.length ? (
        <ul aria-label="Upcoming schedules">
          {p.schedules.map((s) => (
            <li>
              <strong>{s.environment}</strong> at <time>{s.at}</time>: <code>{JSON.stringify(s.patch)}</code>
              {s.comment ? ` — ${s.comment}` : ""}{" "}
              <form method="post" action={`/dashboard/projects/${p.project.id}/schedules/${s.id}/cancel`} class="inline">
                <CsrfField token={p.csrf} />
                <input type="hidden" name="back" value={back} />
                <button type="submit" class="small-button">
                  Cancel
                </button>
              </form>
            </li>
          ))}
        </ul>
      ) : null}
      <form method="post" action={`/dashboard/projects/${p.project.id}/flags/${p.flagKey}/schedules`} class="card tight">
        <h3>Schedule a change</h3>
        <CsrfField token={p.csrf} />
        <div class="field">
          <label for="schedule-env">Environment</label>
          <select id="schedule-env" name="environment">
            {p.project.environments.map((e) => (
              <option value={e.key}>{e.name}</option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="schedule-enabled">Turn</label>
          <select id="schedule-enabled" name="enabled">
            <option value="">(leave as is)</option>
            <option value="true">on</option>
            <option value="false">off</option>
          </select>
        </div>
        <div class="field">
          <label for="schedule-rollout">Rollout % (optional)</label>
          <input id="schedule-rollout" name="rollout_percentage" inputmode="numeric" pattern="[0-9]{1,3}" />
        </div>
        <div class="field">
          <label for="schedule-at">Apply at (UTC)</label>
          <input id="schedule-at" name="at" type="datetime-local" required />
        </div>
        <button type="submit" class="primary">
          Apply at…
        </button>
      </form>
    </section>
  );
};

async function requestsPage(c: DashboardContext) {
  const projectId = idParam(c, "projectId");
  const status = ["open", "approved", "applied", "closed"].includes(c.req.query("status") ?? "") ? c.req.query("status")! : "open";
  const api = c.get("api");
  const [project, requests] = await Promise.all([
    api.get<Project>(`/projects/${projectId}`),
    api.get<Page<ChangeRequest>>(`/projects/${projectId}/change-requests`, { status, limit: 50 }),
  ]);
  const back = `/dashboard/projects/${projectId}/change-requests`;
  const csrf = c.get("csrf");
  const body = (
    <>
      <PageHead title={project.name} crumbs={projectCrumbs()} />
      <ProjectTabs project={project} current="requests" />
      <h2 id="requests">Change requests: {status}</h2>
      <nav aria-label="Status" class="inline">
        {["open", "approved", "applied", "closed"].map((s) => (
          <a href={`${back}?status=${s}`} aria-current={s === status ? "page" : undefined}>
            {s}{" "}
          </a>
        ))}
      </nav>
      {requests.data.length === 0 ? (
        <EmptyState title={`No ${status} change requests`}>
          <p>A change on an environment that requires approval waits here for another person.</p>
        </EmptyState>
      ) : (
        requests.data.map((r) => <RequestCard request={r} projectId={projectId} csrf={csrf} back={back} />)
      )}
      <h2 id="approval">Environments that require approval</h2>
      <ul>
        {project.environments.map((e) => {
          const on = (e as { requires_approval?: boolean }).requires_approval === true;
          return (
            <li>
              <strong>{e.name}</strong>: {on ? "requires approval" : "direct changes"}{" "}
              <form method="post" action={`/dashboard/projects/${projectId}/environments/${e.key}/approval`} class="inline">
                <CsrfField token={csrf} />
                <input type="hidden" name="requires_approval" value={on ? "false" : "true"} />
                <button type="submit" class="small-button">
                  {on ? `Allow direct changes in ${e.name}` : `Require approval in ${e.name}`}
                </button>
              </form>
            </li>
          );
        })}
      </ul>
    </>
  );
  return renderPage(c, `${project.name} · Change requests`, body, { section: "projects" });
}
