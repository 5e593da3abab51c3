// How the dashboard words things: times, bodies, and Tggl's typed changes as short sentences.

/** `2026-01-25 12:00:05 UTC`: unambiguous without JavaScript; app.js rewrites it to local time. */
export function formatTime(iso: string | null): string {
  if (!iso) return "—";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/** A JSON body pretty-printed with two-space indents; anything else as it came. */
export function prettyBody(text: string): string {
  if (!text) return "";
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

export function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

const STATUS_TEXT: Record<number, string> = {
  200: "OK",
  201: "Created",
  202: "Accepted",
  204: "No Content",
  301: "Moved Permanently",
  302: "Found",
  307: "Temporary Redirect",
  308: "Permanent Redirect",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  408: "Request Timeout",
  409: "Conflict",
  410: "Gone",
  422: "Unprocessable Content",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

export function statusLine(code: number | null): string {
  if (code === null) return "no answer";
  return STATUS_TEXT[code] ? `${code} ${STATUS_TEXT[code]}` : String(code);
}

/** `flag.toggled` → `Toggled`: the event names people see in lists and filters. */
export const EVENT_LABELS: Record<string, string> = {
  "flag.created": "Flag created",
  "flag.updated": "Flag updated",
  "flag.deleted": "Flag deleted",
  "flag.toggled": "Flag toggled",
  "flag_state.updated": "Flag state updated",
  "webhook.test": "Test",
  "webhook.disabled": "Webhook disabled",
};

export function eventLabel(event: string): string {
  return EVENT_LABELS[event] ?? event;
}
