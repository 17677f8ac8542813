-- Change signals (issue 16; store::signals): a write to a table that servers cache notifies
-- the channel huiqi_changes with the table's name, delivered on commit to every listening
-- server, so they reload at once instead of on their timers. Only documents (policies, time
-- limits, zone settings) for now: the calendars are re-validated on every use already. Whoever writes (a server, the
-- command line, psql) notifies. PostgreSQL dialect; SQLite has no channel (its twin
-- crates/store-sqlite/migrations/0019_change_signals.sql changes nothing).
-- Never edit once committed: add a file.
CREATE FUNCTION huiqi_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('huiqi_changes', TG_TABLE_NAME);
    RETURN NULL;
END;
$$;
CREATE TRIGGER documents_notify AFTER INSERT OR UPDATE OR DELETE ON documents
    FOR EACH STATEMENT EXECUTE FUNCTION huiqi_notify_change();
