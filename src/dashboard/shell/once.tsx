// Forms whose answer shows a secret once (a new SDK key, a rotated webhook secret) answer their POST
// with that page, so reloading it asks the browser to send the form again: a second key, or a second
// rotation that retires the secret just shown. Each such form carries a one-time token; a token the
// browser already spent (kept in a cookie, the last few) turns the repeat into a redirect that says so,
// and nothing is done twice. A form sent without a token (a page from before tokens) is not refused.
import type { Context } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import type { FC } from "hono/jsx";
import { textField, type FormBody } from "./context";
import { COOKIE, onceCookie } from "./guard";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Spent tokens kept: enough for the forms a person sends from a few tabs in a day. */
const KEPT = 20;

/** The form's token: a fresh one on every page that renders the form. */
export const OnceField: FC = () => <input type="hidden" name="once" value={crypto.randomUUID()} />;

/** Spends the form's token: false when this browser sent the form with it before (do nothing then). */
export function spendOnce(c: Context, form: FormBody): boolean {
  const token = textField(form, "once");
  if (!UUID.test(token)) return true;
  const spent = (getCookie(c, onceCookie(c)) ?? "").split(".").filter((t) => UUID.test(t));
  if (spent.includes(token)) return false;
  const value = [...spent.slice(-(KEPT - 1)), token].join(".");
  setCookie(c, onceCookie(c), value, { ...COOKIE, maxAge: 86_400 });
  return true;
}
