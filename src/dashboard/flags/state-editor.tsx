// The targeting editor of one flag in one environment: on or off, the default variation, the
// conditions with their rules (every operator with the input it takes and its rule in words), and
// the rollout. Adding, removing and moving conditions and rules are form submissions the server
// applies to the draft, so the editor needs no JavaScript; the script only hides the inputs an
// operator does not take.
import type { Child, FC } from "hono/jsx";
import { FieldError, fieldIdOf, fieldIdsOf, type FieldErrors } from "../shell/fields";
import { CsrfField, ErrorSummary } from "../shell/layout";
import type { Variation } from "../shell/resources";
import { MoveButtons } from "./move-buttons";
import { Input, RuleFields, VariationSelect } from "./state-fields";
import type { ConditionDraft, StateDraft } from "./state-form";

export interface EditorProps {
  action: string;
  csrf: string;
  draft: StateDraft;
  variations: Variation[];
  envName: string;
  production: boolean;
  errors: FieldErrors;
  /** The id of the field to focus after an edit (the new condition or rule). */
  focus?: string;
  /** A message above the form: a conflict, a refusal, or the production confirmation. */
  banner?: Child;
}

interface ConditionFieldsProps {
  ci: number;
  count: number;
  condition: ConditionDraft;
  variations: Variation[];
  errors: FieldErrors;
  focus?: string;
}

const ConditionFields: FC<ConditionFieldsProps> = ({ ci, count, condition, variations, errors, focus }) => {
  const at = `c${ci}`;
  const label = `condition ${ci + 1}`;
  return (
    <fieldset class="card condition" id={`condition-${ci + 1}`}>
      <legend>
        {ci === 0 ? "If" : "Else if"} — condition {ci + 1}
      </legend>
      <input type="hidden" name={`${at}.id`} value={condition.id} />
      <div class="rule-grid">
        <Input
          name={`${at}.name`}
          label="Name (optional)"
          value={condition.name}
          error={errors[`${at}.name`]}
          autofocus={focus === `${at}.name`}
          hint="Such as Beta users; it names the condition in the change log."
        />
        <VariationSelect
          name={`${at}.variation_id`}
          label="Serves"
          value={condition.variation_id}
          variations={variations}
          hint="When every rule below matches."
        />
      </div>
      <FieldError id={fieldIdOf(`${at}.rules`)} error={errors[`${at}.rules`]} />
      {condition.rules.map((rule, ri) => (
        <RuleFields at={`${at}.r${ri}`} rule={rule} n={ri + 1} errors={errors} focus={focus} removable={true} conditionLabel={label} />
      ))}
      <div class="controls">
        <button type="submit" name="intent" value={`add-rule:${ci}`}>
          Add a rule<span class="visually-hidden"> to {label}</span>
        </button>
        <MoveButtons row="condition" at={ci} count={count} label={label} />
        <button type="submit" name="intent" value={`remove-condition:${ci}`} class="danger">
          Remove {label}
        </button>
      </div>
    </fieldset>
  );
};

type PartProps = Pick<EditorProps, "draft" | "variations" | "envName" | "errors">;

const OnOffFields: FC<PartProps> = ({ draft, variations, envName }) => (
  <fieldset class="card">
    <legend>In {envName}</legend>
    <div class="choices">
      <label for="enabled">
        <input type="checkbox" id="enabled" name="enabled" value="true" checked={draft.enabled} />
        On: serve the conditions and the rollout below
      </label>
    </div>
    <p class="hint">When off, everyone gets the default variation.</p>
    <VariationSelect
      name="default_variation_id"
      label="Default variation"
      value={draft.default_variation_id}
      variations={variations}
      hint="Served when the flag is off, and to those the rollout leaves out."
    />
  </fieldset>
);

const RolloutFields: FC<PartProps> = ({ draft, variations, errors }) => (
  <fieldset class="card">
    <legend>Everyone else: the rollout</legend>
    <div class="rule-grid">
      <Input
        name="rollout_percentage"
        label="Rollout %"
        value={draft.rollout_percentage}
        error={errors.rollout_percentage}
        type="number"
        hint="A whole number from 0 to 100. That share of users (by userId) gets the rollout variation; the rest get the default."
      />
      <VariationSelect name="rollout_variation_id" label="Rollout variation" value={draft.rollout_variation_id} variations={variations} />
    </div>
  </fieldset>
);

export const StateEditor: FC<EditorProps> = ({ action, csrf, draft, variations, envName, production, errors, focus, banner }) => (
  <form method="post" action={action} class="state-editor">
    {/* Enter in a field saves: the first submit button of a form is the one Enter presses. */}
    <button type="submit" name="intent" value="save" class="visually-hidden" tabindex={-1}>
      Save
    </button>
    <CsrfField token={csrf} />
    <input type="hidden" name="version" value={draft.version} />
    {banner ?? null}
    {Object.keys(errors).length ? <ErrorSummary message="Nothing was saved: some fields need a change." errors={errors} fieldIds={fieldIdsOf(errors)} /> : null}
    <OnOffFields draft={draft} variations={variations} envName={envName} errors={errors} />
    <h2>Conditions</h2>
    <p class="muted small">The first condition whose rules all match serves its variation; the others are not looked at.</p>
    {draft.conditions.length === 0 ? <p class="muted">No conditions: everyone goes to the rollout.</p> : null}
    {draft.conditions.map((condition, ci) => (
      <ConditionFields ci={ci} count={draft.conditions.length} condition={condition} variations={variations} errors={errors} focus={focus} />
    ))}
    <p>
      <button type="submit" name="intent" value="add-condition">
        Add a condition
      </button>
    </p>
    <RolloutFields draft={draft} variations={variations} envName={envName} errors={errors} />
    <p class="controls">
      <button type="submit" name="intent" value="save" class="primary">
        {production ? "Save to production…" : `Save to ${envName}`}
      </button>
      <button type="submit" name="intent" value="check" id="check-reach" autofocus={focus === "check-reach"}>
        Check what it really serves
      </button>
    </p>
  </form>
);
