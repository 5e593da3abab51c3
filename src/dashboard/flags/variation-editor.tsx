// The variations of a flag as rows of fields: name, value (read as the flag's type), active, colour
// and description, in the order they are served, with buttons to add, remove and move rows. Shared
// by the new-flag page and the flag page.
import type { FC } from "hono/jsx";
import type { FlagType } from "../../flags/model";
import { FieldError, fieldIdOf, type FieldErrors } from "../shell/fields";
import { MoveButtons } from "./move-buttons";
import { VALUE_HINTS, type VariationDraft } from "./variation-form";

const Row: FC<{ i: number; count: number; draft: VariationDraft; type: FlagType; errors: FieldErrors; autofocus: boolean }> = ({ i, count, draft, type, errors, autofocus }) => {
  const at = `v${i}`;
  const label = `variation ${i + 1}${draft.name ? ` (${draft.name})` : ""}`;
  const described = (f: string, hint?: boolean) => [hint ? `${fieldIdOf(`${at}.${f}`)}-hint` : "", errors[`${at}.${f}`] ? `${fieldIdOf(`${at}.${f}`)}-error` : ""].filter(Boolean).join(" ") || undefined;
  return (
    <fieldset class="variation">
      <legend>Variation {i + 1}</legend>
      <input type="hidden" name={`${at}.id`} value={draft.id} />
      <div class="variation-grid">
        <div class="field">
          <label for={fieldIdOf(`${at}.name`)}>Name</label>
          <input id={fieldIdOf(`${at}.name`)} name={`${at}.name`} type="text" value={draft.name} autofocus={autofocus} aria-invalid={errors[`${at}.name`] ? "true" : undefined} aria-describedby={described("name")} />
          <FieldError id={fieldIdOf(`${at}.name`)} error={errors[`${at}.name`]} />
        </div>
        <div class="field">
          <label for={fieldIdOf(`${at}.value`)}>Value</label>
          {type === "json" ? (
            <textarea id={fieldIdOf(`${at}.value`)} name={`${at}.value`} rows={2} spellcheck={false} data-value-input aria-invalid={errors[`${at}.value`] ? "true" : undefined} aria-describedby={described("value", true)}>
              {draft.value}
            </textarea>
          ) : (
            <input id={fieldIdOf(`${at}.value`)} name={`${at}.value`} type="text" value={draft.value} spellcheck={false} data-value-input aria-invalid={errors[`${at}.value`] ? "true" : undefined} aria-describedby={described("value", true)} />
          )}
          <p class="hint" id={`${fieldIdOf(`${at}.value`)}-hint`} data-value-hint>
            {VALUE_HINTS[type]}
          </p>
          <FieldError id={fieldIdOf(`${at}.value`)} error={errors[`${at}.value`]} />
        </div>
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

export const VariationRows: FC<{ drafts: VariationDraft[]; type: FlagType; errors: FieldErrors; focusLast?: boolean }> = ({ drafts, type, errors, focusLast }) => (
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
