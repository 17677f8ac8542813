-- Attachments are append-only like the events that name them (issue 16): a trigger refuses
-- every UPDATE and DELETE, so a stored file cannot be changed or removed through the
-- application's database role by mistake; `huiqi audit verify` still re-hashes every file
-- (someone who can drop the trigger can change the bytes). PostgreSQL dialect; the SQLite
-- twin is crates/store-sqlite/migrations/0020_attachments_append_only.sql.
-- Never edit once committed: add a file.
CREATE FUNCTION attachments_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'attachments is append-only';
END;
$$;
CREATE TRIGGER attachments_append_only BEFORE UPDATE OR DELETE ON attachments
    FOR EACH ROW EXECUTE FUNCTION attachments_append_only();
