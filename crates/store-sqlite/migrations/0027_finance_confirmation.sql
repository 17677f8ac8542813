-- Issue 12, the steps users still lacked (grant pages):
--   * the finance officer (财务经办, role `finance`): the users' role CHECK admits it. SQLite
--     cannot alter a CHECK, so `users` is rebuilt (same columns, same ids); the sessions,
--     three links and sign-in failures referencing it keep their rows (the foreign keys are
--     deferred to the commit, and the sign-in failures a cascading DROP would remove are
--     put back);
--   * willingness confirmation (意愿确认): a run records whether its item needs it
--     (`confirmation_required`, from the zone setting `grants.confirmation_items` when the
--     run is created); each grant's confirmation, at most one, with the bank account the
--     enterprise confirms (payee account; shown masked), who and when. A grant of such a run
--     goes into no payment file before it is confirmed (store::grants FILE_CANDIDATES).
-- SQLite dialect; the PostgreSQL twin is crates/store-pg/migrations/0027_finance_confirmation.sql.
-- Never edit once committed: add a file.
PRAGMA defer_foreign_keys = ON;
CREATE TEMP TABLE sign_in_failures_keep AS SELECT * FROM sign_in_failures;
CREATE TABLE users_new (
    id              INTEGER PRIMARY KEY,
    username        TEXT NOT NULL UNIQUE,
    role            TEXT NOT NULL
        CHECK (role IN ('enterprise', 'cadre', 'department', 'leader', 'supervisor', 'policy', 'finance', 'admin')),
    password_hash   TEXT NOT NULL,
    enterprise_id   INTEGER REFERENCES enterprises (id),
    department_code TEXT REFERENCES departments (code),
    display_name    TEXT NOT NULL,
    active          INTEGER NOT NULL CHECK (active IN (0, 1)),
    created_at      TEXT NOT NULL,
    failed_logins   INTEGER NOT NULL DEFAULT 0,
    locked_until    TEXT
);
INSERT INTO users_new (id, username, role, password_hash, enterprise_id, department_code, display_name, active,
    created_at, failed_logins, locked_until)
SELECT id, username, role, password_hash, enterprise_id, department_code, display_name, active, created_at,
    failed_logins, locked_until FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;
DELETE FROM sign_in_failures;
INSERT INTO sign_in_failures SELECT * FROM sign_in_failures_keep;
DROP TABLE sign_in_failures_keep;

ALTER TABLE grant_runs ADD COLUMN confirmation_required INTEGER NOT NULL DEFAULT 0;

CREATE TABLE grant_confirmations (
    grant_id     INTEGER PRIMARY KEY REFERENCES grants (id),
    bank         TEXT NOT NULL,
    account      TEXT NOT NULL,
    confirmed_by TEXT NOT NULL,
    confirmed_at TEXT NOT NULL
);
CREATE TRIGGER grant_confirmations_no_update BEFORE UPDATE ON grant_confirmations
BEGIN
    SELECT RAISE(ABORT, 'grant_confirmations is append-only');
END;
