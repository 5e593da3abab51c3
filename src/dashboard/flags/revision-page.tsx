// One revision's propagation (GET /projects/:id/revisions/:revision): the change's events, which
// webhooks got it delivered, which SDK keys hold it and how many event streams each has open. And
// the one line the change log and the flag page show on a change: "delivered to a/b webhooks · held
// by c/d SDK keys", linking here.
import { Hono } from "hono";
import type { FC } from "hono/jsx";
import { ApiFailure, type Api } from "../shell/api";
import { idParam, type DashboardContext, type DashboardEnv } from "../shell/context";
import { eventLabel } from "../shell/format";
import { PageHead, Pill, renderPage, Time, type Tone } from "../shell/layout";
import { projectCrumbs, ProjectTabs } from "../shell/project-head";
import type { Project } from "../shell/resources";

interface Summary {
  webhooks: { delivered: number; pending: number; failed: number };
  sdk_keys: { holding: number; behind: number; idle: number };
}

interface RevisionDetail {
  revision: number;
  committed_at: string;
  triggered_by: { id: string; email: string };
  events: { event: string; flag: { key: string; name: string }; environment: { key: string; name: string } | null }[];
  webhooks: {
    id: string;
    name: string;
    scope: "organization" | "project";
    status: "delivered" | "pending" | "failed";
    delivered_at: string | null;
    attempts: number;
  }[];
  sdk_keys: {
    id: string;
    name: string | null;
    environment: { key: string; name: string };
    kind: string;
    holds: boolean;
    last_revision: number | null;
    last_seen_at: string | null;
    streams: number;
  }[];
  summary: Summary;
}

export function revisionPath(projectId: string, revision: number): string {
  return `/dashboard/projects/${projectId}/revisions/${revision}`;
}

export function revisionRoutes() {
  const app = new Hono<DashboardEnv>();
  app.get("/projects/:projectId/revisions/:revision", revisionPage);
  return app;
}

/** Each revision's summary, asked of the API in parallel; a revision it no longer has is left out. */
export async function propagationOf(api: Api, projectId: string, revisions: number[]): Promise<Map<number, Summary>> {
  const wanted = [...new Set(revisions)].filter((r) => r > 0);
  const found = await Promise.all(
    wanted.map((r) =>
      api.get<RevisionDetail>(`/projects/${projectId}/revisions/${r}`).then(
        (d) => [r, d.summary] as const,
        (err) => {
          if (err instanceof ApiFailure && err.status === 404) return null;
          throw err;
        },
      ),
    ),
  );
  return new Map(found.filter((f) => f !== null));
}

/** "delivered to a/b webhooks · held by c/d SDK keys", linking to the revision's page. */
export const PropagationLine: FC<{ projectId: string; revision: number; summary?: Summary }> = ({ projectId, revision, summary }) => {
  if (!summary) return null;
  const w = summary.webhooks;
  const k = summary.sdk_keys;
  return (
    <a class="small propagation" href={revisionPath(projectId, revision)}>
      delivered to {w.delivered}/{w.delivered + w.pending + w.failed} webhooks · held by {k.holding}/{k.holding + k.behind + k.idle} SDK keys
    </a>
  );
};

const STATUS_TONES: Record<string, Tone> = { delivered: "ok", pending: "warn", failed: "bad" };

async function revisionPage(c: DashboardContext) {
  const projectId = idParam(c, "projectId");
  const revision = c.req.param("revision") ?? "";
  if (!/^\d{1,15}$/.test(revision)) return c.notFound();
  const api = c.get("api");
  const [project, detail] = await Promise.all([
    api.get<Project>(`/projects/${projectId}`),
    api.get<RevisionDetail>(`/projects/${projectId}/revisions/${revision}`),
  ]);
  const crumbs = [...projectCrumbs(project), { href: `/dashboard/projects/${projectId}/changes`, label: "Change log" }];
  const body = (
    <>
      <PageHead title={`Revision ${detail.revision}`} crumbs={crumbs} />
      <ProjectTabs project={project} current="changes" />
      <p>
        By <strong>{detail.triggered_by.email}</strong> · <Time iso={detail.committed_at} /> ·{" "}
        <PropagationLine projectId={projectId} revision={detail.revision} summary={detail.summary} />
      </p>
      <ul class="card changes" aria-label="What this revision changed">
        {detail.events.map((e) => (
          <li>
            {eventLabel(e.event)} of <strong>{e.flag.name}</strong> <code>{e.flag.key}</code>{" "}
            {e.environment ? `in ${e.environment.name}` : "in every environment"}
          </li>
        ))}
      </ul>
      <WebhookTable rows={detail.webhooks} />
      <KeyTable rows={detail.sdk_keys} revision={detail.revision} />
      <p class="small muted">
        A key holds this revision once it was served at it or later. What keys were served is recorded in batches, up to 5 seconds late; open streams are
        counted now.
      </p>
    </>
  );
  return renderPage(c, `Revision ${detail.revision} · ${project.name}`, body, { section: "projects" });
}

const WebhookTable: FC<{ rows: RevisionDetail["webhooks"] }> = ({ rows }) => (
  <section aria-labelledby="webhooks-heading">
    <h2 id="webhooks-heading">Webhooks</h2>
    {rows.length ? (
      <div class="table-wrap" tabindex={0}>
        <table>
          <thead>
            <tr>
              <th scope="col">Webhook</th>
              <th scope="col">Status</th>
              <th scope="col">Delivered</th>
              <th scope="col">Attempts</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((w) => (
              <tr>
                <td>
                  <span class="truncate" title={w.name}>
                    {w.name}
                  </span>
                  {w.scope === "organization" ? <span class="muted small"> (organization)</span> : null}
                </td>
                <td>
                  <Pill tone={STATUS_TONES[w.status]}>{w.status}</Pill>
                </td>
                <td>{w.delivered_at ? <Time iso={w.delivered_at} /> : "—"}</td>
                <td class="num">{w.attempts}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    ) : (
      <p class="muted">No webhook was subscribed to this change.</p>
    )}
  </section>
);

const KeyTable: FC<{ rows: RevisionDetail["sdk_keys"]; revision: number }> = ({ rows }) => (
  <section aria-labelledby="keys-heading">
    <h2 id="keys-heading">SDK keys</h2>
    {rows.length ? (
      <div class="table-wrap" tabindex={0}>
        <table>
          <thead>
            <tr>
              <th scope="col">Key</th>
              <th scope="col">Holds it</th>
              <th scope="col">Last served</th>
              <th scope="col">Streams</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((k) => (
              <tr>
                <td>
                  <span class="truncate" title={k.name ?? k.id}>
                    {k.name ?? "unnamed"}
                  </span>
                  <span class="muted small">
                    {" "}
                    {k.kind} · {k.environment.name}
                  </span>
                </td>
                <td>{k.holds ? <Pill tone="ok">holds</Pill> : <Pill tone="off">not yet</Pill>}</td>
                <td>
                  {k.last_seen_at ? (
                    <>
                      revision {k.last_revision}, <Time iso={k.last_seen_at} />
                    </>
                  ) : (
                    "never"
                  )}
                </td>
                <td class="num">{k.streams}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    ) : (
      <p class="muted">This project has no SDK keys.</p>
    )}
  </section>
);
