// Confirming a change to production with the change in view: the draft's dry run (what the flag
// serves before → after as code-like text, and the webhooks it would call), its what-if over the
// sample users (how many would be served another variation), its effective reach, and an optional
// reason that the change log keeps (sent as the write's `comment`).
import type { FC } from "hono/jsx";
import type { FlagState } from "../../flags/model";
import { SAMPLE_SIZE, SAMPLE_USER_IDS } from "../../flags/reach";
import type { Api } from "../shell/api";
import type { Flag } from "../shell/resources";
import { diffLines } from "./line-diff";
import { ReachList, reachOfState } from "./reach-view";

/** The longest reason the API keeps with a change. */
export const MAX_COMMENT = 500;

interface DryRunState {
  result: FlagState;
  events: { code_like_before: string; code_like_after: string; environment: unknown; webhooks: { name: string }[] }[];
}

interface Preview {
  results: { before: { variant: string }; after: { variant: string } }[];
  changed: number;
}

export interface ChangeInView {
  before: string;
  after: string;
  state: FlagState;
  webhooks: string[];
  changed: number;
  moves: { from: string; to: string; count: number }[];
}

/** The dry run and the what-if of a state PATCH; an ApiFailure (stale, refused) is the caller's, as for a save. */
export async function changeInView(api: Api, path: string, patch: { version: number }): Promise<ChangeInView> {
  const dry = await api.send<DryRunState>("PATCH", `${path}?dry_run=true`, patch);
  const preview = await api.send<Preview>("POST", `${path}/preview`, { patch, contexts: SAMPLE_USER_IDS.map((id) => ({ targetingKey: id })) });
  const event = dry.events.find((e) => e.environment !== null) ?? dry.events[0];
  const moves = new Map<string, { from: string; to: string; count: number }>();
  for (const { before, after } of preview.results) {
    if (before.variant === after.variant) continue;
    const key = `${before.variant}\u0000${after.variant}`;
    const move = moves.get(key) ?? { from: before.variant, to: after.variant, count: 0 };
    move.count++;
    moves.set(key, move);
  }
  return {
    before: event?.code_like_before ?? "",
    after: event?.code_like_after ?? "",
    state: dry.result,
    webhooks: [...new Set(dry.events.flatMap((e) => e.webhooks.map((w) => w.name)))],
    changed: preview.changed,
    moves: [...moves.values()].sort((a, b) => b.count - a.count),
  };
}

const count = (n: number) => n.toLocaleString("en-US");

/** The change itself: the diff, the what-if, the reach it would have, the webhooks; and the reason field. */
export const ChangeView: FC<{ change: ChangeInView; flag: Flag; envName: string }> = ({ change, flag, envName }) => {
  const lines = diffLines(change.before, change.after);
  return (
    <div class="change-in-view">
      <h3>What changes</h3>
      {change.before === change.after ? (
        <p>Nothing it serves changes.</p>
      ) : (
        <figure aria-label={`What ${flag.name} serves in ${envName}, before and after`}>
          <pre class="diff">
            {lines.map((line) => (
              <span class={line.kind}>{`${line.kind === "added" ? "+" : line.kind === "removed" ? "−" : " "} ${line.text}`}</span>
            ))}
          </pre>
        </figure>
      )}
      <p class="what-if">
        {change.changed === 0
          ? `None of the ${count(SAMPLE_SIZE)} sample users would be served another variation.`
          : `${count(change.changed)} of ${count(SAMPLE_SIZE)} sample users would be served another variation: ${change.moves.map((m) => `${m.from} → ${m.to}: ${count(m.count)}`).join("; ")}.`}
      </p>
      <ReachList reach={reachOfState(flag, change.state)} variations={flag.variations} label={`What ${flag.name} would really serve in ${envName}`} />
      <p class="small muted">{change.webhooks.length ? `Webhooks called: ${change.webhooks.join(", ")}.` : "No webhook hears this change."}</p>
    </div>
  );
};

/** The optional reason, kept in the change log with the change. */
export const ReasonField: FC<{ value?: string; error?: string }> = ({ value, error }) => (
  <div class="field">
    <label for="change-comment">Reason (optional)</label>
    <textarea
      id="change-comment"
      name="comment"
      rows={2}
      maxlength={MAX_COMMENT}
      aria-describedby="change-comment-hint"
      aria-invalid={error ? "true" : undefined}
    >
      {value ?? ""}
    </textarea>
    <p class="hint" id="change-comment-hint">
      Why you make this change: the change log keeps it with the change. At most {MAX_COMMENT} characters.
    </p>
    {error ? <p class="error">{error}</p> : null}
  </div>
);

/** The reason typed on a confirmation, trimmed; at most MAX_COMMENT characters (the textarea stops there too). */
export function commentOf(text: string): { comment?: string } {
  const comment = text.trim().slice(0, MAX_COMMENT);
  return comment ? { comment } : {};
}
