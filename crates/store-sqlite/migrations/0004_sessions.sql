-- Signed-in sessions and API tokens (issue 5, Security), so that they survive a restart and
-- every server process over this database honours a sign-out. SQLite dialect; the
-- PostgreSQL twin is crates/store-pg/migrations/0004_sessions.sql. Never edit once
-- committed: add a file.
--
-- token_hash: lower-case hex SHA-256 of the token; the token itself is never stored.
-- Times are TEXT in China time, as elsewhere. expires_at: when the session ends unless used
-- again (cookie sessions slide up to their absolute limit; the web layer decides both).
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    username   TEXT NOT NULL REFERENCES users (username),
    csrf       TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('cookie', 'bearer')),
    created_at TEXT NOT NULL,
    last_seen  TEXT NOT NULL,
    expires_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_username ON sessions (username);
CREATE INDEX sessions_expires ON sessions (expires_at);
