// The event catalog (GET /event-types): every event a webhook can receive, with a sample body in each
// format it is sent in. The list is WEBHOOK_EVENTS, the one that validates a webhook's `events`, and
// the test call's event; a new event that has no entry here does not compile. The samples are never
// written by hand: a sample flag goes through the same diff and the same renderers as a real change
// (the test call's and the notice's own renderers for theirs), so a sample cannot drift from what
// receivers get.
import { diffFlag } from "../flags/diff";
import type { Flag, FlagState, Variation } from "../flags/model";
import { derivedId } from "../flags/tggl";
import { NOTICE_FORMATS, renderNotice } from "../outbound/formats/notice";
import { CHANGE_REQUEST_FORMATS, renderChangeRequestNotice, type ChangeRequestEvent, type ChangeRequestNotice } from "../outbound/formats/change-request";
import { renderEventBody, renderTestBody } from "../outbound/payload";
import { WEBHOOK_EVENTS, type WebhookEvent } from "./schemas";
import type { Environment } from "../kernel/project-scope";
import { WEBHOOK_FORMATS } from "../outbound/bodies";
import type { WebhookFormat } from "../outbound/bodies";
import { TEST_EVENT } from "../outbound/bodies";
import type { EventContext } from "../outbound/bodies";

export interface EventType {
  event: string;
  description: string;
  environment_scoped: boolean;
  /** One per format the event is sent in (webhook.disabled has no sentry body). */
  samples: Partial<Record<WebhookFormat, unknown>>;
}

const id = (name: string) => derivedId("event-catalog", name);
const TIMESTAMP = "2026-01-25T12:00:00.000Z";
const PRODUCTION: Environment = { id: id("production"), key: "production", name: "production" };
const DEVELOPMENT: Environment = { id: id("development"), key: "development", name: "development" };
const LIVE: Variation = { id: id("live"), name: "Live", description: "", color: "#22c55e", active: true, value: true, order: 0 };
const OFF: Variation = { id: id("off"), name: "Off", description: "", color: "#ef4444", active: false, value: false, order: 1 };
const STATE: FlagState = { enabled: false, rollout_percentage: 100, rollout_variation_id: LIVE.id, conditions: [], default_variation_id: OFF.id, version: 1 };
const FLAG: Flag = {
  id: id("flag"),
  key: "new-checkout",
  name: "New Checkout Flow",
  description: "",
  type: "boolean",
  tags: [],
  variations: [LIVE, OFF],
  archived: false,
  sharing: { share_with_everyone: true, roles: [] },
  version: 1,
  environments: { development: STATE, production: STATE },
  created_at: TIMESTAMP,
  updated_at: TIMESTAMP,
};
const CONTEXT: EventContext = {
  eventId: id("event"),
  timestamp: TIMESTAMP,
  flag: { id: FLAG.id, key: FLAG.key, name: FLAG.name },
  project: { id: id("project"), key: "web", name: "Web" },
  actor: { id: id("user"), email: "dev@acme.test" },
  revision: 12,
};

function inProduction(flag: Flag, state: Partial<FlagState>): Flag {
  return { ...flag, environments: { ...flag.environments, production: { ...flag.environments.production, ...state } } };
}

const ON = inProduction(FLAG, { enabled: true });
const BETA = {
  id: id("beta"),
  name: "Beta testers",
  variation_id: LIVE.id,
  rules: [{ id: id("beta-rule"), property: "email", operator: "STR_ENDS_WITH" as const, values: ["@acme.test"] }],
};

type Entry =
  | { description: string; before: Flag | null; after: Flag | null }
  | { description: string; notice: true }
  | { description: string; changeRequest: true };

