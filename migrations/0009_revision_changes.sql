-- A way back (CONTRACT.md v1.2): what each revision changed, so that it can be reverted exactly.
-- One row per revision: the flag it changed, how (created, updated, deleted), and the value each
-- changed field had before it (the events' Tggl changes cannot say every one: a rollout variation
-- changed at 100% has none). Written in the revision's own batch.
CREATE TABLE `revision_changes` (
	`project_id` text NOT NULL,
	`revision` integer NOT NULL,
	`flag_id` text NOT NULL,
	`flag_key` text NOT NULL,
	`kind` text NOT NULL,
	`before` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`project_id`, `revision`)
);
--> statement-breakpoint
CREATE INDEX `revision_changes_flag` ON `revision_changes` (`project_id`,`flag_id`,`revision`);
