-- The grant audit chain is append-only like the problem events (issue 12): a trigger refuses
-- every UPDATE and DELETE of grant_events, so an event cannot be changed or removed through
-- the application's database role by mistake; `huiqi audit verify` and `huiqi grant verify`
-- still re-hash the chain (someone who can drop the trigger can change a row). PostgreSQL
-- dialect; the SQLite twin is crates/store-sqlite/migrations/0030_grant_events_append_only.sql.
-- Never edit once committed: add a file.
CREATE FUNCTION grant_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'grant_events is append-only';
END;
$$;
CREATE TRIGGER grant_events_append_only BEFORE UPDATE OR DELETE ON grant_events
    FOR EACH ROW EXECUTE FUNCTION grant_events_append_only();
