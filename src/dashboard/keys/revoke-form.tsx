// The Revoke button of an API key or an SDK key.
import type { FC } from "hono/jsx";
import { CsrfField } from "../shell/layout";

/** A key's Revoke button: a form that asks `confirm` first (with JavaScript) and names what it revokes to assistive technology. */
export const RevokeForm: FC<{ action: string; confirm: string; label: string; csrf: string }> = ({ action, confirm, label, csrf }) => (
  <form method="post" action={action} class="inline" data-confirm={confirm}>
    <CsrfField token={csrf} />
    <button type="submit" class="danger" aria-label={label}>
      Revoke
    </button>
  </form>
);
