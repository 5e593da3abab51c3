-- The delivery lifecycle (v1.1): endpoint health, the circuit breaker and auto-disable on webhooks;
-- held deliveries and the reason a delivery ended on deliveries; an index for every prune query.
ALTER TABLE `webhooks` ADD `consecutive_failures` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `webhooks` ADD `failing_since` integer;--> statement-breakpoint
ALTER TABLE `webhooks` ADD `last_success_at` integer;--> statement-breakpoint
ALTER TABLE `webhooks` ADD `last_failure_at` integer;--> statement-breakpoint
ALTER TABLE `webhooks` ADD `circuit` text DEFAULT 'closed' NOT NULL;--> statement-breakpoint
ALTER TABLE `webhooks` ADD `probe_delivery_id` text;--> statement-breakpoint
ALTER TABLE `webhooks` ADD `disabled_reason` text;--> statement-breakpoint
ALTER TABLE `webhooks` ADD `disabled_at` integer;--> statement-breakpoint
ALTER TABLE `deliveries` ADD `held` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `deliveries` ADD `error` text;--> statement-breakpoint
CREATE INDEX `deliveries_event` ON `deliveries` (`event_id`);--> statement-breakpoint
CREATE INDEX `deliveries_webhook_held` ON `deliveries` (`webhook_id`,`held`,`seq`);--> statement-breakpoint
CREATE INDEX `deliveries_finished` ON `deliveries` (`status`,`created_at`);--> statement-breakpoint
CREATE INDEX `events_created` ON `events` (`created_at`);--> statement-breakpoint
DROP INDEX `deliveries_created`;
