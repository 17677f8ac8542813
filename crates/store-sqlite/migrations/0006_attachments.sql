-- Attachments of problems (issues 4 and 5): the files an enterprise, its departments or a
-- supervisor add to a problem, kept inside the database so that they share its durability
-- and its backups. SQLite dialect; the PostgreSQL twin is
-- crates/store-pg/migrations/0006_attachments.sql. Never edit once committed: add a file.
--
-- event_seq: the problem's event that records the file (the submit event for files raised
-- with the problem, an `attach` event after); the event holds the file's SHA-256, so the
-- audit chain covers the content. uploaded_at: TEXT China time, whole seconds.

CREATE TABLE attachments (
    id           INTEGER PRIMARY KEY,
    problem_id   INTEGER NOT NULL REFERENCES problems (id),
    event_seq    INTEGER NOT NULL,
    file_name    TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL,
    sha256       TEXT NOT NULL,
    content      BLOB NOT NULL,
    uploaded_by  TEXT NOT NULL,
    uploaded_at  TEXT NOT NULL
);

CREATE INDEX attachments_by_problem ON attachments (problem_id, id);
