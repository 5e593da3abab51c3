// The pieces of a project's pages: the flag list with every environment side by side, the on/off
// button (production asks first), and the new-flag form.
import type { FC } from "hono/jsx";
import { FLAG_TYPES, type FlagType } from "../../flags/model";
import { fieldIdsOf, KeyField, TextField, type FieldErrors } from "../shell/fields";
import { CsrfField, ErrorSummary, LongName, Pill } from "../shell/layout";
import type { Environment, Flag, FlagState, Project, Variation } from "../shell/resources";
import { flagPath, targetingPath } from "./paths";
import { LIST_MEASURES, ReachWarning } from "./reach-view";
import { ToggleForm } from "./toggle";
import { VariationRows } from "./variation-editor";
import type { VariationDraft } from "./variation-form";

export const StatePill: FC<{ state: FlagState }> = ({ state }) => (state.enabled ? <Pill tone="ok">On</Pill> : <Pill tone="off">Off</Pill>);

/** One line on what a state serves beyond on/off: an Off state serves its default to everyone. */
export function stateSummary(state: FlagState, variations: Variation[]): string {
  const name = (id: string) => variations.find((v) => v.id === id)?.name ?? "an unknown variation";
  if (!state.enabled) return `everyone gets ${name(state.default_variation_id)}`;
  const n = state.conditions.length;
  const conditions = n === 0 ? "" : `${n} condition${n === 1 ? "" : "s"} · `;
  if (state.rollout_percentage === 100) return `${conditions}${n ? "everyone else" : "everyone"} gets ${name(state.rollout_variation_id)}`;
  return `${conditions}${state.rollout_percentage}% rollout of ${name(state.rollout_variation_id)}, the rest ${name(state.default_variation_id)}`;
}

type Said = (flagKey: string, envKey: string) => string | undefined;