/** Each event a webhook may subscribe to, with its description and what emits it in the sample. */
const CATALOG: Record<WebhookEvent, Entry> = {
  "flag.created": { description: "A flag was created.", before: null, after: FLAG },
  "flag.updated": {
    description: "A flag's name, key, description, tags, archived, sharing or variations changed.",
    before: FLAG,
    after: { ...FLAG, name: "New checkout", tags: ["checkout"] },
  },
  "flag.deleted": { description: "A flag was deleted.", before: FLAG, after: null },
  "flag.toggled": { description: "A flag was turned on or off in one environment.", before: FLAG, after: ON },
  "flag_state.updated": {
    description: "Anything else in a flag's state in one environment changed: rollout, targeting rules, default variation.",
    before: inProduction(ON, { rollout_percentage: 20 }),
    after: inProduction(ON, { rollout_percentage: 50, conditions: [BETA] }),
  },
  "webhook.disabled": {
    description:
      "Flagpost disabled a webhook: its endpoint answered 410 Gone, or it kept failing for the auto-disable period. An organization webhook hears of every webhook of the organization, a project webhook of its own project's. Names the webhook, its scope, the reason and only the origin of its URL. Not sent in the sentry format.",
    notice: true,
  },
  "change_request.opened": {
    description:
      "Someone proposed a state change on an environment that requires approval: who, which flag, where, and the code-like text before and after. Sent in the rollgate and slack formats only.",
    changeRequest: true,
  },
  "change_request.approved": {
    description:
      "Another user approved a change request: who approved whose change, where, and the code-like text before and after. Sent in the rollgate and slack formats only.",
    changeRequest: true,
  },
};

function sampleOf(event: WebhookEvent): EventType {
  const entry = CATALOG[event];
  if ("notice" in entry) {
    const notice = {
      noticeId: id("notice"),
      timestamp: TIMESTAMP,
      webhook: { id: id("webhook"), name: "Orders service", url: "https://hooks.example.com/flagpost/secret-path", projectId: CONTEXT.project.id },
      reason: "gone" as const,
    };
    const rendered = Object.fromEntries(NOTICE_FORMATS.map((f) => [f, renderNotice(f, notice)]));
    return { event, description: entry.description, environment_scoped: false, samples: parseAll(rendered) };
  }
  if ("changeRequest" in entry) {
    const [toggled] = diffFlag(FLAG, ON, [DEVELOPMENT, PRODUCTION]);
    const notice: ChangeRequestNotice = {
      noticeId: id("request-notice"),
      event: event as ChangeRequestEvent,
      timestamp: TIMESTAMP,
      project: CONTEXT.project,
      flag: CONTEXT.flag,
      environment: PRODUCTION,
      changeRequest: { id: id("change-request"), comment: "Launch for everyone", apply_at: null, base_version: 1 },
      proposedBy: CONTEXT.actor,
      approvedBy: event === "change_request.approved" ? { id: id("reviewer"), email: "lead@acme.test" } : null,
      changes: toggled.changes,
      codeLikeBefore: toggled.code_like_before,
      codeLikeAfter: toggled.code_like_after,
    };
    const rendered = Object.fromEntries(CHANGE_REQUEST_FORMATS.map((f) => [f, renderChangeRequestNotice(f, notice)]));
    return { event, description: entry.description, environment_scoped: true, samples: parseAll(rendered) };
  }
  const change = diffFlag(entry.before, entry.after, [DEVELOPMENT, PRODUCTION]).find((e) => e.event === event);
  if (!change) throw new Error(`the catalog's sample write emits no ${event}`);
  const rendered = Object.fromEntries(WEBHOOK_FORMATS.map((f) => [f, renderEventBody(f, change, CONTEXT)]));
  return { event, description: entry.description, environment_scoped: change.environment !== null, samples: parseAll(rendered) };
}

let cached: EventType[] | null = null;

export function eventTypes(): EventType[] {
  cached ??= [
    ...WEBHOOK_EVENTS.map(sampleOf),
    {
      event: TEST_EVENT,
      description: "Sent by POST …/webhooks/{webhookId}/test, whatever the webhook's events: a sample flag switched on.",
      environment_scoped: false,
      samples: parseAll(
        Object.fromEntries(
          WEBHOOK_FORMATS.map((f) => [
            f,
            renderTestBody(f, { eventId: CONTEXT.eventId, timestamp: TIMESTAMP, project: CONTEXT.project, actor: CONTEXT.actor }),
          ]),
        ) as Record<WebhookFormat, string>,
      ),
    },
  ];
  return cached;
}

function parseAll(rendered: Partial<Record<WebhookFormat, string>>): Partial<Record<WebhookFormat, unknown>> {
  return Object.fromEntries(Object.entries(rendered).map(([format, body]) => [format, JSON.parse(body!)]));
}
