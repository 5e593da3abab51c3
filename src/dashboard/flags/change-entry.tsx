// One entry of the change log: one revision (one save), however many events it emitted. It says
// which revision, what flag, who or what made it (a person, a schedule, a change request and its
// approver), the reason given, and per environment what changed in words and what the flag serves
// before → after; from it, the deliveries of each event and "Revert…". Lines that concern the whole
// revision go in as children, under the heading line.
import type { Child, FC } from "hono/jsx";
import { eventLabel } from "../shell/format";
import { Pill, Time, type Tone } from "../shell/layout";
import type { ChangeLogEntry } from "../shell/resources";
import { describeChanges } from "./change-words";
import { diffLines } from "./line-diff";
import { sourceOf, type RevisionGroup } from "./recent-changes";

const EVENT_TONES: Record<string, Tone> = { "flag.created": "ok", "flag.deleted": "bad", "flag.toggled": "warn" };

/** The revision's events by environment (flag-wide first), in the log's order. */
function sections(entries: ChangeLogEntry[]): ChangeLogEntry[][] {
  const byEnvironment = new Map<string, ChangeLogEntry[]>();
  for (const entry of entries) {
    const key = entry.environment?.key ?? "";
    byEnvironment.set(key, [...(byEnvironment.get(key) ?? []), entry]);
  }
  return [...byEnvironment.values()];
}

export const RevisionEntry: FC<{ group: RevisionGroup; projectId: string; children?: Child }> = ({ group, projectId, children }) => {
  const first = group.entries[0];
  const title = group.revision > 0 ? `Revision ${group.revision}` : eventLabel(first.event);
  const headingId = `revision-${group.revision}-${first.id}-title`;
  return (
    <article class="card entry" id={group.revision > 0 ? `revision-${group.revision}` : `change-${first.id}`} aria-labelledby={headingId}>
      <div class="meta">
        <h3 class="entry-title" id={headingId}>
          {title}
        </h3>
        {[...new Set(group.entries.map((e) => e.event))].map((event) => (
          <Pill tone={EVENT_TONES[event] ?? "off"}>{eventLabel(event)}</Pill>
        ))}
        <span class="entry-flag">
          <a href={`/dashboard/projects/${projectId}/flags/${first.flag.key}`} class="truncate" title={first.flag.name}>
            <strong>{first.flag.name}</strong>
          </a>{" "}
          <code>{first.flag.key}</code>
        </span>
        <span class="muted">
          by <strong>{sourceOf(first)}</strong> · <Time iso={first.timestamp} />
        </span>
      </div>
      {first.comment ? <p class="entry-comment">“{first.comment}”</p> : null}
      {children}
      {sections(group.entries).map((events) => (
        <EnvironmentPart events={events} projectId={projectId} />
      ))}
      {group.revision > 0 ? (
        <p class="entry-actions">
          <a class="button small-button" href={`/dashboard/projects/${projectId}/revisions/${group.revision}/revert`}>
            Revert…
          </a>
        </p>
      ) : null}
    </article>
  );
};

/** What one environment (or the whole flag) saw of the revision: its events' changes and one before → after. */
const EnvironmentPart: FC<{ events: ChangeLogEntry[]; projectId: string }> = ({ events, projectId }) => {
  const [first] = events;
  return (
    <section class="entry-part" aria-label={first.environment ? `In ${first.environment.name}` : "The whole flag"}>
      <h4 class="small">{first.environment ? `In ${first.environment.name}` : "The whole flag (all environments)"}</h4>
      <ul class="changes">
        {events.flatMap(describeChanges).map((words) => (
          <li>{words.charAt(0).toUpperCase() + words.slice(1)}</li>
        ))}
      </ul>
      <CodeLikeDiff before={first.code_like_before} after={first.code_like_after} />
      <p class="small">
        {events.map((e) => (
          <>
            <a href={`/dashboard/projects/${projectId}/changes/${e.id}/deliveries`}>
              {events.length === 1 ? "Deliveries of this change →" : `Deliveries of “${eventLabel(e.event)}” →`}
            </a>{" "}
          </>
        ))}
      </p>
    </section>
  );
};

/** Before and after as one unified diff: `-` lines only before, `+` lines only after. */
export const CodeLikeDiff: FC<{ before: string; after: string; label?: string }> = ({ before, after, label }) => {
  if (before === after) {
    return (
      <>
        <p class="small muted">What it serves did not change:</p>
        <pre>{after}</pre>
      </>
    );
  }
  const lines = diffLines(before, after);
  return (
    <figure aria-label={label ?? "What it serves, before and after"}>
      <p class="small muted">
        What it serves, before → after (<span class="removed-key">− before</span>, <span class="added-key">+ after</span>):
      </p>
      <pre class="diff">
        {lines.map((line) => (
          <span class={line.kind}>{`${line.kind === "added" ? "+" : line.kind === "removed" ? "−" : " "} ${line.text}`}</span>
        ))}
      </pre>
    </figure>
  );
};
