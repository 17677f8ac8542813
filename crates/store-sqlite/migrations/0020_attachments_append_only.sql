-- Attachments are append-only like the events that name them (issue 16): triggers refuse
-- every UPDATE and DELETE, so a stored file cannot be changed or removed by mistake;
-- `huiqi audit verify` still re-hashes every file (someone who can drop the trigger can
-- change the bytes). SQLite dialect; the PostgreSQL twin is
-- crates/store-pg/migrations/0020_attachments_append_only.sql. Never edit once committed.
CREATE TRIGGER attachments_no_update BEFORE UPDATE ON attachments
BEGIN
    SELECT RAISE(ABORT, 'attachments is append-only');
END;
CREATE TRIGGER attachments_no_delete BEFORE DELETE ON attachments
BEGIN
    SELECT RAISE(ABORT, 'attachments is append-only');
END;
