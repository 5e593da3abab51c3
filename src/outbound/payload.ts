import type { ChangeEvent, TgglChange } from "../flags/model";
import { isReceiverFormat, renderReceiverBody } from "./formats/index";
import type { WebhookFormat } from "./bodies";
import { TEST_EVENT } from "./bodies";
import type { DeliveryEvent } from "./bodies";
import type { NamedRef } from "./bodies";
import type { EventContext } from "./bodies";
import type { RollgateBody } from "./bodies";
import type { TgglBody } from "./bodies";

const FLAG_LEVEL_EVENTS: ReadonlySet<DeliveryEvent> = new Set(["flag.created", "flag.updated", "flag.deleted"]);
// ---- Schemas: what Flagpost sends, for tests and the documentation -----------------------------
// ---- Rendering ---------------------------------------------------------------------------------

/** The rollgate body as an object; the change log serves the same shape. */
export function buildRollgateBody(ev: ChangeEvent, ctx: EventContext): RollgateBody {
  return rollgateBody(ev.event, ev, ctx);
}

export function renderRollgateBody(ev: ChangeEvent, ctx: EventContext): string {
  return JSON.stringify(buildRollgateBody(ev, ctx));
}

export function renderTgglBody(ev: ChangeEvent, ctx: EventContext): string {
  return tgglBodyOf(buildRollgateBody(ev, ctx));
}

/** The tggl body says nothing the rollgate body does not: it is read from it, so it can be rendered again later. */
function tgglBodyOf(rollgate: RollgateBody): string {
  const body: TgglBody = {
    flagSlug: rollgate.flag.key,
    userEmail: rollgate.triggered_by.email,
    projectSlug: rollgate.project.key,
    codeLikeBefore: rollgate.code_like_before,
    codeLikeAfter: rollgate.code_like_after,
    changes: rollgate.changes,
  };
  return JSON.stringify(body);
}

/** A format's body of a change, from its rollgate body (every other format is a view of it). */
export function renderFromRollgate(format: WebhookFormat, rollgate: RollgateBody): string {
  if (isReceiverFormat(format)) return renderReceiverBody(format, rollgate);
  return format === "tggl" ? tgglBodyOf(rollgate) : JSON.stringify(rollgate);
}

export function renderEventBody(format: WebhookFormat, ev: ChangeEvent, ctx: EventContext): string {
  return renderFromRollgate(format, buildRollgateBody(ev, ctx));
}

/** The bodies of one event that a change commits. */
export interface EventBodies {
  rollgateBody: string;
  /** "" when not rendered at commit (the column predates optional bodies and is NOT NULL). */
  tgglBody: string;
  slackBody: string | null;
  sentryBody: string | null;
}

/**
 * An event's bodies as its change commits them: the rollgate body always (it is also the change log's
 * entry), the others only in `formats` (every format when null). A format left out is rendered from
 * the rollgate body when a delivery needs it (see outbound/event-bodies.ts), to the same bytes.
 */
export function renderEventBodies(ev: ChangeEvent, ctx: EventContext, formats: ReadonlySet<WebhookFormat> | null = null): EventBodies {
  const rollgate = buildRollgateBody(ev, ctx);
  const wanted = (f: WebhookFormat) => formats === null || formats.has(f);
  return {
    rollgateBody: JSON.stringify(rollgate),
    tgglBody: wanted("tggl") ? tgglBodyOf(rollgate) : "",
    slackBody: wanted("slack") ? renderReceiverBody("slack", rollgate) : null,
    sentryBody: wanted("sentry") ? renderReceiverBody("sentry", rollgate) : null,
  };
}

function rollgateBody(event: DeliveryEvent, ev: Omit<ChangeEvent, "event">, ctx: EventContext): RollgateBody {
  const { flag, project, actor } = ctx;
  return {
    id: ctx.eventId,
    event,
    timestamp: ctx.timestamp,
    flag: { id: flag.id, key: flag.key, name: flag.name, enabled: ev.enabled },
    // The contract fixes null for flag-level events, whatever environment was rendered.
    environment: FLAG_LEVEL_EVENTS.has(event) || !ev.environment ? null : pickRef(ev.environment),
    triggered_by: { id: actor.id, email: actor.email },
    project: pickRef(project),
    changes: ev.changes,
    code_like_before: ev.code_like_before,
    code_like_after: ev.code_like_after,
    ...(ctx.revision === undefined ? {} : { revision: ctx.revision }),
  };
}

function pickRef(ref: NamedRef): NamedRef {
  return { id: ref.id, key: ref.key, name: ref.name };
}

// ---- The test delivery -------------------------------------------------------------------------

/** A test needs no real flag; its project falls back to a sample for organization webhooks. */
export interface TestContext {
  eventId: string;
  timestamp: string;
  project?: NamedRef | null;
  actor: { id: string; email: string };
}

const SAMPLE_ID = "00000000-0000-0000-0000-000000000000";
export const SAMPLE_FLAG: NamedRef = { id: SAMPLE_ID, key: "flagpost-sample-flag", name: "Sample flag (webhook test)" };
const SAMPLE_PROJECT: NamedRef = { id: SAMPLE_ID, key: "flagpost-sample-project", name: "Sample project (webhook test)" };
const SAMPLE_ENVIRONMENT: NamedRef = { id: SAMPLE_ID, key: "production", name: "production" };
const SAMPLE_CHANGES: TgglChange[] = [{ __typename: "FlagActivated", oldActive: false, newActive: true }];

/** The sample body of a `webhook.test` delivery, in the webhook's format: the sample flag switched on. */
export function renderTestBody(format: WebhookFormat, test: TestContext): string {
  const ctx: EventContext = { ...test, flag: SAMPLE_FLAG, project: test.project ?? SAMPLE_PROJECT };
  const sample = {
    environment: SAMPLE_ENVIRONMENT,
    enabled: true,
    changes: SAMPLE_CHANGES,
    code_like_before: "Off (inactive)",
    code_like_after: "Live (value: true)",
  };
  if (format === "tggl") return renderTgglBody({ ...sample, event: "flag.toggled" }, ctx);
  if (isReceiverFormat(format)) return renderReceiverBody(format, rollgateBody(TEST_EVENT, sample, ctx));
  return JSON.stringify(rollgateBody(TEST_EVENT, sample, ctx));
}
