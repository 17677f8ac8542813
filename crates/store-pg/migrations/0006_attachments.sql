-- Attachments of problems (issues 4 and 5): the files an enterprise, its departments or a
-- supervisor add to a problem, kept inside the database so that they share its durability
-- and its backups. PostgreSQL dialect; the SQLite twin is
-- crates/store-sqlite/migrations/0006_attachments.sql (same table, columns and meaning).
-- Never edit once committed: add a file.
--
-- event_seq: the problem's event that records the file (the submit event for files raised
-- with the problem, an `attach` event after); the event holds the file's SHA-256, so the
-- audit chain covers the content.

CREATE TABLE attachments (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    problem_id   BIGINT NOT NULL REFERENCES problems (id),
    event_seq    BIGINT NOT NULL,
    file_name    TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         BIGINT NOT NULL,
    sha256       TEXT NOT NULL,
    content      BYTEA NOT NULL,
    uploaded_by  TEXT NOT NULL,
    uploaded_at  TIMESTAMPTZ NOT NULL
);

CREATE INDEX attachments_by_problem ON attachments (problem_id, id);
