-- The baseline's rows: a flag state, the change's event, and its pending deliveries.
CREATE TABLE states (flag TEXT PRIMARY KEY, enabled INTEGER NOT NULL, version INTEGER NOT NULL);
CREATE TABLE events (id TEXT PRIMARY KEY, flag TEXT NOT NULL, body TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE deliveries (id TEXT PRIMARY KEY, event_id TEXT NOT NULL, url TEXT NOT NULL, status TEXT NOT NULL, created_at INTEGER NOT NULL);
-- Only for the variant with CLAIM_AND_LOG = "true": each attempt claimed first and logged after.
CREATE TABLE attempts (delivery_id TEXT NOT NULL, number INTEGER NOT NULL, status INTEGER, started_at INTEGER NOT NULL, PRIMARY KEY (delivery_id, number));
