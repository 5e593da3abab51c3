// The sections of a flag's page: its state in every environment side by side, the variations form,
// the name, key, description and tags form, its recent changes, and archive or delete.
import type { FC } from "hono/jsx";
import { renderState } from "../../flags/code-like";
import { hasPercentages } from "../../flags/reach";
import { fieldIdsOf, KeyField, TextField, type FieldErrors } from "../shell/fields";
import { CsrfField, ErrorSummary, LongName, Time } from "../shell/layout";
import type { ChangeLogEntry, Flag, Project } from "../shell/resources";
import { describeChanges } from "./change-words";
import { stateSummary, StatePill } from "./flag-views";
import { targetingPath } from "./paths";
import { ReachList, reachOfState } from "./reach-view";
import { ToggleForm } from "./toggle";
import { VariationRows } from "./variation-editor";
import type { VariationDraft } from "./variation-form";

export interface SettingsDraft {
  name: string;
  key: string;
  description: string;
  tags: string;
  share_with_everyone: boolean;
  roles: string;
}

export const EnvironmentCards: FC<{ project: Project; flag: Flag; csrf: string; said?: (envKey: string) => string | undefined }> = ({
  project,
  flag,
  csrf,
  said,
}) => (
  <div class="env-grid">
    {project.environments.map((env) => {
      const state = flag.environments[env.key];
      if (!state) return null;
      return (
        <section class="card env-card" aria-labelledby={`env-${env.key}`}>
          <h3 id={`env-${env.key}`}>
            <LongName text={env.name} /> <StatePill state={state} />
          </h3>
          <p class="small muted">{stateSummary(state, flag.variations)}</p>
          <div class="controls">
            <ToggleForm project={project} flag={flag} env={env} state={state} csrf={csrf} back="flag" said={said?.(env.key)} />
            <a class="button small-button" href={targetingPath(project.id, flag.key, env.key)} aria-label={`Edit targeting of ${flag.name} in ${env.name}`}>
              Edit targeting
            </a>
          </div>
          <figure aria-label={`What ${flag.name} serves in ${env.name}`}>
            <pre>{renderState(state, flag.variations)}</pre>
          </figure>
          {hasPercentages(state) ? (
            <ReachList reach={reachOfState(flag, state)} variations={flag.variations} label={`What ${flag.name} really serves in ${env.name}`} />
          ) : null}
        </section>
      );
    })}
  </div>
);

interface VariationsFormProps {
  flag: Flag;
  base: string;
  csrf: string;
  drafts: VariationDraft[];
  errors: FieldErrors;
  focusLast?: boolean;
}

export const VariationsForm: FC<VariationsFormProps> = ({ flag, base, csrf, drafts, errors, focusLast }) => (
  <form method="post" action={`${base}/variations`} class="card">
    {/* Enter in a field saves: the first submit button of a form is the one Enter presses. */}
    <button type="submit" name="intent" value="save" class="visually-hidden" tabindex={-1}>
      Save variations
    </button>
    <CsrfField token={csrf} />
    <input type="hidden" name="version" value={String(flag.version)} />
    {Object.keys(errors).length ? <ErrorSummary message="The variations were not saved." errors={errors} fieldIds={fieldIdsOf(errors)} /> : null}
    <VariationRows drafts={drafts} type={flag.type} errors={errors} focusLast={focusLast} />
    <p class="small muted">A variation that an environment still serves (as default, rollout or condition) cannot be removed.</p>
    <button type="submit" name="intent" value="save" class="primary">
      Save variations
    </button>
  </form>
);

interface SettingsFormProps {
  flag: Flag;
  base: string;
  csrf: string;
  draft: SettingsDraft;
  errors: FieldErrors;
}

export const SettingsForm: FC<SettingsFormProps> = ({ flag, base, csrf, draft, errors }) => (
  <form method="post" action={`${base}/settings`} class="card">
    <CsrfField token={csrf} />
    <input type="hidden" name="version" value={String(flag.version)} />
    <div class="grid2">
      <TextField id="flag-name" name="name" label="Name" value={draft.name} error={errors.name} required />
      <KeyField
        id="flag-key"
        hint="Changing it breaks code that asks for the old key. Lower-case letters, digits, - and _ (at most 64)."
        value={draft.key}
        error={errors.key}
      />
    </div>
    <TextField id="flag-description" name="description" label="Description (optional)" value={draft.description} error={errors.description} />
    <TextField
      id="flag-tags"
      name="tags"
      label="Tags (optional)"
      hint="Separated by commas; each up to 64 characters, at most 50."
      value={draft.tags}
      error={errors.tags}
    />
    <fieldset>
      <legend>Sharing</legend>
      <div class="choices">
        <label for="flag-share">
          <input type="checkbox" id="flag-share" name="share_with_everyone" value="true" checked={draft.share_with_everyone} /> Shared with everyone
        </label>
      </div>
      <TextField
        id="flag-roles"
        name="roles"
        label="Roles (optional)"
        hint="Separated by commas; each up to 100 characters, at most 100. Carried in Tggl's change bodies."
        value={draft.roles}
        error={errors.sharing}
      />
    </fieldset>
    <button type="submit" class="primary">
      Save
    </button>
  </form>
);

export const RecentChanges: FC<{ entries: ChangeLogEntry[]; projectId: string; flag: Flag }> = ({ entries, projectId, flag }) => (
  <>
    {entries.length ? (
      <ul class="card change-list">
        {entries.map((entry) => (
          <li>
            <Time iso={entry.timestamp} /> · {entry.environment ? entry.environment.name : "all environments"} · {entry.triggered_by.email}:{" "}
            {describeChanges(entry).join("; ")}
          </li>
        ))}
      </ul>
    ) : (
      <p class="muted">No changes found among the most recent of this project.</p>
    )}
    <p>
      <a href={`/dashboard/projects/${projectId}/changes?flag=${encodeURIComponent(flag.key)}`}>Every change of this flag in the change log →</a>
    </p>
  </>
);

export const ArchiveOrDelete: FC<{ flag: Flag; base: string; csrf: string }> = ({ flag, base, csrf }) => (
  <div class="card controls">
    <form method="post" action={`${base}/archived`} class="inline">
      <CsrfField token={csrf} />
      <input type="hidden" name="version" value={String(flag.version)} />
      <input type="hidden" name="archived" value={flag.archived ? "false" : "true"} />
      <button type="submit">{flag.archived ? "Unarchive" : "Archive"}</button>
    </form>
    <span class="small muted">{flag.archived ? "Archived: SDKs no longer get it." : "Archiving keeps the flag and its history; SDKs stop getting it."}</span>
    <a class="button danger" href={`${base}/delete`}>
      Delete…
    </a>
  </div>
);
