// The fields of the targeting editor (state-editor.tsx): a described input, a variation select, and
// one rule of a condition: the context property, the operator with its rule in words, and every
// input an operator may take (the script shows only the chosen operator's).
import type { FC } from "hono/jsx";
import { FieldError, fieldIdOf, type FieldErrors } from "../shell/fields";
import type { Variation } from "../shell/resources";
import { OPERATOR_INFO, operatorGroups } from "./operators";
import type { RuleDraft } from "./state-form";

interface VariationSelectProps {
  name: string;
  label: string;
  value: string;
  variations: Variation[];
  hint?: string;
  autofocus?: boolean;
}

export const VariationSelect: FC<VariationSelectProps> = ({ name, label, value, variations, hint, autofocus }) => (
  <div class="field">
    <label for={fieldIdOf(name)}>
      {label}
      {hint ? <span class="hint">{hint}</span> : null}
    </label>
    <select id={fieldIdOf(name)} name={name} autofocus={autofocus}>
      {variations.map((v) => (
        <option value={v.id} selected={v.id === value}>
          {v.name}
          {v.active ? "" : " (inactive)"}
        </option>
      ))}
    </select>
  </div>
);

interface InputProps {
  name: string;
  label: string;
  value: string;
  error?: string;
  hint?: string;
  type?: string;
  multiline?: boolean;
  autofocus?: boolean;
  class?: string;
}

/** A described input: its hint and its error both read out with it. */
export const Input: FC<InputProps> = (p) => {
  const id = fieldIdOf(p.name);
  const described = [p.hint ? `${id}-hint` : "", p.error ? `${id}-error` : ""].filter(Boolean).join(" ") || undefined;
  const invalid = p.error ? "true" : undefined;
  const common = { id, name: p.name, "aria-describedby": described, "aria-invalid": invalid, autofocus: p.autofocus, spellcheck: false };
  return (
    <div class={`field ${p.class ?? ""}`}>
      <label for={id}>{p.label}</label>
      {p.multiline ? (
        <textarea {...common} rows={3}>
          {p.value}
        </textarea>
      ) : (
        <input {...common} type={p.type ?? "text"} value={p.value} />
      )}
      {p.hint ? (
        <p class="hint" id={`${id}-hint`}>
          {p.hint}
        </p>
      ) : null}
      <FieldError id={id} error={p.error} />
    </div>
  );
};

/** The operator of a rule, by group, with its rule in words beneath (the script swaps the words as it changes). */
const OperatorSelect: FC<{ at: string; operator: string; error?: string }> = ({ at, operator, error }) => (
  <div class="field">
    <label for={fieldIdOf(`${at}.operator`)}>Operator</label>
    <select id={fieldIdOf(`${at}.operator`)} name={`${at}.operator`} data-operator aria-describedby={`${fieldIdOf(at)}-operand-hint`}>
      {operatorGroups().map(({ group, operators }) => (
        <optgroup label={group}>
          {operators.map((o) => (
            <option value={o.operator} selected={o.operator === operator}>
              {o.label}
            </option>
          ))}
        </optgroup>
      ))}
    </select>
    <p class="hint" id={`${fieldIdOf(at)}-operand-hint`} data-operand-hint>
      {OPERATOR_INFO[operator]?.hint ?? ""}
    </p>
    <FieldError id={fieldIdOf(`${at}.operator`)} error={error} />
  </div>
);

/** Every input an operator may take; the script shows only the chosen operator's. */
const Operands: FC<{ at: string; rule: RuleDraft; errors: FieldErrors }> = ({ at, rule, errors }) => {
  const err = (f: string) => errors[`${at}.${f}`];
  return (
    <>
      <div data-operand="values">
        <Input name={`${at}.values`} label="Values (one per line)" value={rule.values} error={err("values")} multiline />
      </div>
      <div data-operand="value">
        <Input name={`${at}.value`} label="Value" value={rule.value} error={err("value")} />
      </div>
      <div data-operand="range" class="rule-grid">
        <Input name={`${at}.range_start`} label="From %" value={rule.range_start} error={err("range_start")} type="number" />
        <Input name={`${at}.range_end`} label="To %" value={rule.range_end} error={err("range_end")} type="number" />
        <Input name={`${at}.seed`} label="Seed (optional)" value={rule.seed} error={err("seed")} type="number" />
      </div>
    </>
  );
};

interface RuleFieldsProps {
  at: string;
  rule: RuleDraft;
  n: number;
  errors: FieldErrors;
  focus?: string;
  removable: boolean;
  conditionLabel: string;
}

export const RuleFields: FC<RuleFieldsProps> = ({ at, rule, n, errors, focus, removable, conditionLabel }) => (
  <fieldset class="rule" data-rule>
    <legend>
      Rule {n}
      <span class="visually-hidden"> of {conditionLabel}</span>
    </legend>
    <input type="hidden" name={`${at}.id`} value={rule.id} />
    <div class="rule-grid">
      <Input
        name={`${at}.property`}
        label="Context property"
        value={rule.property}
        error={errors[`${at}.property`]}
        autofocus={focus === `${at}.property`}
        hint="Such as userId, email or plan."
      />
      <OperatorSelect at={at} operator={rule.operator} error={errors[`${at}.operator`]} />
    </div>
    <Operands at={at} rule={rule} errors={errors} />
    <p class="hint no-js-only">Fill in only the input the operator takes: a list, one value, the range, or nothing.</p>
    {removable ? (
      <button type="submit" name="intent" value={`remove-rule:${at.slice(1).replace(".r", ":")}`} class="danger small-button">
        Remove rule {n}
        <span class="visually-hidden"> of {conditionLabel}</span>
      </button>
    ) : null}
  </fieldset>
);
