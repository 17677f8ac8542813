-- Versioned documents (issue 3: policies "loaded into the database; a policy officer can also
-- edit them there"; issues 4/5: time limits are editable data). Every version of every
-- document is kept; a deletion is a tombstone row. SQLite dialect; the PostgreSQL twin is
-- crates/store-pg/migrations/0007_documents.sql. Never edit once committed: add a file.
--
-- kind: 'policy' (a file of policies/) or 'time_limits'; created_at TEXT (China time, as
-- elsewhere); deleted 0/1.

CREATE TABLE documents (
    kind       TEXT NOT NULL CHECK (kind IN ('policy', 'time_limits')),
    name       TEXT NOT NULL,
    version    INTEGER NOT NULL CHECK (version >= 1),
    body       TEXT NOT NULL,
    checksum   TEXT NOT NULL,
    actor      TEXT NOT NULL,
    created_at TEXT NOT NULL,
    deleted    INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
    PRIMARY KEY (kind, name, version)
) WITHOUT ROWID;
