// D1 tables. Row types come from $inferSelect; the public shapes are the zod schemas, not these.
// Times are Unix milliseconds; JSON columns hold the exact API shapes.
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

export const orgs = sqliteTable("orgs", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  createdAt: integer("created_at").notNull(),
});

export const users = sqliteTable(
  "users",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => orgs.id),
    email: text("email").notNull(),
    name: text("name"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [uniqueIndex("users_org_email").on(t.orgId, t.email)],
);

export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id),
    name: text("name"),
    keyHash: text("key_hash").notNull(),
    createdAt: integer("created_at").notNull(),
    /** Set when the key is revoked; a revoked key authenticates nothing. */
    revokedAt: integer("revoked_at"),
  },
  (t) => [uniqueIndex("api_keys_hash").on(t.keyHash)],
);

/** Dashboard sessions signed out before their cookie expired; a row may go once `expires_at` has passed. */
export const revokedSessions = sqliteTable(
  "revoked_sessions",
  {
    id: text("id").primaryKey(),
    expiresAt: integer("expires_at").notNull(),
  },
  (t) => [index("revoked_sessions_expires").on(t.expiresAt)],
);

export const projects = sqliteTable(
  "projects",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => orgs.id),
    key: text("key").notNull(),
    name: text("name").notNull(),
    /** Committed changes so far: bumped by exactly one in each change's own batch (ProjectDO). */
    revision: integer("revision").notNull().default(0),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [uniqueIndex("projects_org_key").on(t.orgId, t.key)],
);

export const environments = sqliteTable(
  "environments",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id),
    key: text("key").notNull(),
    name: text("name").notNull(),
    position: integer("position").notNull(),
    createdAt: integer("created_at").notNull(),
    /** A state change here is proposed as a change request and applied once another user approved it. */
    requiresApproval: integer("requires_approval", { mode: "boolean" }).notNull().default(false),
  },
  (t) => [uniqueIndex("environments_project_key").on(t.projectId, t.key)],
);

export const flags = sqliteTable(
  "flags",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id),
    key: text("key").notNull(),
    name: text("name").notNull(),
    description: text("description").notNull(),
    type: text("type").notNull(),
    tags: text("tags", { mode: "json" }).notNull(),
    variations: text("variations", { mode: "json" }).notNull(),
    archived: integer("archived", { mode: "boolean" }).notNull(),
    sharing: text("sharing", { mode: "json" }).notNull(),
    version: integer("version").notNull(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [uniqueIndex("flags_project_key").on(t.projectId, t.key)],
);

export const flagStates = sqliteTable(
  "flag_states",
  {
    flagId: text("flag_id")
      .notNull()
      .references(() => flags.id, { onDelete: "cascade" }),
    environmentId: text("environment_id")
      .notNull()
      .references(() => environments.id),
    enabled: integer("enabled", { mode: "boolean" }).notNull(),
    rolloutPercentage: integer("rollout_percentage").notNull(),
    rolloutVariationId: text("rollout_variation_id").notNull(),
    conditions: text("conditions", { mode: "json" }).notNull(),
    defaultVariationId: text("default_variation_id").notNull(),
    version: integer("version").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.flagId, t.environmentId] })],
);

/** The change log: one row per emitted event, with both webhook bodies rendered at commit. */
export const events = sqliteTable(
  "events",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    id: text("id").notNull(),
    orgId: text("org_id").notNull(),
    projectId: text("project_id").notNull(),
    flagId: text("flag_id").notNull(),
    environmentId: text("environment_id"),
    event: text("event").notNull(),
    createdAt: integer("created_at").notNull(),
    /** The rollgate body is also the change-log entry that GET /events returns. */
    rollgateBody: text("rollgate_body").notNull(),
    tgglBody: text("tggl_body").notNull(),
    /** The `slack` and `sentry` renderings; null only on events committed before those formats existed. */
    slackBody: text("slack_body"),
    sentryBody: text("sentry_body"),
    /** The project's revision after the change that emitted it (both events of a double change share it). */
    revision: integer("revision").notNull().default(0),
    /** Where the change came from (a comment, a schedule, a change request and its approver), as JSON; null for a plain write. */
    origin: text("origin"),
  },
  (t) => [
    uniqueIndex("events_id").on(t.id),
    index("events_project_seq").on(t.projectId, t.seq),
    index("events_project_revision").on(t.projectId, t.revision, t.seq),
    index("events_created").on(t.createdAt),
  ],
);

