-- Issue 15 (Events): "enterprises matching the audience get them in their inbox". An inbox
-- message of kind `event` tells an enterprise of an event published for it; it belongs to no
-- match run, so `run_id` becomes nullable and the kind CHECK admits `event` (a message has a
-- run exactly when it is not an event's). One event message per enterprise and event (item
-- `event-<id>`): a partial unique index over the messages without a run.
-- PostgreSQL dialect; the SQLite twin is crates/store-sqlite/migrations/0039_event_inbox.sql.
-- Never edit once committed: add a file.
ALTER TABLE inbox_messages ALTER COLUMN run_id DROP NOT NULL;
ALTER TABLE inbox_messages DROP CONSTRAINT inbox_messages_kind_check;
ALTER TABLE inbox_messages ADD CONSTRAINT inbox_messages_kind_check
    CHECK (kind IN ('newly_eligible', 'almost_eligible', 'event'));
ALTER TABLE inbox_messages ADD CONSTRAINT inbox_messages_event_has_no_run
    CHECK ((kind = 'event') = (run_id IS NULL));
CREATE UNIQUE INDEX inbox_messages_event ON inbox_messages (enterprise_id, item) WHERE run_id IS NULL;
