ALTER TABLE `deliveries` ADD `asked` integer DEFAULT false NOT NULL;--> statement-breakpoint
CREATE INDEX `deliveries_webhook_status` ON `deliveries` (`webhook_id`,`status`,`seq`);--> statement-breakpoint
CREATE INDEX `webhooks_project_failing` ON `webhooks` (`project_id`,`failing_since`);