export const FlagTable: FC<{ flags: Flag[]; project: Project; csrf: string; said?: Said }> = ({ flags, project, csrf, said }) => {
  const budget = { left: LIST_MEASURES };
  return (
    <section class="table-wrap flags-wrap" tabindex={0} aria-label="Flags in every environment">
      <table class="flags">
        <thead>
          <tr>
            <th scope="col">Flag</th>
            {project.environments.map((env) => (
              <th scope="col">
                <LongName text={env.name} />
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {flags.map((flag) => (
            <tr id={`flag-${flag.key}`}>
              <FlagCell flag={flag} projectId={project.id} />
              {project.environments.map((env) => {
                const state = flag.environments[env.key];
                if (!state) return <td class="muted">—</td>;
                return <StateCell project={project} flag={flag} env={env} state={state} csrf={csrf} said={said?.(flag.key, env.key)} budget={budget} />;
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
};

/** A flag's name (to its page), key, type, and its archived mark and tags. */
const FlagCell: FC<{ flag: Flag; projectId: string }> = ({ flag, projectId }) => (
  <th scope="row" class="flag-cell">
    <a href={flagPath(projectId, flag.key)} class="flag-name">
      <LongName text={flag.name} tag="strong" />
    </a>
    <span class="muted small">
      <code class="truncate" title={flag.key}>
        {flag.key}
      </code>{" "}
      · {flag.type}
    </span>
    {flag.archived ? <Pill tone="warn">Archived</Pill> : null}
    {flag.tags.length ? (
      <span class="tags">
        {flag.tags.map((t) => (
          <span class="tag-chip" title={t}>
            {t}
          </span>
        ))}
      </span>
    ) : null}
  </th>
);

/** A flag in one environment: on or off, the button that turns it the other way, and its targeting. */
const StateCell: FC<{ project: Project; flag: Flag; env: Environment; state: FlagState; csrf: string; said?: string; budget: { left: number } }> = ({
  project,
  flag,
  env,
  state,
  csrf,
  said,
  budget,
}) => (
  <td class="env-cell" data-env={env.key} data-env-name={env.name}>
    <StatePill state={state} />
    <ToggleForm project={project} flag={flag} env={env} state={state} csrf={csrf} back="list" said={said} />
    <a class="small" href={targetingPath(project.id, flag.key, env.key)} aria-label={`Targeting of ${flag.name} in ${env.name}`}>
      Targeting
    </a>
    <span class="small muted summary">{stateSummary(state, flag.variations)}</span>
    <ReachWarning flag={flag} state={state} budget={budget} />
  </td>
);

export interface NewFlagState {
  values: { key: string; name: string; description: string; type: FlagType; tags: string; off: "first" | "last" };
  variations: VariationDraft[];
  errors: FieldErrors;
  message?: string;
  focusLast?: boolean;
}

const FLAG_FIELD_IDS = { key: "flag-key", name: "flag-name", description: "flag-description", tags: "flag-tags", type: "flag-type" };

const TYPE_WORDS: Record<FlagType, string> = {
  boolean: "Boolean (true / false)",
  string: "String (text)",
  number: "Number",
  json: "JSON (any value)",
};

export const NewFlagForm: FC<{ project: Project; csrf: string; state: NewFlagState }> = ({ project, csrf, state }) => {
  const variationErrors = Object.fromEntries(Object.entries(state.errors).filter(([field]) => field.startsWith("v")));
  const ids = { ...FLAG_FIELD_IDS, ...fieldIdsOf(variationErrors) };
  return (
    <form method="post" action={`/dashboard/projects/${project.id}/flags`} class="card">
      <button type="submit" name="intent" value="create" class="visually-hidden" tabindex={-1}>
        Create flag
      </button>
      {state.message ? <ErrorSummary message={state.message} errors={state.errors} fieldIds={ids} /> : null}
      <CsrfField token={csrf} />
      <NewFlagFields values={state.values} errors={state.errors} />
      <h2>Variations</h2>
      <p class="small muted">
        What the flag can serve, in order. Rows left empty are ignored; a boolean flag with none gets Live (true) and Off (false). A new flag starts off
        everywhere; the first active variation is its rollout variation.
      </p>
      <VariationRows drafts={state.variations} type={state.values.type} errors={state.errors} focusLast={state.focusLast} />
      <div class="field">
        <label for="flag-off">While it is off, every environment serves</label>
        <select id="flag-off" name="off">
          <option value="last" selected={state.values.off === "last"}>
            The last variation (a boolean flag's Off)
          </option>
          <option value="first" selected={state.values.off === "first"}>
            The first variation
          </option>
        </select>
      </div>
      <button class="primary" type="submit" name="intent" value="create">
        Create flag
      </button>
    </form>
  );
};

/** The new flag's name, key (following the name), description, type and tags. */
const NewFlagFields: FC<{ values: NewFlagState["values"]; errors: FieldErrors }> = ({ values, errors }) => (
  <>
    <div class="grid2">
      <TextField id="flag-name" name="name" label="Name" value={values.name} error={errors.name} required placeholder="New checkout" keySource />
      <KeyField
        id="flag-key"
        hint="What your code asks for: lower-case letters, digits, - and _ (at most 64), starting with a letter or a digit. Filled in from the name."
        value={values.key}
        error={errors.key}
        placeholder="new-checkout"
      />
    </div>
    <TextField id="flag-description" name="description" label="Description (optional)" value={values.description} error={errors.description} />
    <div class="grid2">
      <div class="field">
        <label for="flag-type">Type</label>
        <select id="flag-type" name="type" data-flag-type>
          {FLAG_TYPES.map((t) => (
            <option value={t} selected={t === values.type}>
              {TYPE_WORDS[t]}
            </option>
          ))}
        </select>
      </div>
      <TextField
        id="flag-tags"
        name="tags"
        label="Tags (optional)"
        hint="Separated by commas; each up to 64 characters, at most 50."
        value={values.tags}
        error={errors.tags}
      />
    </div>
  </>
);

export interface NewEnvironmentState {
  values: { key: string; name: string };
  errors: FieldErrors;
}

const ENVIRONMENT_FIELD_IDS = { key: "environment-key", name: "environment-name" };

/** A new environment gets every flag, turned off there. */
export const NewEnvironmentForm: FC<{ project: Project; csrf: string; state?: NewEnvironmentState }> = ({ project, csrf, state }) => (
  <details class="card" open={state !== undefined} id="new-environment">
    <summary>Add an environment</summary>
    {state ? <ErrorSummary message="The environment could not be added." errors={state.errors} fieldIds={ENVIRONMENT_FIELD_IDS} /> : null}
    <form method="post" action={`/dashboard/projects/${project.id}/environments`}>
      <CsrfField token={csrf} />
      <div class="grid2">
        <TextField
          id="environment-name"
          name="name"
          label="Name"
          value={state?.values.name}
          error={state?.errors.name}
          required
          placeholder="Staging"
          keySource
        />
        <KeyField
          id="environment-key"
          hint="Lower-case letters, digits, - and _ (at most 64). Filled in from the name."
          value={state?.values.key}
          error={state?.errors.key}
          placeholder="staging"
        />
      </div>
      <p class="small muted">Every flag of the project gets a state there, turned off.</p>
      <button type="submit" class="primary">
        Add environment
      </button>
    </form>
  </details>
);
