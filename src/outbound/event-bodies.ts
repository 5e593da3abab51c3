// An event's body in a format its change did not render. A change renders only the formats that the
// webhooks it knew of wanted (outbound/formats-in-use.ts); a webhook created since, or an event
// older than its format, finds no body. Every format is a view of the rollgate body, which every
// event keeps, so the body is rendered from it (the same bytes the change would have rendered) and
// stored on the event the first time, so every later attempt and the attempts log read those bytes.
import { renderFromRollgate } from "./payload";
import type { WebhookFormat } from "./bodies";
import type { RollgateBody } from "./bodies";

const COLUMN: Record<Exclude<WebhookFormat, "rollgate">, string> = { tggl: "tggl_body", slack: "slack_body", sentry: "sentry_body" };

/** The SQL for an event's body in a format, null when it was not rendered ("" is the tggl column's "not rendered"). */
export function storedBodySql(format: string, e = "e"): string {
  return format === "tggl" ? `NULLIF(${e}.tggl_body, '')` : `${e}.${COLUMN[format as "slack"] ?? "rollgate_body"}`;
}

/**
 * Renders and stores the event's body in `format` unless one is stored already (then that one is
 * answered: two consumers racing store one body). Null if the event is gone or its rollgate body
 * cannot be read: the caller must then fail the attempt, never send an empty body.
 */
export async function recoverEventBody(d1: D1Database, eventId: string, format: WebhookFormat): Promise<string | null> {
  const row = await d1.prepare("SELECT rollgate_body FROM events WHERE id = ?").bind(eventId).first<{ rollgate_body: string }>();
  if (!row) return null;
  if (format === "rollgate") return row.rollgate_body;
  let body: string;
  try {
    body = renderFromRollgate(format, JSON.parse(row.rollgate_body) as RollgateBody);
  } catch (err) {
    console.error(`event ${eventId}: its ${format} body cannot be rendered from its rollgate body`, String(err));
    return null;
  }
  const column = COLUMN[format];
  const stored = await d1
    .prepare(`UPDATE events SET ${column} = CASE WHEN ${column} IS NULL OR ${column} = '' THEN ?2 ELSE ${column} END WHERE id = ?1 RETURNING ${column} AS body`)
    .bind(eventId, body)
    .first<{ body: string }>();
  return stored?.body ?? null;
}
