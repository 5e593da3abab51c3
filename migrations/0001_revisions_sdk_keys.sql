-- v1.1: project revisions and SDK keys.
-- A project's revision counts its committed changes; every event carries the revision of its change.
ALTER TABLE `projects` ADD `revision` integer DEFAULT 0 NOT NULL;
--> statement-breakpoint
ALTER TABLE `events` ADD `revision` integer DEFAULT 0 NOT NULL;
--> statement-breakpoint
-- Existing events: one change was one D1 batch, so its events share the flag and the commit time
-- and sit next to each other in `seq`. Each such group gets the next revision of its project.
UPDATE `events` SET `revision` = (
  SELECT COUNT(DISTINCT e2.`flag_id` || ':' || e2.`created_at`) FROM `events` e2
  WHERE e2.`project_id` = `events`.`project_id` AND e2.`seq` <= `events`.`seq`
);
--> statement-breakpoint
UPDATE `projects` SET `revision` = COALESCE((SELECT MAX(e.`revision`) FROM `events` e WHERE e.`project_id` = `projects`.`id`), 0);
--> statement-breakpoint
CREATE INDEX `events_project_revision` ON `events` (`project_id`,`revision`,`seq`);
--> statement-breakpoint
CREATE TABLE `sdk_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`project_id` text NOT NULL,
	`environment_id` text NOT NULL,
	`name` text,
	`kind` text NOT NULL,
	`key_hash` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`environment_id`) REFERENCES `environments`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `sdk_keys_hash` ON `sdk_keys` (`key_hash`);
--> statement-breakpoint
CREATE INDEX `sdk_keys_environment` ON `sdk_keys` (`environment_id`,`created_at`);
