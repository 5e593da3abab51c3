// A project's environments as the evaluation routes see them: the project's revision, and each
// environment's SDK keys — create one (its key shown once, on the answer page, and never again),
// copy it, revoke one. Every read and write is the public API, in-process, with the session's key.
import { Hono } from "hono";
import type { FC } from "hono/jsx";
import { ApiFailure } from "../shell/api";
import { formOf, idParam, keyParam, textField, type DashboardContext, type DashboardEnv } from "../shell/context";
import { errorsByField } from "../shell/fields";
import { CopyButton, CsrfField, LongName, Notice, PageHead, Pill, renderPage, Time } from "../shell/layout";
import { OnceField, spendOnce } from "../shell/once";
import { projectCrumbs, ProjectTabs, Revision } from "../shell/project-head";
import type { CreatedSdkKey, Environment, Page, Project, SdkKey } from "../shell/resources";
import { RevokeForm } from "./revoke-form";

const keysPath = (projectId: string) => `/dashboard/projects/${projectId}/sdk-keys`;

export function sdkKeyRoutes() {
  const app = new Hono<DashboardEnv>();
  app.get("/projects/:projectId/sdk-keys", (c) => keysPage(c));
  app.get("/projects/:projectId/environments/:envKey/sdk-keys", backToKeys);
  app.post("/projects/:projectId/environments/:envKey/sdk-keys", createSdkKey);
  app.post("/projects/:projectId/environments/:envKey/sdk-keys/:keyId/revoke", revokeSdkKey);
  return app;
}

/** The address the new-key form answers at; asked for again (a bookmark, the back button), it is the keys page. */
function backToKeys(c: DashboardContext) {
  return c.redirect(keysPath(idParam(c, "projectId")), 303);
}

/** A new key is shown once, on the page that answers this form; the form sent again makes no second key. */
async function createSdkKey(c: DashboardContext) {
  const projectId = idParam(c, "projectId");
  const envKey = keyParam(c, "envKey");
  const form = await formOf(c);
  if (!spendOnce(c, form)) return c.redirect(`${keysPath(projectId)}?notice=already-sent#notice`, 303);
  const name = textField(form, "name").trim();
  const kind = textField(form, "kind") === "client" ? "client" : "server";
  try {
    const path = `/projects/${projectId}/environments/${envKey}/sdk-keys`;
    const created = await c.get("api").send<CreatedSdkKey>("POST", path, { kind, ...(name ? { name } : {}) });
    return keysPage(c, { created });
  } catch (err) {
    if (!(err instanceof ApiFailure) || err.status !== 400) throw err;
    const errors = errorsByField(err.issues);
    const message = errors.name || Object.values(errors).join(" ") || err.message;
    return keysPage(c, { failed: { envKey, name, message } });
  }
}

async function revokeSdkKey(c: DashboardContext) {
  const projectId = idParam(c, "projectId");
  const path = `/projects/${projectId}/environments/${keyParam(c, "envKey")}/sdk-keys/${idParam(c, "keyId")}`;
  await c.get("api").send("DELETE", path);
  return c.redirect(`${keysPath(projectId)}?notice=sdk-key-revoked#notice`, 303);
}

interface Outcome {
  created?: CreatedSdkKey;
  failed?: { envKey: string; name: string; message: string };
}

async function keysPage(c: DashboardContext, outcome: Outcome = {}) {
  const projectId = idParam(c, "projectId");
  const api = c.get("api");
  const project = await api.get<Project>(`/projects/${projectId}`);
  const keysOf = (env: Environment) => api.get<Page<SdkKey>>(`/projects/${projectId}/environments/${env.key}/sdk-keys`, { limit: 200 });
  const keys = await Promise.all(project.environments.map(keysOf));
  const csrf = c.get("csrf");
  const body = (
    <>
      <PageHead title={project.name} crumbs={projectCrumbs()}>
        <Revision project={project} />
      </PageHead>
      <ProjectTabs project={project} current="keys" />
      {outcome.created ? <CreatedKey created={outcome.created} projectId={project.id} /> : null}
      <p class="small muted">
        The revision counts this project's committed changes; evaluation answers and webhook deliveries carry it. An SDK key lets OpenFeature (OFREP) and Tggl's
        SDKs evaluate one environment's flags: a <em>client</em> key may only evaluate (safe in a browser or an app), a <em>server</em> key may also download
        the targeting rules. Add environments from the <a href={`/dashboard/projects/${project.id}`}>Flags</a> tab.
      </p>
      {project.environments.map((env, i) => (
        <section class="card" id={`env-${env.key}`} aria-labelledby={`env-${env.key}-title`}>
          <h2 id={`env-${env.key}-title`}>
            <LongName text={env.name} /> <code>{env.key}</code>
          </h2>
          <KeyTable projectId={project.id} envKey={env.key} envName={env.name} keys={keys[i].data} csrf={csrf} />
          <NewKeyForm projectId={project.id} env={env} csrf={csrf} failed={outcome.failed?.envKey === env.key ? outcome.failed : undefined} />
        </section>
      ))}
    </>
  );
  return renderPage(c, `${project.name} · SDK keys`, body, { section: "projects", status: outcome.failed ? 400 : 200 });
}

