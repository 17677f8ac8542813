-- The grant audit chain is append-only like the problem events (issue 12): triggers refuse
-- every UPDATE and DELETE of grant_events, so an event cannot be changed or removed by
-- mistake; `huiqi audit verify` and `huiqi grant verify` still re-hash the chain (someone who
-- can drop the trigger can change a row). SQLite dialect; the PostgreSQL twin is
-- crates/store-pg/migrations/0030_grant_events_append_only.sql. Never edit once committed.
CREATE TRIGGER grant_events_no_update BEFORE UPDATE ON grant_events
BEGIN
    SELECT RAISE(ABORT, 'grant_events is append-only');
END;
CREATE TRIGGER grant_events_no_delete BEFORE DELETE ON grant_events
BEGIN
    SELECT RAISE(ABORT, 'grant_events is append-only');
END;
