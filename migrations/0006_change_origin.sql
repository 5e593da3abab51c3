-- Where a change came from: a comment, the schedule or change request that made it, and who approved it.
ALTER TABLE `events` ADD `origin` text;