const CreatedKey: FC<{ created: CreatedSdkKey; projectId: string }> = ({ created, projectId }) => (
  <Notice kind="warn" id="notice" autofocus>
    <p>
      <strong>
        New {created.kind} key for {created.environment.name}. Copy it now: it is shown only this once.
      </strong>
    </p>
    <pre data-sdk-key id="created-sdk-key">
      {created.key}
    </pre>
    <p class="controls">
      <CopyButton target="created-sdk-key" label="Copy the key" />
      <a href={keysPath(projectId)}>I have copied it</a>
    </p>
  </Notice>
);

type NewKeyProps = { projectId: string; env: Environment; csrf: string; failed?: Outcome["failed"] };

const NewKeyForm: FC<NewKeyProps> = ({ projectId, env, csrf, failed }) => {
  const id = (field: string) => `sdk-${env.key}-${field}`;
  const action = `/dashboard/projects/${projectId}/environments/${env.key}/sdk-keys`;
  return (
    <form method="post" action={action} class="inline new-key" aria-label={`New SDK key for ${env.name}`}>
      <CsrfField token={csrf} />
      <OnceField />
      <label for={id("name")}>Name</label>
      <input
        id={id("name")}
        type="text"
        name="name"
        maxLength={200}
        value={failed?.name ?? ""}
        placeholder="e.g. checkout service"
        aria-invalid={failed ? "true" : undefined}
        aria-describedby={failed ? id("error") : undefined}
      />
      <label for={id("kind")}>Kind</label>
      <select id={id("kind")} name="kind">
        <option value="server">server</option>
        <option value="client">client</option>
      </select>
      <button type="submit" class="primary">
        Create SDK key
      </button>
      {failed ? (
        <p class="error" id={id("error")} role="alert">
          {failed.message}
        </p>
      ) : null}
    </form>
  );
};

type KeyTableProps = { projectId: string; envKey: string; envName: string; keys: SdkKey[]; csrf: string };

const KeyTable: FC<KeyTableProps> = ({ projectId, envKey, envName, keys, csrf }) =>
  keys.length === 0 ? (
    <p class="small muted">No SDK keys yet.</p>
  ) : (
    <div class="table-wrap">
      <table>
        <caption class="visually-hidden">SDK keys of {envName}</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Kind</th>
            <th scope="col">Created</th>
            <th scope="col">
              <span class="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {keys.map((key) => (
            <KeyRow projectId={projectId} envKey={envKey} envName={envName} sdkKey={key} csrf={csrf} />
          ))}
        </tbody>
      </table>
    </div>
  );

const KeyRow: FC<Omit<KeyTableProps, "keys"> & { sdkKey: SdkKey }> = ({ projectId, envKey, envName, sdkKey: key, csrf }) => {
  const name = key.name ?? "Unnamed key";
  return (
    <tr id={`sdk-key-${key.id}`}>
      <td>{key.name ? <LongName text={key.name} /> : <span class="muted">Unnamed key</span>}</td>
      <td>
        <Pill tone={key.kind === "server" ? "warn" : "ok"}>{key.kind}</Pill>
      </td>
      <td class="small">
        <Time iso={key.created_at} />
      </td>
      <td>
        <RevokeForm
          action={`/dashboard/projects/${projectId}/environments/${envKey}/sdk-keys/${key.id}/revoke`}
          confirm={`Revoke the SDK key "${name}" of ${envName}? Apps using it stop getting flags within 30 seconds.`}
          label={`Revoke the SDK key ${name} of ${envName}`}
          csrf={csrf}
        />
      </td>
    </tr>
  );
};
