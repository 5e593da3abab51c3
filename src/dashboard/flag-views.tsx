// The pieces of a project's pages: its tabs, the environment switcher, one flag's card, the new-flag form.
import type { FC } from "hono/jsx";
import { renderState } from "../flags/code-like";
import { ErrorSummary, CsrfField, Pill } from "./layout";
import { KeyField, TextField, type FieldErrors } from "./fields";
import type { Flag, Project } from "./resources";

type Environment = Project["environments"][number];

export const ProjectTabs: FC<{ project: Project; current: "flags" | "changes" }> = ({ project, current }) => (
  <nav class="tabs" aria-label="Project">
    <a href={`/dashboard/projects/${project.id}`} aria-current={current === "flags" ? "page" : undefined}>
      Flags
    </a>
    <a href={`/dashboard/projects/${project.id}/changes`} aria-current={current === "changes" ? "page" : undefined}>
      Change log
    </a>
    <a href={`/dashboard/settings/webhooks#project-${project.id}`}>Webhooks</a>
  </nav>
);

export const EnvironmentTabs: FC<{ project: Project; current: string }> = ({ project, current }) => (
  <nav class="tabs" aria-label="Environment">
    {project.environments.map((env) => (
      <a href={`/dashboard/projects/${project.id}?env=${encodeURIComponent(env.key)}`} aria-current={env.key === current ? "page" : undefined}>
        {env.name}
      </a>
    ))}
  </nav>
);

interface FlagCardProps {
  flag: Flag;
  project: Project;
  env: Environment;
  csrf: string;
}

export const FlagCard: FC<FlagCardProps> = ({ flag, project, env, csrf }) => {
  const state = flag.environments[env.key];
  if (!state) return null;
  const action = `/dashboard/projects/${project.id}/flags/${flag.key}/environments/${env.key}`;
  const conditions = state.conditions.length;
  return (
    <article class="card flag" id={`flag-${flag.key}`} aria-labelledby={`flag-${flag.key}-name`}>
      <div>
        <h3 id={`flag-${flag.key}-name`}>
          {flag.name} {state.enabled ? <Pill tone="ok">On</Pill> : <Pill tone="off">Off</Pill>}
          {flag.archived ? <Pill tone="warn">Archived</Pill> : null}
        </h3>
        <p class="muted small">
          <code>{flag.key}</code> · {flag.type} · in {env.name}
          {flag.description ? ` · ${flag.description}` : ""}
        </p>
        <StateControls action={action} flag={flag} env={env} state={state} csrf={csrf} />
        <p class="small muted">
          {conditions === 0 ? "No conditions" : `${conditions} condition${conditions === 1 ? "" : "s"}`} · {state.rollout_percentage}% rollout · state version {state.version}
        </p>
      </div>
      <div>
        <p class="small muted">What it serves in {env.name}</p>
        <pre aria-label={`What ${flag.name} serves in ${env.name}`}>{renderState(state, flag.variations)}</pre>
      </div>
    </article>
  );
};

type State = Flag["environments"][string];

/** Turn on or off, and the rollout; both forms send the version they were rendered with. */
const StateControls: FC<{ action: string; flag: Flag; env: Environment; state: State; csrf: string }> = ({ action, flag, env, state, csrf }) => (
  <div class="controls">
    <form method="post" action={action} class="inline">
      <CsrfField token={csrf} />
      <input type="hidden" name="version" value={String(state.version)} />
      <input type="hidden" name="enabled" value={state.enabled ? "false" : "true"} />
      <button type="submit" class={state.enabled ? "" : "primary"} aria-label={`${state.enabled ? "Turn off" : "Turn on"} ${flag.name} in ${env.name}`}>
        {state.enabled ? "Turn off" : "Turn on"}
      </button>
    </form>
    <form method="post" action={action} class="inline">
      <CsrfField token={csrf} />
      <input type="hidden" name="version" value={String(state.version)} />
      <label for={`rollout-${flag.key}`} class="small">
        Rollout %
      </label>
      <input id={`rollout-${flag.key}`} name="rollout_percentage" type="number" min={0} max={100} step={1} value={String(state.rollout_percentage)} required />
      <button type="submit">Save rollout</button>
    </form>
  </div>
);

export interface NewFlagState {
  values: { key: string; name: string; description: string };
  errors: FieldErrors;
  message: string;
}

const FLAG_FIELD_IDS = { key: "flag-key", name: "flag-name", description: "flag-description" };

export const NewFlagForm: FC<{ project: Project; envKey: string; csrf: string; state?: NewFlagState; open: boolean }> = ({ project, envKey, csrf, state, open }) => (
  <details class="card" open={open} id="new-flag">
    <summary>New flag</summary>
    {state ? <ErrorSummary message={state.message} issues={Object.entries(state.errors).map(([field, message]) => ({ field, message }))} fieldIds={FLAG_FIELD_IDS} /> : null}
    <form method="post" action={`/dashboard/projects/${project.id}/flags`}>
      <CsrfField token={csrf} />
      <input type="hidden" name="env" value={envKey} />
      <div class="grid2">
        <TextField id="flag-name" name="name" label="Name" value={state?.values.name} error={state?.errors.name} required placeholder="New checkout" />
        <KeyField id="flag-key" hint="What your code asks for: lower-case letters, digits, - and _." value={state?.values.key} error={state?.errors.key} placeholder="new-checkout" />
      </div>
      <TextField id="flag-description" name="description" label="Description (optional)" value={state?.values.description} error={state?.errors.description} />
      <p class="small muted">A boolean flag, serving Live (true) when on and Off (false) when off.</p>
      <button class="primary" type="submit">
        Create flag
      </button>
    </form>
  </details>
);
