// The buttons that move a row of an editor (a condition, a variation) up or down: form intents the
// server applies to the draft, so the editors need no JavaScript.
import type { FC } from "hono/jsx";

/** `row` names the intent (`up-condition:2`); `label` names the row to assistive technology. */
export const MoveButtons: FC<{ row: "condition" | "variation"; at: number; count: number; label: string }> = ({ row, at, count, label }) => (
  <>
    {at > 0 ? (
      <button type="submit" name="intent" value={`up-${row}:${at}`} aria-label={`Move ${label} up`}>
        ↑ Move up
      </button>
    ) : null}
    {at < count - 1 ? (
      <button type="submit" name="intent" value={`down-${row}:${at}`} aria-label={`Move ${label} down`}>
        ↓ Move down
      </button>
    ) : null}
  </>
);
