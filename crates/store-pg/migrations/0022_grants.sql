-- 免申即享 grants (issue 12; store::grants): grant runs, their grants with the frozen basis
-- and its hash, the needs-data list, objections, approvals, payment files with their lines,
-- payment results, and the grant audit chain. The database itself refuses:
--   * a second grant for one (enterprise, item, period): UNIQUE, whatever runs concurrently;
--   * an approval by the run's preparer (CHECK on the preparer copied into the row, and a
--     trigger checking the copy against the run) and one person approving twice (PRIMARY KEY);
--   * a payment file issued by the preparer or by an approver of the run (trigger);
--   * a grant in two live payment-file lines (partial UNIQUE index over active lines: a
--     line stops being active when its file is voided or its payment failed).
-- PostgreSQL dialect; the SQLite twin is crates/store-sqlite/migrations/0022_grants.sql.
-- Money is whole fen (64-bit integers: sums in SQL are exact).
-- Never edit once committed: add a file.
CREATE TABLE grant_runs (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    item            TEXT NOT NULL,
    period          TEXT NOT NULL,
    match_run       BIGINT NOT NULL,
    preparer        TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    document_version BIGINT NOT NULL,
    publicity_from  DATE,
    publicity_until DATE,
    budget_fen      BIGINT,
    allocation_rule TEXT,
    budget_by       TEXT,
    budget_at       TIMESTAMPTZ,
    round           BIGINT NOT NULL DEFAULT 1,
    UNIQUE (item, period)
);

CREATE TABLE grants (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id        BIGINT NOT NULL REFERENCES grant_runs (id),
    enterprise_id BIGINT NOT NULL,
    uscc          TEXT NOT NULL,
    name          TEXT NOT NULL,
    item          TEXT NOT NULL,
    period        TEXT NOT NULL,
    amount_fen    BIGINT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('pending', 'publicity', 'objected', 'approved', 'paid', 'rejected')),
    basis         TEXT NOT NULL,
    basis_hash    TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    paid_date     DATE,
    voucher       TEXT,
    UNIQUE (enterprise_id, item, period)
);
CREATE INDEX grants_run ON grants (run_id, id);

CREATE TABLE grant_needs_data (
    run_id        BIGINT NOT NULL REFERENCES grant_runs (id),
    enterprise_id BIGINT NOT NULL,
    uscc          TEXT NOT NULL,
    name          TEXT NOT NULL,
    outcome       TEXT NOT NULL,
    missing       TEXT NOT NULL,
    departments   TEXT NOT NULL,
    PRIMARY KEY (run_id, enterprise_id)
);

CREATE TABLE grant_objections (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    grant_id        BIGINT NOT NULL REFERENCES grants (id),
    by_user         TEXT NOT NULL,
    by_role         TEXT NOT NULL,
    reason          TEXT NOT NULL,
    at              TIMESTAMPTZ NOT NULL,
    handled_by      TEXT,
    outcome         TEXT CHECK (outcome IN ('upheld', 'rejected')),
    handling_reason TEXT,
    handled_at      TIMESTAMPTZ,
    new_amount_fen  BIGINT
);
CREATE INDEX grant_objections_grant ON grant_objections (grant_id);

CREATE TABLE grant_approvals (
    run_id   BIGINT NOT NULL REFERENCES grant_runs (id),
    round    BIGINT NOT NULL,
    approver TEXT NOT NULL,
    preparer TEXT NOT NULL,
    at       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (run_id, round, approver),
    CHECK (approver <> preparer)
);
CREATE FUNCTION grant_approvals_preparer() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        RAISE EXCEPTION 'grant_approvals is append-only';
    END IF;
    IF NEW.approver = (SELECT preparer FROM grant_runs WHERE id = NEW.run_id)
       OR NEW.preparer IS DISTINCT FROM (SELECT preparer FROM grant_runs WHERE id = NEW.run_id) THEN
        RAISE EXCEPTION 'huiqi:approver_is_preparer';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER grant_approvals_preparer BEFORE INSERT OR UPDATE ON grant_approvals
    FOR EACH ROW EXECUTE FUNCTION grant_approvals_preparer();

CREATE TABLE grant_payment_files (
    id          TEXT PRIMARY KEY,
    run_id      BIGINT NOT NULL REFERENCES grant_runs (id),
    kind        TEXT NOT NULL CHECK (kind IN ('payment', 'follow_up')),
    format      TEXT NOT NULL,
    issuer      TEXT NOT NULL,
    at          TIMESTAMPTZ NOT NULL,
    lines       BIGINT NOT NULL,
    control_sum_fen BIGINT NOT NULL,
    voided      BOOLEAN NOT NULL DEFAULT FALSE,
    voided_by   TEXT,
    voided_at   TIMESTAMPTZ,
    void_reason TEXT
);
CREATE FUNCTION grant_payment_files_issuer() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.issuer = (SELECT preparer FROM grant_runs WHERE id = NEW.run_id)
       OR EXISTS (SELECT 1 FROM grant_approvals WHERE run_id = NEW.run_id AND approver = NEW.issuer) THEN
        RAISE EXCEPTION 'huiqi:issuer_not_independent';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER grant_payment_files_issuer BEFORE INSERT ON grant_payment_files
    FOR EACH ROW EXECUTE FUNCTION grant_payment_files_issuer();

CREATE TABLE grant_payment_lines (
    file_id  TEXT NOT NULL REFERENCES grant_payment_files (id),
    grant_id BIGINT NOT NULL REFERENCES grants (id),
    amount_fen BIGINT NOT NULL,
    active   BOOLEAN NOT NULL DEFAULT TRUE,
    PRIMARY KEY (file_id, grant_id)
);
CREATE UNIQUE INDEX grant_payment_lines_live ON grant_payment_lines (grant_id) WHERE active;
CREATE INDEX grant_payment_lines_grant ON grant_payment_lines (grant_id);

CREATE TABLE grant_result_batches (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at        TIMESTAMPTZ NOT NULL,
    actor     TEXT NOT NULL,
    file_name TEXT NOT NULL,
    rows      BIGINT NOT NULL
);

CREATE TABLE grant_payment_results (
    id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    batch_id BIGINT NOT NULL REFERENCES grant_result_batches (id),
    grant_id BIGINT NOT NULL,
    run_id   BIGINT,
    date     DATE NOT NULL,
    voucher  TEXT NOT NULL,
    amount_fen BIGINT NOT NULL,
    ok       BOOLEAN NOT NULL,
    reason   TEXT
);
CREATE INDEX grant_payment_results_grant ON grant_payment_results (grant_id);
CREATE INDEX grant_payment_results_run ON grant_payment_results (run_id, batch_id);

CREATE TABLE grant_events (
    seq       BIGINT PRIMARY KEY,
    at        TIMESTAMPTZ NOT NULL,
    actor     TEXT NOT NULL,
    run_id    BIGINT,
    grant_id  BIGINT,
    action    TEXT NOT NULL,
    detail    TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);
CREATE INDEX grant_events_run ON grant_events (run_id, seq);
CREATE TABLE grant_chain_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO grant_chain_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
