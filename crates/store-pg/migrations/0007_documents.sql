-- Versioned documents (issue 3: policies "loaded into the database; a policy officer can also
-- edit them there"; issues 4/5: time limits are editable data). Every version of every
-- document is kept; a deletion is a tombstone row. PostgreSQL dialect; the SQLite twin is
-- crates/store-sqlite/migrations/0007_documents.sql. Never edit once committed: add a file.
--
-- kind: 'policy' (a file of policies/) or 'time_limits'. The primary key also serialises two
-- concurrent saves of the same version: the second insert fails and is reported as a conflict.

CREATE TABLE documents (
    kind       TEXT NOT NULL CHECK (kind IN ('policy', 'time_limits')),
    name       TEXT NOT NULL,
    version    BIGINT NOT NULL CHECK (version >= 1),
    body       TEXT NOT NULL,
    checksum   TEXT NOT NULL,
    actor      TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    deleted    BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (kind, name, version)
);
