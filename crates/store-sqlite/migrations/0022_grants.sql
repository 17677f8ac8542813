-- 免申即享 grants (issue 12; store::grants): grant runs, their grants with the frozen basis
-- and its hash, the needs-data list, objections, approvals, payment files with their lines,
-- payment results, and the grant audit chain. The database itself refuses:
--   * a second grant for one (enterprise, item, period): UNIQUE, whatever runs concurrently;
--   * an approval by the run's preparer (CHECK on the preparer copied into the row, and a
--     trigger checking the copy against the run) and one person approving twice (PRIMARY KEY);
--   * a payment file issued by the preparer or by an approver of the run (trigger);
--   * a grant in two live payment-file lines (partial UNIQUE index over active lines: a
--     line stops being active when its file is voided or its payment failed).
-- SQLite dialect; the PostgreSQL twin is crates/store-pg/migrations/0022_grants.sql.
-- Money is whole fen (64-bit integers: sums in SQL are exact).
-- Never edit once committed: add a file.
CREATE TABLE grant_runs (
    id              INTEGER PRIMARY KEY,
    item            TEXT NOT NULL,
    period          TEXT NOT NULL,
    match_run       INTEGER NOT NULL,
    preparer        TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    document_version INTEGER NOT NULL,
    publicity_from  TEXT,
    publicity_until TEXT,
    budget_fen      INTEGER,
    allocation_rule TEXT,
    budget_by       TEXT,
    budget_at       TEXT,
    round           INTEGER NOT NULL DEFAULT 1,
    UNIQUE (item, period)
);

CREATE TABLE grants (
    id            INTEGER PRIMARY KEY,
    run_id        INTEGER NOT NULL REFERENCES grant_runs (id),
    enterprise_id INTEGER NOT NULL,
    uscc          TEXT NOT NULL,
    name          TEXT NOT NULL,
    item          TEXT NOT NULL,
    period        TEXT NOT NULL,
    amount_fen    INTEGER NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('pending', 'publicity', 'objected', 'approved', 'paid', 'rejected')),
    basis         TEXT NOT NULL,
    basis_hash    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    paid_date     TEXT,
    voucher       TEXT,
    UNIQUE (enterprise_id, item, period)
);
CREATE INDEX grants_run ON grants (run_id, id);

CREATE TABLE grant_needs_data (
    run_id        INTEGER NOT NULL REFERENCES grant_runs (id),
    enterprise_id INTEGER NOT NULL,
    uscc          TEXT NOT NULL,
    name          TEXT NOT NULL,
    outcome       TEXT NOT NULL,
    missing       TEXT NOT NULL,
    departments   TEXT NOT NULL,
    PRIMARY KEY (run_id, enterprise_id)
);

CREATE TABLE grant_objections (
    id              INTEGER PRIMARY KEY,
    grant_id        INTEGER NOT NULL REFERENCES grants (id),
    by_user         TEXT NOT NULL,
    by_role         TEXT NOT NULL,
    reason          TEXT NOT NULL,
    at              TEXT NOT NULL,
    handled_by      TEXT,
    outcome         TEXT CHECK (outcome IN ('upheld', 'rejected')),
    handling_reason TEXT,
    handled_at      TEXT,
    new_amount_fen  INTEGER
);
CREATE INDEX grant_objections_grant ON grant_objections (grant_id);

CREATE TABLE grant_approvals (
    run_id   INTEGER NOT NULL REFERENCES grant_runs (id),
    round    INTEGER NOT NULL,
    approver TEXT NOT NULL,
    preparer TEXT NOT NULL,
    at       TEXT NOT NULL,
    PRIMARY KEY (run_id, round, approver),
    CHECK (approver <> preparer)
);
CREATE TRIGGER grant_approvals_preparer BEFORE INSERT ON grant_approvals
BEGIN
    SELECT RAISE(ABORT, 'huiqi:approver_is_preparer')
    WHERE NEW.approver = (SELECT preparer FROM grant_runs WHERE id = NEW.run_id)
       OR NEW.preparer IS NOT (SELECT preparer FROM grant_runs WHERE id = NEW.run_id);
END;
CREATE TRIGGER grant_approvals_no_update BEFORE UPDATE ON grant_approvals
BEGIN
    SELECT RAISE(ABORT, 'grant_approvals is append-only');
END;

CREATE TABLE grant_payment_files (
    id          TEXT PRIMARY KEY,
    run_id      INTEGER NOT NULL REFERENCES grant_runs (id),
    kind        TEXT NOT NULL CHECK (kind IN ('payment', 'follow_up')),
    format      TEXT NOT NULL,
    issuer      TEXT NOT NULL,
    at          TEXT NOT NULL,
    lines       INTEGER NOT NULL,
    control_sum_fen INTEGER NOT NULL,
    voided      INTEGER NOT NULL DEFAULT 0,
    voided_by   TEXT,
    voided_at   TEXT,
    void_reason TEXT
);
CREATE TRIGGER grant_payment_files_issuer BEFORE INSERT ON grant_payment_files
BEGIN
    SELECT RAISE(ABORT, 'huiqi:issuer_not_independent')
    WHERE NEW.issuer = (SELECT preparer FROM grant_runs WHERE id = NEW.run_id)
       OR EXISTS (SELECT 1 FROM grant_approvals WHERE run_id = NEW.run_id AND approver = NEW.issuer);
END;

CREATE TABLE grant_payment_lines (
    file_id  TEXT NOT NULL REFERENCES grant_payment_files (id),
    grant_id INTEGER NOT NULL REFERENCES grants (id),
    amount_fen INTEGER NOT NULL,
    active   INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (file_id, grant_id)
);
CREATE UNIQUE INDEX grant_payment_lines_live ON grant_payment_lines (grant_id) WHERE active;
CREATE INDEX grant_payment_lines_grant ON grant_payment_lines (grant_id);

CREATE TABLE grant_result_batches (
    id        INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    file_name TEXT NOT NULL,
    rows      INTEGER NOT NULL
);

CREATE TABLE grant_payment_results (
    id       INTEGER PRIMARY KEY,
    batch_id INTEGER NOT NULL REFERENCES grant_result_batches (id),
    grant_id INTEGER NOT NULL,
    run_id   INTEGER,
    date     TEXT NOT NULL,
    voucher  TEXT NOT NULL,
    amount_fen INTEGER NOT NULL,
    ok       INTEGER NOT NULL,
    reason   TEXT
);
CREATE INDEX grant_payment_results_grant ON grant_payment_results (grant_id);
CREATE INDEX grant_payment_results_run ON grant_payment_results (run_id, batch_id);

CREATE TABLE grant_events (
    seq       INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    run_id    INTEGER,
    grant_id  INTEGER,
    action    TEXT NOT NULL,
    detail    TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);
CREATE INDEX grant_events_run ON grant_events (run_id, seq);
CREATE TABLE grant_chain_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO grant_chain_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
