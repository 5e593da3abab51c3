// The variations of a flag as rows of fields: name, value (read as the flag's type), active, colour
// and description, in the order they are served, with buttons to add, remove and move rows. Shared
// by the new-flag page and the flag page.
import type { FC } from "hono/jsx";
import type { FlagType } from "../../flags/model";
import { FieldError, fieldIdOf, type FieldErrors } from "../shell/fields";
import { MoveButtons } from "./move-buttons";
import { VALUE_HINTS, type VariationDraft } from "./variation-form";

interface RowProps {
  i: number;
  count: number;
  draft: VariationDraft;
  type: FlagType;
  errors: FieldErrors;
  autofocus: boolean;
}

const Row: FC<RowProps> = ({ i, count, draft, type, errors, autofocus }) => {
  const at = `v${i}`;
  const label = `variation ${i + 1}${draft.name ? ` (${draft.name})` : ""}`;
  return (
    <fieldset class="variation">
      <legend>Variation {i + 1}</legend>
      <input type="hidden" name={`${at}.id`} value={draft.id} />
      <div class="variation-grid">
        <NameField at={at} draft={draft} type={type} errors={errors} autofocus={autofocus} />
        <ValueField at={at} draft={draft} type={type} errors={errors} />
        <div class="field">
          <label for={fieldIdOf(`${at}.color`)}>Colour</label>
          <input id={fieldIdOf(`${at}.color`)} name={`${at}.color`} type="color" value={draft.color || "#94a3b8"} />
        </div>
        <div class="field checkbox-field">
          <label>
            <input type="checkbox" name={`${at}.active`} value="true" checked={draft.active} /> Active
          </label>
          <p class="hint">An inactive variation serves no value to Tggl's SDKs.</p>
        </div>
      </div>
      <div class="field">
        <label for={fieldIdOf(`${at}.description`)}>Description (optional)</label>
        <input id={fieldIdOf(`${at}.description`)} name={`${at}.description`} type="text" value={draft.description} />
      </div>
      <div class="controls">
        <MoveButtons row="variation" at={i} count={count} label={label} />
        <button type="submit" name="intent" value={`remove-variation:${i}`} class="danger" aria-label={`Remove ${label}`}>
          Remove
        </button>
      </div>
    </fieldset>
  );
};

/** The ids of what is read out with a field: its hint (when it has one) and its error (when there is one). */
function describedBy(at: string, field: string, errors: FieldErrors, hint?: boolean): string | undefined {
  const id = fieldIdOf(`${at}.${field}`);
  return [hint ? `${id}-hint` : "", errors[`${at}.${field}`] ? `${id}-error` : ""].filter(Boolean).join(" ") || undefined;
}

type FieldProps = Pick<RowProps, "draft" | "type" | "errors"> & { at: string; autofocus?: boolean };

const NameField: FC<FieldProps> = ({ at, draft, errors, autofocus }) => (
  <div class="field">
    <label for={fieldIdOf(`${at}.name`)}>Name</label>
    <input
      id={fieldIdOf(`${at}.name`)}
      name={`${at}.name`}
      type="text"
      value={draft.name}
      autofocus={autofocus}
      aria-invalid={errors[`${at}.name`] ? "true" : undefined}
      aria-describedby={describedBy(at, "name", errors)}
    />
    <FieldError id={fieldIdOf(`${at}.name`)} error={errors[`${at}.name`]} />
  </div>
);

/** The value, read as the flag's type: a text area for JSON, a line for the others, with the type's hint. */
const ValueField: FC<FieldProps> = ({ at, draft, type, errors }) => {
  const id = fieldIdOf(`${at}.value`);
  const invalid = errors[`${at}.value`] ? "true" : undefined;
  const described = describedBy(at, "value", errors, true);
  return (
    <div class="field">
      <label for={id}>Value</label>
      {type === "json" ? (
        <textarea id={id} name={`${at}.value`} rows={2} spellcheck={false} data-value-input aria-invalid={invalid} aria-describedby={described}>
          {draft.value}
        </textarea>
      ) : (
        <input
          id={id}
          name={`${at}.value`}
          type="text"
          value={draft.value}
          spellcheck={false}
          data-value-input
          aria-invalid={invalid}
          aria-describedby={described}
        />
      )}
      <p class="hint" id={`${id}-hint`} data-value-hint>
        {VALUE_HINTS[type]}
      </p>
      <FieldError id={id} error={errors[`${at}.value`]} />
    </div>
  );
};

interface RowsProps {
  drafts: VariationDraft[];
  type: FlagType;
  errors: FieldErrors;
  /** After Add a variation, the keyboard goes to the new row. */
  focusLast?: boolean;
}

export const VariationRows: FC<RowsProps> = ({ drafts, type, errors, focusLast }) => (
  <div class="variations" data-variations>
    {drafts.map((draft, i) => (
      <Row i={i} count={drafts.length} draft={draft} type={type} errors={errors} autofocus={Boolean(focusLast) && i === drafts.length - 1} />
    ))}
    <p>
      <button type="submit" name="intent" value="add-variation">
        Add a variation
      </button>
    </p>
  </div>
);
