// What a state really serves (flags/reach.ts): each condition and the rollout with the sample users it
// serves, beside what its percentage promises, and a warning where one serves far fewer than it says.
import type { FC } from "hono/jsx";
import type { Condition, FlagState, Rule } from "../../flags/model";
import { hasPercentages, knownReach, reachOf, SAMPLE_SIZE, type BranchReach, type StateReach } from "../../flags/reach";
import type { Flag, Variation } from "../shell/resources";
import type { StatePatch } from "./state-form";

const count = (n: number) => n.toLocaleString("en-US");

/** The reach of a saved state; null when it cannot be measured (it never throws into a page). */
export function reachOfState(flag: Pick<Flag, "id" | "key" | "variations">, state: FlagState): StateReach | null {
  try {
    return reachOf(flag, state);
  } catch {
    return null;
  }
}

/** The reach of a draft the editor can send (a PATCH's body), as if it were saved. */
export function reachOfPatch(flag: Pick<Flag, "id" | "key" | "variations">, patch: StatePatch): StateReach | null {
  const conditions = patch.conditions.map((c, i) => ({ ...c, id: c.id ?? `new-${i}`, rules: c.rules as unknown as Rule[] })) as Condition[];
  return reachOfState(flag, { ...patch, conditions });
}

function variationName(variations: Variation[], id: string): string {
  return variations.find((v) => v.id === id)?.name ?? "an unknown variation";
}

function branchWords(b: BranchReach, variations: Variation[]): string {
  const serves = variationName(variations, b.variationId);
  const head =
    b.kind === "condition"
      ? `Condition ${b.index + 1}${b.label ? ` "${b.label}"` : ""} → ${serves}`
      : b.kind === "rollout"
        ? `Rollout → ${serves}`
        : `${b.label} → ${serves}`;
  const among = b.otherRules.length ? ` of those who pass its rules on ${b.otherRules.join(", ")}` : "";
  const promise = b.expected === null ? "" : ` (its ${pct(b.promised ?? 0)} says about ${count(b.expected)} of the ${count(b.reaching)} who reach it)`;
  if (b.otherRules.length && b.promised === null) return `${head}: depends on ${b.otherRules.join(", ")}, which the sample users do not carry`;
  return `${head}: ${count(b.served)} of ${count(b.kind === "condition" && b.otherRules.length ? b.reaching : SAMPLE_SIZE)} sample users${among}${promise}`;
}

function pct(share: number): string {
  return `${Number((share * 100).toFixed(2))}%`;
}

/** Each branch's sample users and the warnings, for the editor, the flag page and confirmations. */
export const ReachList: FC<{ reach: StateReach | null; variations: Variation[]; label: string }> = ({ reach, variations, label }) => {
  if (!reach) return null;
  return (
    <section class="reach" aria-label={label}>
      {reach.warnings.map((w) => (
        <p class="notice warn reach-warning" role="note">
          <strong>Reaches fewer users than it says.</strong> {w}
        </p>
      ))}
      <ul class="small reach-list">
        {reach.branches.map((b) => (
          <li class={b.warning ? "short" : undefined}>{branchWords(b, variations)}</li>
        ))}
      </ul>
      <p class="small muted">
        Measured over {count(SAMPLE_SIZE)} sample users (userId user-0001 to user-1000) with the evaluator that serves OFREP and the SDKs.
      </p>
    </section>
  );
};

/** How many states one page of the flags list measures (each costs about 10–40 ms); the rest were measured before, or say where to look. */
export const LIST_MEASURES = 40;

/** One line for the flags list: the first warning, or nothing. */
export const ReachWarning: FC<{ flag: Flag; state: FlagState; budget: { left: number } }> = ({ flag, state, budget }) => {
  if (!hasPercentages(state)) return null;
  const known = knownReach(flag, state);
  if (!known && budget.left <= 0) return <span class="small muted">Reach measured on the flag's page</span>;
  if (!known) budget.left--;
  const reach = known ?? reachOfState(flag, state);
  const short = reach?.branches.find((b) => b.warning);
  if (!short || short.expected === null) return null;
  const what = short.kind === "rollout" ? `${pct(short.promised ?? 0)} rollout` : `condition ${short.index + 1}`;
  return (
    <span class="small reach-warning" title={short.warning ?? undefined}>
      ⚠ The {what} serves {count(short.served)} of {count(SAMPLE_SIZE)} sample users, not about {count(short.expected)}
    </span>
  );
};
