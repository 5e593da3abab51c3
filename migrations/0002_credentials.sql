-- Credentials that can be taken back (issue 11): a revoked API key keeps its row (so a revoked key
-- is told apart from one that never existed, and the audit keeps it) and is refused everywhere.
ALTER TABLE `api_keys` ADD `revoked_at` integer;
--> statement-breakpoint
-- Dashboard sessions signed out before they expired: a sealed cookie stays valid on its own until its
-- expiry, so signing out records its id here; rows past their expiry can go.
CREATE TABLE `revoked_sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `revoked_sessions_expires` ON `revoked_sessions` (`expires_at`);
--> statement-breakpoint
-- Masked header values showed the first four characters of long values: mask them whole.
UPDATE `webhooks` SET `headers_masked` = (SELECT json_group_object(`key`, '****') FROM json_each(`webhooks`.`headers_masked`));
