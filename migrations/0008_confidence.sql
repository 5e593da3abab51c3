-- Changes with confidence: environments that require a second person's approval, scheduled changes,
-- and change requests. D1 is the truth for both: the project's writer re-arms its alarm from here.
ALTER TABLE `environments` ADD `requires_approval` integer DEFAULT 0 NOT NULL;

CREATE TABLE `schedules` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`id` text NOT NULL,
	`org_id` text NOT NULL,
	`project_id` text NOT NULL,
	`flag_id` text NOT NULL,
	`flag_key` text NOT NULL,
	`environment_key` text NOT NULL,
	`at` integer NOT NULL,
	`patch` text NOT NULL,
	`comment` text,
	`status` text NOT NULL,
	`reason` text,
	`revision` integer,
	`change_request_id` text,
	`created_by_id` text NOT NULL,
	`created_by_email` text NOT NULL,
	`created_at` integer NOT NULL,
	`finished_at` integer
);
CREATE UNIQUE INDEX `schedules_id` ON `schedules` (`id`);
CREATE INDEX `schedules_project_seq` ON `schedules` (`project_id`,`seq`);
CREATE INDEX `schedules_due` ON `schedules` (`project_id`,`status`,`at`,`seq`);

CREATE TABLE `change_requests` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`id` text NOT NULL,
	`org_id` text NOT NULL,
	`project_id` text NOT NULL,
	`flag_id` text NOT NULL,
	`flag_key` text NOT NULL,
	`environment_key` text NOT NULL,
	`patch` text NOT NULL,
	`comment` text,
	`apply_at` integer,
	`status` text NOT NULL,
	`base_version` integer NOT NULL,
	`preview` text NOT NULL,
	`reason` text,
	`revision` integer,
	`schedule_id` text,
	`created_by_id` text NOT NULL,
	`created_by_email` text NOT NULL,
	`created_at` integer NOT NULL,
	`approved_by_id` text,
	`approved_by_email` text,
	`approved_at` integer,
	`finished_at` integer
);
CREATE UNIQUE INDEX `change_requests_id` ON `change_requests` (`id`);
CREATE INDEX `change_requests_project_seq` ON `change_requests` (`project_id`,`seq`);
