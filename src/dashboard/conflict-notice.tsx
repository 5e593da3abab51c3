// What a refused write says when someone else changed the flag first: who, when, what (from the
// change log), that the person's edits are still in the form, and a way to reload.
import type { FC } from "hono/jsx";
import { describeChanges } from "./change-words";
import { Time } from "./layout";
import type { ChangeLogEntry } from "./resources";

export const ConflictNotice: FC<{ change?: ChangeLogEntry; reload: string; subject: string; reloadLabel: string }> = ({ change, reload, subject, reloadLabel }) => (
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
