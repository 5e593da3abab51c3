// The home page: the organization's projects, and a form to start one.
import { Hono } from "hono";
import type { FC } from "hono/jsx";
import { ApiFailure } from "../shell/api";
import { formOf, textField, type DashboardContext, type DashboardEnv } from "../shell/context";
import { errorsByField, KeyField, TextField, type FieldErrors } from "../shell/fields";
import { CsrfField, EmptyState, ErrorSummary, PageHead, renderPage } from "../shell/layout";
import type { Page, Project } from "../shell/resources";

export function projectRoutes() {
  const app = new Hono<DashboardEnv>();
  app.get("/", (c) => projectsPage(c));
  app.post("/projects", createProject);
  return app;
}

async function createProject(c: DashboardContext) {
  const form = await formOf(c);
  const input = { key: textField(form, "key").trim(), name: textField(form, "name").trim() };
  try {
    const project = await c.get("api").send<Project>("POST", "/projects", input);
    return c.redirect(`/dashboard/projects/${project.id}?notice=project-created`, 303);
  } catch (err) {
    if (!(err instanceof ApiFailure) || (err.status !== 400 && err.status !== 409)) throw err;
    const errors = err.status === 409 ? { key: "Another project already uses this key." } : errorsByField(err.issues);
    const message = err.status === 409 ? "That key is taken." : "The project could not be created.";
    return projectsPage(c, { values: input, errors, message });
  }
}

interface NewProjectState {
  values: { key: string; name: string };
  errors: FieldErrors;
  message: string;
}

async function projectsPage(c: DashboardContext, failed?: NewProjectState) {
  const projects = await c.get("api").get<Page<Project>>("/projects", { limit: 200 });
  const body = (
    <>
      <PageHead title="Projects" />
      {projects.data.length === 0 ? (
        <EmptyState title="No projects yet">
          <p>A project holds flags, each with a state per environment. Create the first one below.</p>
        </EmptyState>
      ) : (
        <ProjectList projects={projects.data} />
      )}
      <NewProjectForm csrf={c.get("csrf")} state={failed} open={projects.data.length === 0 || failed !== undefined} />
    </>
  );
  return renderPage(c, "Projects", body, { section: "projects", status: failed ? 400 : 200 });
}

const ProjectList: FC<{ projects: Project[] }> = ({ projects }) => (
  <div class="table-wrap">
    <table>
      <thead>
        <tr>
          <th scope="col">Project</th>
          <th scope="col">Key</th>
          <th scope="col">Environments</th>
          <th scope="col" class="hide-narrow">
            More
          </th>
        </tr>
      </thead>
      <tbody>
        {projects.map((project) => (
          <tr>
            <td>
              <a href={`/dashboard/projects/${project.id}`}>
                <strong>{project.name}</strong>
              </a>
            </td>
            <td>
              <code>{project.key}</code>
            </td>
            <td>{project.environments.map((env) => env.name).join(", ")}</td>
            <td class="hide-narrow">
              <a href={`/dashboard/projects/${project.id}/changes`}>Change log</a> · <a href={`/dashboard/settings/webhooks#project-${project.id}`}>Webhooks</a>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  </div>
);

const NewProjectForm: FC<{ csrf: string; state?: NewProjectState; open: boolean }> = ({ csrf, state, open }) => (
  <details class="card" open={open}>
    <summary>New project</summary>
    {state ? <ErrorSummary message={state.message} errors={state.errors} fieldIds={{ key: "project-key", name: "project-name" }} /> : null}
    <form method="post" action="/dashboard/projects">
      <CsrfField token={csrf} />
      <div class="grid2">
        <TextField id="project-name" name="name" label="Name" value={state?.values.name} error={state?.errors.name} required placeholder="Web" keySource />
        <KeyField
          id="project-key"
          hint="Lower-case letters, digits, - and _; used in webhook bodies."
          value={state?.values.key}
          error={state?.errors.key}
          placeholder="web"
        />
      </div>
      <button class="primary" type="submit">
        Create project
      </button>
    </form>
  </details>
);
