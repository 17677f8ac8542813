-- Request state every server over this database shares (issue 16): the sign-in page's
-- anonymous sessions (a CSRF token for a visitor not yet signed in) and the files an import's
-- dry run keeps for its apply and its reports. Both keyed by the hex SHA-256 of a token only
-- the client holds; both expire and are purged by the scheduled job purge_request_state.
-- SQLite dialect (times as China-time text); the PostgreSQL twin is
-- crates/store-pg/migrations/0017_request_state.sql. Never edit once committed: add a file.
CREATE TABLE anonymous_sessions (
    token_hash TEXT PRIMARY KEY CHECK (length(token_hash) = 64),
    csrf       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX anonymous_sessions_expires ON anonymous_sessions (expires_at);

CREATE TABLE kept_files (
    token_hash TEXT NOT NULL CHECK (length(token_hash) = 64),
    name       TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
    content    BLOB NOT NULL,
    owner      TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    PRIMARY KEY (token_hash, name)
);
CREATE INDEX kept_files_expires ON kept_files (expires_at);
