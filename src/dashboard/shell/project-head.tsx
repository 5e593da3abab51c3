// The head of a project's pages: its tabs (flags, change log, environments and SDK keys, webhooks)
// and its revision, shown by the flag pages and the SDK keys page alike.
import type { FC } from "hono/jsx";
import type { Crumb } from "./layout";
import type { Project } from "./resources";

/** The crumbs above a project's pages: Projects, then the project itself on the pages inside it. */
export function projectCrumbs(project?: Pick<Project, "id" | "name">): Crumb[] {
  const home = { href: "/dashboard", label: "Projects" };
  return project ? [home, { href: `/dashboard/projects/${project.id}`, label: project.name }] : [home];
}

/** The project's revision: how many changes it has committed, as evaluation answers and deliveries carry it. */
export const Revision: FC<{ project: Project }> = ({ project }) => (
  <span class="muted revision" title="Committed changes of this project's flags; SDK answers and webhook deliveries carry it">
    Revision <strong data-revision>{project.revision}</strong>
  </span>
);

export const ProjectTabs: FC<{ project: Project; current: "flags" | "changes" | "keys" | "requests" }> = ({ project, current }) => (
  <nav class="tabs" aria-label="Project">
    <a href={`/dashboard/projects/${project.id}`} aria-current={current === "flags" ? "page" : undefined}>
      Flags
    </a>
    <a href={`/dashboard/projects/${project.id}/changes`} aria-current={current === "changes" ? "page" : undefined}>
      Change log
    </a>
    <a href={`/dashboard/projects/${project.id}/change-requests`} aria-current={current === "requests" ? "page" : undefined}>
      Change requests
    </a>
    <a href={`/dashboard/projects/${project.id}/sdk-keys`} aria-current={current === "keys" ? "page" : undefined}>
      Environments &amp; SDK keys
    </a>
    <a href={`/dashboard/settings/webhooks#project-${project.id}`}>Webhooks</a>
  </nav>
);