/** Keys for the evaluation routes, one environment each; stored only as a SHA-256. Revoking deletes the row. */
export const sdkKeys = sqliteTable(
  "sdk_keys",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id").notNull(),
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id),
    environmentId: text("environment_id")
      .notNull()
      .references(() => environments.id),
    name: text("name"),
    /** `server` (every evaluation route) or `client` (OFREP only). */
    kind: text("kind").notNull(),
    keyHash: text("key_hash").notNull(),
    createdAt: integer("created_at").notNull(),
    /** The highest revision the key was served, and when it was last served (batched: src/serve/served.ts). */
    lastRevision: integer("last_revision"),
    lastSeenAt: integer("last_seen_at"),
  },
  (t) => [uniqueIndex("sdk_keys_hash").on(t.keyHash), index("sdk_keys_environment").on(t.environmentId, t.createdAt)],
);

export const webhooks = sqliteTable(
  "webhooks",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    id: text("id").notNull(),
    orgId: text("org_id").notNull(),
    /** Null for an organization webhook, called for every project. */
    projectId: text("project_id"),
    name: text("name").notNull(),
    url: text("url").notNull(),
    events: text("events", { mode: "json" }).notNull().$type<string[]>(),
    /** Encrypted (secret-box); null when the webhook has no secret. */
    secret: text("secret"),
    /** Encrypted JSON object of custom headers. */
    headers: text("headers").notNull(),
    /** Masked header values, for reads. */
    headersMasked: text("headers_masked", { mode: "json" }).notNull().$type<Record<string, string>>(),
    environments: text("environments", { mode: "json" }).$type<string[] | null>(),
    format: text("format").notNull(),
    enabled: integer("enabled", { mode: "boolean" }).notNull(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    /** After a rotation: the secret that still signs beside the new one (encrypted), until it expires. */
    previousSecret: text("previous_secret"),
    previousSecretExpiresAt: integer("previous_secret_expires_at"),
    /** Standard Webhooks `v1a`: the PKCS#8 private key (encrypted) and the public key as `whpk_…`. */
    ed25519PrivateKey: text("ed25519_private_key"),
    ed25519PublicKey: text("ed25519_public_key"),
    /** Health (src/deliveries/lifecycle.ts): failed attempts in a row, across the webhook's deliveries. */
    consecutiveFailures: integer("consecutive_failures").notNull().default(0),
    /** The first failed attempt since the last success: auto-disable counts from here. */
    failingSince: integer("failing_since"),
    lastSuccessAt: integer("last_success_at"),
    lastFailureAt: integer("last_failure_at"),
    /** closed | open (one probe at a time) | draining (held deliveries released one by one). */
    circuit: text("circuit").notNull().default("closed"),
    /** The delivery the circuit waits on: the probe while open, the backlog's released one while draining. */
    probeDeliveryId: text("probe_delivery_id"),
    /** gone | failing | null; set when Flagpost disabled the webhook, cleared when it is enabled again. */
    disabledReason: text("disabled_reason"),
    disabledAt: integer("disabled_at"),
  },
  (t) => [
    uniqueIndex("webhooks_id").on(t.id),
    index("webhooks_org_project").on(t.orgId, t.projectId),
    // The retry clock judges its project's failing webhooks (auto-disable) without reading the organization's.
    index("webhooks_project_failing").on(t.projectId, t.failingSince),
  ],
);

/**
 * One delivery of one event to one webhook. The claim columns make an attempt happen once even
 * when its queue message or the alarm's re-send arrives twice.
 */
export const deliveries = sqliteTable(
  "deliveries",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    id: text("id").notNull(),
    webhookId: text("webhook_id").notNull(),
    orgId: text("org_id").notNull(),
    /** The project whose ProjectDO is the retry clock; null only for tests of org webhooks. */
    projectId: text("project_id"),
    eventId: text("event_id"),
    event: text("event").notNull(),
    format: text("format").notNull(),
    /** Only for webhook.test deliveries; change deliveries read their event's rendered body. */
    body: text("body"),
    status: text("status").notNull(),
    attemptCount: integer("attempt_count").notNull().default(0),
    nextAttemptAt: integer("next_attempt_at"),
    /** When the last queue message for the due attempt was sent (null: not sent yet). */
    enqueuedAt: integer("enqueued_at"),
    claimToken: text("claim_token"),
    claimedUntil: integer("claimed_until"),
    /** A redelivery or a test: one attempt, never retried. */
    final: integer("final", { mode: "boolean" }).notNull().default(false),
    lastStatusCode: integer("last_status_code"),
    createdAt: integer("created_at").notNull(),
    completedAt: integer("completed_at"),
    /** Waiting behind an open circuit: not due, not an attempt; released oldest first. */
    held: integer("held", { mode: "boolean" }).notNull().default(false),
    /** Why a delivery ended without an attempt saying so (a disabled webhook). */
    error: text("error"),
    /** A person asked for its next attempt (a test, "attempt now"): it goes whatever the circuit. */
    asked: integer("asked", { mode: "boolean" }).notNull().default(false),
  },
  (t) => [
    uniqueIndex("deliveries_id").on(t.id),
    index("deliveries_webhook_seq").on(t.webhookId, t.seq),
    index("deliveries_due").on(t.projectId, t.status, t.nextAttemptAt),
    index("deliveries_event").on(t.eventId),
    index("deliveries_webhook_held").on(t.webhookId, t.held, t.seq),
    index("deliveries_finished").on(t.status, t.createdAt),
    // recover: a webhook's failed deliveries, oldest first, a bounded page at a time.
    index("deliveries_webhook_status").on(t.webhookId, t.status, t.seq),
  ],
);

