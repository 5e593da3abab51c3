-- Propagation (CONTRACT.md v1.2): what each SDK key was last served, written in batches by the
-- evaluation routes' isolates (src/serve/served.ts), never on an evaluation's answer.
ALTER TABLE `sdk_keys` ADD `last_revision` integer;--> statement-breakpoint
ALTER TABLE `sdk_keys` ADD `last_seen_at` integer;
