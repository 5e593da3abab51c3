// What a refused write says when someone else changed the flag first: who, when, what (from the
// change log), that the person's edits are still in the form, and a way to reload.
import type { FC } from "hono/jsx";
import { isId, type DashboardContext } from "../shell/context";
import { formatTime } from "../shell/format";
import { Time } from "../shell/layout";
import type { ChangeLogEntry, Page } from "../shell/resources";
import { describeChanges } from "./change-words";

interface ConflictProps {
  /** The newest change of what the page edits, when the change log has it. */
  change?: ChangeLogEntry;
  reload: string;
  subject: string;
  reloadLabel: string;
}

export const ConflictNotice: FC<ConflictProps> = ({ change, reload, subject, reloadLabel }) => (
  <div class="notice error" role="alert" tabindex={-1} autofocus>
    <p>
      <strong>Nothing was saved: someone changed {subject} since you opened the page.</strong>
    </p>
    {change ? (
      <p>
        {change.triggered_by.email} changed it <Time iso={change.timestamp} />: {describeChanges(change).join("; ") || "what it serves"}.
      </p>
    ) : null}
    <p>Your edits are still in the form. Reload to start from what is saved now (your edits will be lost), or copy what you need first.</p>
    <a class="button primary" href={reload}>
      {reloadLabel}
    </a>
  </div>
);

/**
 * A stale toggle redirects with `notice=flag-stale&change=<event id>`: the page it lands on names the
 * change it collided with, read from the change log (null when there is none to name).
 */
export async function staleNoticeWords(c: DashboardContext): Promise<string | null> {
  const params = new URL(c.req.url).searchParams;
  if (params.get("notice") !== "flag-stale") return null;
  const eventId = params.get("change");
  const projectId = /^\/dashboard\/projects\/([0-9a-f-]{36})/.exec(c.req.path)?.[1];
  if (!projectId || !eventId || !isId(eventId)) return null;
  const page = await c
    .get("api")
    .get<Page<ChangeLogEntry>>(`/projects/${projectId}/events`, { limit: 200 })
    .catch(() => null);
  const entry = page?.data.find((e) => e.id === eventId);
  if (!entry) return null;
  const where = entry.environment ? ` in ${entry.environment.name}` : "";
  const what = describeChanges(entry).join("; ");
  return `${entry.triggered_by.email} changed ${entry.flag.name}${where} at ${formatTime(entry.timestamp)}: ${what}.`;
}
