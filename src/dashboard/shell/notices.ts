// What a page says after a form redirected to it. The redirect carries a code, never text, so a
// link cannot make the dashboard display words of someone else's choosing.

type Kind = "success" | "error" | "info";

const NOTICES: Record<string, { kind: Kind; text: string }> = {
  "project-created": { kind: "success", text: "Project created, with development and production environments." },
  "flag-created": { kind: "success", text: "Flag created. It starts turned off in every environment." },
  "flag-created-default-kept": {
    kind: "error",
    text: "Flag created, turned off everywhere, but the variation it serves while off could not be changed in every environment: each one below says what it serves.",
  },
  "environment-created": { kind: "success", text: "Environment added. Every flag is turned off there." },
  "flag-archived": { kind: "success", text: "Flag archived: SDKs no longer get it. Its history is kept." },
  "flag-unarchived": { kind: "success", text: "Flag unarchived: SDKs get it again." },
  "flag-deleted": { kind: "success", text: "Flag deleted from every environment." },
  "flag-saved": { kind: "success", text: "Flag saved. Its webhooks are on their way." },
  "flag-unchanged": { kind: "info", text: "Nothing changed: the flag already was that way." },
  "flag-stale": { kind: "error", text: "Nothing was saved: someone changed this flag since the page loaded. Here is its current state; try again." },
  "rollout-invalid": { kind: "error", text: "The rollout percentage must be a whole number from 0 to 100." },
  "webhook-created": { kind: "success", text: "Webhook created. Press Test to send it a signed sample request." },
  "webhook-saved": { kind: "success", text: "Webhook saved." },
  "webhook-enabled": { kind: "success", text: "Webhook enabled: new changes will be delivered to it." },
  "webhook-disabled": { kind: "info", text: "Webhook disabled: it gets no new deliveries until you enable it." },
  "webhook-deleted": { kind: "success", text: "Webhook deleted, with its delivery history." },
  "ed25519-created": { kind: "success", text: "New ed25519 key pair: requests now also carry a v1a signature. Give your receivers the public key below." },
  "recover-invalid": { kind: "error", text: "Nothing was recovered: choose a window, or type a whole time in UTC (year, month, day, hour and minute)." },
  "redelivery-queued": { kind: "success", text: "Redelivery sent: one more attempt of the same delivery, now. Reload in a moment to see it." },
  "redelivery-busy": { kind: "error", text: "An attempt of this delivery is in flight; try again when it has finished." },
  "already-sent": {
    kind: "info",
    text: "That form was already sent from this browser, so nothing was done again. What it made was shown once, on the page that answered it.",
  },
  "sdk-key-revoked": { kind: "success", text: "SDK key revoked: apps using it stop getting flags within 30 seconds." },
  "api-key-revoked": { kind: "success", text: "API key revoked: everything using it is refused within 30 seconds." },
  "signed-out": { kind: "info", text: "You are signed out." },
  "session-ended": { kind: "info", text: "Your session ended. Sign in again to continue." },
  "key-rejected": { kind: "error", text: "The API key of your session no longer works. Sign in with a valid key." },
};

export function noticeFrom(params: URLSearchParams): { kind: Kind; text: string } | null {
  const test = testNotice(params) ?? recoverNotice(params) ?? revertNotice(params) ?? flagNotice(params);
  if (test) return test;
  return NOTICES[params.get("notice") ?? ""] ?? null;
}

const KEY = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** A flag change named by its flag and environment keys (lower-case letters, digits, - and _: checked before they are shown). */
function flagNotice(params: URLSearchParams): { kind: Kind; text: string } | null {
  const [flag, env, code] = [params.get("flag") ?? "", params.get("env") ?? "", params.get("notice")];
  if (!KEY.test(flag)) return null;
  if (code === "variations-saved") return { kind: "success", text: `Saved the variations of ${flag}. Its webhooks are on their way.` };
  if (code === "settings-saved") return { kind: "success", text: `Saved the name, key, description and tags of ${flag}.` };
  if (!KEY.test(env)) return null;
  const rollout = params.get("rollout") ?? "";
  switch (code) {
    case "flag-on":
      return { kind: "success", text: `Turned on ${flag} in ${env}. Its webhooks are on their way.` };
    case "flag-off":
      return { kind: "success", text: `Turned off ${flag} in ${env}. Its webhooks are on their way.` };
    case "flag-rollout":
      return /^\d{1,3}$/.test(rollout)
        ? { kind: "success", text: `Set the rollout of ${flag} in ${env} to ${rollout}%. Its webhooks are on their way.` }
        : null;
    case "flag-saved":
      return { kind: "success", text: `Saved the targeting of ${flag} in ${env}. Its webhooks are on their way.` };
    case "flag-unchanged":
      return { kind: "info", text: `Nothing changed: ${flag} already was that way in ${env}.` };
    default:
      return null;
  }
}

/** A revert done: the revision it set back and the one it made, numbers checked before they are shown. */
function revertNotice(params: URLSearchParams): { kind: Kind; text: string } | null {
  const [reverted, revision] = [params.get("reverted") ?? "", params.get("revision") ?? ""];
  if (params.get("notice") !== "reverted" || !/^\d{1,15}$/.test(reverted) || !/^\d{1,15}$/.test(revision)) return null;
  return { kind: "success", text: `Reverted revision ${reverted}: the change is revision ${revision}, below. Its webhooks are on their way.` };
}

/** How many failed deliveries a recovery gave one more attempt: a number, checked before it is shown. */
function recoverNotice(params: URLSearchParams): { kind: Kind; text: string } | null {
  const count = params.get("count") ?? "";
  if (params.get("notice") !== "recovered" || !/^\d{1,7}$/.test(count)) return null;
  if (count === "0") return { kind: "info", text: "No failed delivery since then: nothing to recover." };
  const deliveries = count === "1" ? "1 failed delivery gets" : `${count} failed deliveries get`;
  return { kind: "success", text: `${deliveries} one more attempt, oldest first. Reload in a moment to see them.` };
}

/** The no-JavaScript outcome of the Test button: numbers only, checked before they are shown. */
function testNotice(params: URLSearchParams): { kind: Kind; text: string } | null {
  const outcome = params.get("test");
  if (outcome !== "success" && outcome !== "failure") return null;
  const status = /^\d{3}$/.test(params.get("status") ?? "") ? `HTTP ${params.get("status")}` : "no answer";
  const ms = /^\d{1,7}$/.test(params.get("ms") ?? "") ? `${params.get("ms")} ms` : "";
  const head = outcome === "success" ? "✓ Test succeeded" : "✗ Test failed";
  return { kind: outcome === "success" ? "success" : "error", text: [head, status, ms].filter(Boolean).join(" · ") };
}
