// A project's environments as the evaluation routes see them: the project's revision, and each
// environment's SDK keys — create one (its key shown once, on the answer page, and never again),
// revoke one. Every read and write is the public API, in-process, with the session's key.
import { Hono } from "hono";
import type { FC } from "hono/jsx";
import { ApiFailure } from "./api";
import { formOf, idParam, keyParam, textField, type DashboardContext, type DashboardEnv } from "./context";
import { CsrfField, Notice, PageHead, Pill, renderPage, Time } from "./layout";
import type { Page, Project } from "./resources";

interface SdkKey {
  id: string;
  name: string | null;
  kind: "server" | "client";
  created_at: string;
}
type Created = SdkKey & { key: string; environment: { key: string; name: string } };

export function environmentRoutes() {
  const app = new Hono<DashboardEnv>();
  app.get("/projects/:projectId/sdk-keys", (c) => keysPage(c, idParam(c, "projectId")));

  app.post("/projects/:projectId/environments/:envKey/sdk-keys", async (c) => {
    const projectId = idParam(c, "projectId");
    const envKey = keyParam(c, "envKey");
    const form = await formOf(c);
    const name = textField(form, "name").trim();
    const kind = textField(form, "kind") === "client" ? "client" : "server";
    try {
      const created = await c.get("api").send<Created>("POST", `/projects/${projectId}/environments/${envKey}/sdk-keys`, { kind, ...(name ? { name } : {}) });
      return keysPage(c, projectId, { created });
    } catch (err) {
      if (!(err instanceof ApiFailure) || err.status !== 400) throw err;
      return keysPage(c, projectId, { failed: `The key could not be created: ${err.issues.map((i) => `${i.field} ${i.message}`).join("; ") || err.message}` });
    }
  });

  app.post("/projects/:projectId/environments/:envKey/sdk-keys/:keyId/revoke", async (c) => {
    const projectId = idParam(c, "projectId");
    await c.get("api").send("DELETE", `/projects/${projectId}/environments/${keyParam(c, "envKey")}/sdk-keys/${idParam(c, "keyId")}`);
    return c.redirect(`/dashboard/projects/${projectId}/sdk-keys`, 303);
  });
  return app;
}

async function keysPage(c: DashboardContext, projectId: string, outcome: { created?: Created; failed?: string } = {}) {
  const api = c.get("api");
  const project = await api.get<Project>(`/projects/${projectId}`);
  const keys = await Promise.all(project.environments.map((env) => api.get<Page<SdkKey>>(`/projects/${projectId}/environments/${env.key}/sdk-keys`, { limit: 200 })));
  const body = (
    <>
      <PageHead title={project.name} crumbs={[{ href: "/dashboard", label: "Projects" }, { href: `/dashboard/projects/${project.id}`, label: project.name }]}>
        <span class="muted">
          Revision <strong data-revision>{project.revision}</strong>
        </span>
      </PageHead>
      <p class="small muted">
        The revision counts this project's committed changes. SDK keys let OpenFeature (OFREP) and Tggl's SDKs evaluate one environment's flags; a{" "}
        <em>client</em> key may only evaluate (safe in a browser), a <em>server</em> key may also download the targeting rules.
      </p>
      {outcome.created ? <CreatedKey created={outcome.created} /> : null}
      {outcome.failed ? <Notice kind="error">{outcome.failed}</Notice> : null}
      {project.environments.map((env, i) => (
        <section class="card">
          <h2>{env.name}</h2>
          <KeyTable projectId={project.id} envKey={env.key} keys={keys[i].data} csrf={c.get("csrf")} />
          <form method="post" action={`/dashboard/projects/${project.id}/environments/${env.key}/sdk-keys`} class="inline">
            <CsrfField token={c.get("csrf")} />
            <label>
              Name <input name="name" maxLength={200} placeholder="e.g. checkout service" />
            </label>
            <label>
              Kind{" "}
              <select name="kind">
                <option value="server">server</option>
                <option value="client">client</option>
              </select>
            </label>
            <button type="submit" class="primary">
              Create SDK key
            </button>
          </form>
        </section>
      ))}
    </>
  );
  return renderPage(c, `${project.name} · SDK keys`, body, { section: "projects", status: outcome.failed ? 400 : 200 });
}

const CreatedKey: FC<{ created: Created }> = ({ created }) => (
  <Notice kind="success">
    New {created.kind} key for {created.environment.name}. Copy it now: it is shown only this once.
    <pre data-sdk-key>{created.key}</pre>
  </Notice>
);

const KeyTable: FC<{ projectId: string; envKey: string; keys: SdkKey[]; csrf: string }> = ({ projectId, envKey, keys, csrf }) =>
  keys.length === 0 ? (
    <p class="small muted">No SDK keys yet.</p>
  ) : (
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Kind</th>
            <th scope="col">Created</th>
            <th scope="col" />
          </tr>
        </thead>
        <tbody>
          {keys.map((key) => (
            <tr>
              <td>{key.name ?? <span class="muted">unnamed</span>}</td>
              <td>
                <Pill tone={key.kind === "server" ? "warn" : "ok"}>{key.kind}</Pill>
              </td>
              <td>
                <Time iso={key.created_at} />
              </td>
              <td>
                <form method="post" action={`/dashboard/projects/${projectId}/environments/${envKey}/sdk-keys/${key.id}/revoke`} class="inline" data-confirm={`Revoke "${key.name ?? "this key"}"? Apps using it stop getting flags within 30 seconds.`}>
                  <CsrfField token={csrf} />
                  <button type="submit" class="danger">
                    Revoke
                  </button>
                </form>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
