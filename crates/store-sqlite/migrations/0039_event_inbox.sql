-- Issue 15 (Events): "enterprises matching the audience get them in their inbox". An inbox
-- message of kind `event` tells an enterprise of an event published for it; it belongs to no
-- match run, so `run_id` becomes nullable and the kind CHECK admits `event`. SQLite cannot
-- alter a column or a CHECK, so `inbox_messages` is rebuilt (same columns, same ids, same
-- indexes); the outbox rows referencing it keep their rows (the foreign keys are deferred to
-- the commit). One event message per enterprise and event (item `event-<id>`): a partial
-- unique index over the messages without a run.
-- SQLite dialect; the PostgreSQL twin is crates/store-pg/migrations/0039_event_inbox.sql.
-- Never edit once committed: add a file.
PRAGMA defer_foreign_keys = ON;
CREATE TABLE inbox_messages_new (
    id            INTEGER PRIMARY KEY,
    enterprise_id INTEGER NOT NULL REFERENCES enterprises (id),
    run_id        INTEGER REFERENCES match_runs (id),
    item          TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('newly_eligible', 'almost_eligible', 'event')),
    title         TEXT NOT NULL,
    body_zh       TEXT NOT NULL,
    body_en       TEXT NOT NULL,
    guide_href    TEXT,
    at            TEXT NOT NULL,
    read_at       TEXT,
    read_by       TEXT,
    UNIQUE (run_id, enterprise_id, item, kind),
    CHECK ((kind = 'event') = (run_id IS NULL))
);
INSERT INTO inbox_messages_new (id, enterprise_id, run_id, item, kind, title, body_zh, body_en, guide_href, at,
    read_at, read_by)
SELECT id, enterprise_id, run_id, item, kind, title, body_zh, body_en, guide_href, at, read_at, read_by
FROM inbox_messages;
DROP TABLE inbox_messages;
ALTER TABLE inbox_messages_new RENAME TO inbox_messages;
CREATE INDEX inbox_messages_of ON inbox_messages (enterprise_id, id);
CREATE INDEX inbox_messages_unread ON inbox_messages (enterprise_id) WHERE read_at IS NULL;
CREATE UNIQUE INDEX inbox_messages_event ON inbox_messages (enterprise_id, item) WHERE run_id IS NULL;
