-- Zone settings (issue 10: the supervision thresholds become zone settings with a stated
-- source): the documents table admits a third kind, 'zone_settings' (one document,
-- zone_settings.toml). SQLite cannot change a CHECK constraint in place, so the table is
-- rebuilt with every row kept. SQLite dialect; the PostgreSQL twin is
-- crates/store-pg/migrations/0012_zone_settings.sql. Never edit once committed: add a file.

CREATE TABLE documents_new (
    kind       TEXT NOT NULL CHECK (kind IN ('policy', 'time_limits', 'zone_settings')),
    name       TEXT NOT NULL,
    version    INTEGER NOT NULL CHECK (version >= 1),
    body       TEXT NOT NULL,
    checksum   TEXT NOT NULL,
    actor      TEXT NOT NULL,
    created_at TEXT NOT NULL,
    deleted    INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
    PRIMARY KEY (kind, name, version)
) WITHOUT ROWID;

INSERT INTO documents_new (kind, name, version, body, checksum, actor, created_at, deleted)
    SELECT kind, name, version, body, checksum, actor, created_at, deleted FROM documents;

DROP TABLE documents;

ALTER TABLE documents_new RENAME TO documents;
