-- Scheduled jobs run once across every server and worker (issue 16; store::jobs): one row per
-- job with its next due time and the lease of the worker running it, one row per finished
-- run (one per due time: a run that lost its lease cannot finish the same occurrence twice).
-- SQLite dialect (times as China-time text); the PostgreSQL twin is
-- crates/store-pg/migrations/0018_jobs.sql. Never edit once committed: add a file.
CREATE TABLE jobs (
    name          TEXT PRIMARY KEY,
    every_seconds INTEGER NOT NULL CHECK (every_seconds > 0),
    due_at        TEXT NOT NULL,
    lease_owner   TEXT,
    lease_until   TEXT,
    attempts      INTEGER NOT NULL DEFAULT 0,
    runs          INTEGER NOT NULL DEFAULT 0,
    last_outcome  TEXT
) WITHOUT ROWID;
CREATE INDEX jobs_due ON jobs (due_at);

CREATE TABLE job_runs (
    id          INTEGER PRIMARY KEY,
    job         TEXT NOT NULL REFERENCES jobs (name),
    due_at      TEXT NOT NULL,
    owner       TEXT NOT NULL,
    attempt     INTEGER NOT NULL,
    finished_at TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    UNIQUE (job, due_at)
);