export const attempts = sqliteTable(
  "attempts",
  {
    deliveryId: text("delivery_id").notNull(),
    number: integer("number").notNull(),
    startedAt: integer("started_at").notNull(),
    durationMs: integer("duration_ms").notNull(),
    request: text("request").notNull(),
    response: text("response"),
    error: text("error"),
  },
  (t) => [primaryKey({ columns: [t.deliveryId, t.number] }), index("attempts_started").on(t.startedAt)],
);

/** A state patch that applies itself at `at` (CONTRACT.md "Scheduled changes"); the writer's alarm reads the due ones. */
export const schedules = sqliteTable(
  "schedules",
  {
    /** Creation order: several due at once apply in this order. */
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    id: text("id").notNull(),
    orgId: text("org_id").notNull(),
    projectId: text("project_id").notNull(),
    flagId: text("flag_id").notNull(),
    flagKey: text("flag_key").notNull(),
    environmentKey: text("environment_key").notNull(),
    at: integer("at").notNull(),
    /** The state PATCH body, as JSON. */
    patch: text("patch").notNull(),
    comment: text("comment"),
    /** scheduled | applied | failed | cancelled */
    status: text("status").notNull(),
    reason: text("reason"),
    revision: integer("revision"),
    /** Set when an approved change request with `apply_at` made this schedule. */
    changeRequestId: text("change_request_id"),
    createdById: text("created_by_id").notNull(),
    createdByEmail: text("created_by_email").notNull(),
    createdAt: integer("created_at").notNull(),
    finishedAt: integer("finished_at"),
  },
  (t) => [
    uniqueIndex("schedules_id").on(t.id),
    index("schedules_project_seq").on(t.projectId, t.seq),
    index("schedules_due").on(t.projectId, t.status, t.at, t.seq),
  ],
);

/** A state change proposed on an environment that requires approval (CONTRACT.md "Changes that need a second person"). */
export const changeRequests = sqliteTable(
  "change_requests",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    id: text("id").notNull(),
    orgId: text("org_id").notNull(),
    projectId: text("project_id").notNull(),
    flagId: text("flag_id").notNull(),
    flagKey: text("flag_key").notNull(),
    environmentKey: text("environment_key").notNull(),
    patch: text("patch").notNull(),
    comment: text("comment"),
    applyAt: integer("apply_at"),
    /** open | approved | applied | closed */
    status: text("status").notNull(),
    /** The state's version when it was proposed: applying after it moved is refused. */
    baseVersion: integer("base_version").notNull(),
    /** The dry run's events, as JSON. */
    preview: text("preview").notNull(),
    reason: text("reason"),
    revision: integer("revision"),
    scheduleId: text("schedule_id"),
    createdById: text("created_by_id").notNull(),
    createdByEmail: text("created_by_email").notNull(),
    createdAt: integer("created_at").notNull(),
    approvedById: text("approved_by_id"),
    approvedByEmail: text("approved_by_email"),
    approvedAt: integer("approved_at"),
    finishedAt: integer("finished_at"),
  },
  (t) => [uniqueIndex("change_requests_id").on(t.id), index("change_requests_project_seq").on(t.projectId, t.seq)],
);

/**
 * What each revision changed (src/projects/revision-fields.ts): its flag, how (`created`, `updated`,
 * `deleted`) and, for an update, the value each changed field had before it, as JSON. Revert reads it.
 */
export const revisionChanges = sqliteTable(
  "revision_changes",
  {
    projectId: text("project_id").notNull(),
    revision: integer("revision").notNull(),
    flagId: text("flag_id").notNull(),
    /** The flag's key after the change (before it, for a deletion). */
    flagKey: text("flag_key").notNull(),
    kind: text("kind").notNull(),
    before: text("before").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.revision] }), index("revision_changes_flag").on(t.projectId, t.flagId, t.revision)],
);
