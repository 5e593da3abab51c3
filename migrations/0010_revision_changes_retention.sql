-- What each revision changed is pruned by age with the events (src/deliveries/retention.ts).
CREATE INDEX `revision_changes_created` ON `revision_changes` (`created_at`);
