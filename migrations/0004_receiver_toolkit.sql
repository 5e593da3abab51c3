-- Receivers' toolkit: the Slack and Sentry bodies of each event (rendered at commit, like the other
-- two), a rotated secret's overlap window, and a webhook's ed25519 key pair.
ALTER TABLE `events` ADD `slack_body` text;--> statement-breakpoint
ALTER TABLE `events` ADD `sentry_body` text;--> statement-breakpoint
ALTER TABLE `webhooks` ADD `previous_secret` text;--> statement-breakpoint
ALTER TABLE `webhooks` ADD `previous_secret_expires_at` integer;--> statement-breakpoint
ALTER TABLE `webhooks` ADD `ed25519_private_key` text;--> statement-breakpoint
ALTER TABLE `webhooks` ADD `ed25519_public_key` text;
