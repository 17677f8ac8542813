-- Financing (issue 15: 三.5 融资服务, 三.8 政银企对接): the financial institution's user
-- (金融机构, role `financial_institution`), institutions' products, enterprises' demands, their
-- matches with products and the institutions' responses.
--   * the users' role CHECK admits `financial_institution`. SQLite cannot alter a CHECK, so
--     `users` is rebuilt as in 0027 (same columns, same ids, sign-in failures kept);
--   * a `financial_institution` user is bound to its institution (by name, as products name
--     it) in financial_institution_users;
--   * money is exact decimal text in yuan, rates decimal text in percent; lists of enum
--     names are comma-separated (`loan,bridge_loan`);
--   * a demand's `version` rises with every write (optimistic locking); responses are
--     append-only; every change is audited in reference_changes.
-- SQLite dialect; the PostgreSQL twin is crates/store-pg/migrations/0034_financing.sql.
-- Never edit once committed: add a file.
PRAGMA defer_foreign_keys = ON;
CREATE TEMP TABLE sign_in_failures_keep_0034 AS SELECT * FROM sign_in_failures;
CREATE TABLE users_new (
    id              INTEGER PRIMARY KEY,
    username        TEXT NOT NULL UNIQUE,
    role            TEXT NOT NULL
        CHECK (role IN ('enterprise', 'cadre', 'department', 'leader', 'supervisor', 'policy', 'finance', 'admin',
                        'financial_institution')),
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
INSERT INTO sign_in_failures SELECT * FROM sign_in_failures_keep_0034;
DROP TABLE sign_in_failures_keep_0034;

CREATE TABLE financial_institution_users (
    username    TEXT PRIMARY KEY REFERENCES users (username),
    institution TEXT NOT NULL CHECK (length(institution) BETWEEN 1 AND 100)
);

CREATE TABLE financial_products (
    id                  TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 40),
    institution         TEXT NOT NULL CHECK (length(institution) BETWEEN 1 AND 100),
    name                TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    kinds               TEXT NOT NULL,
    amount_min          TEXT NOT NULL,
    amount_max          TEXT NOT NULL,
    term_min_months     INTEGER NOT NULL,
    term_max_months     INTEGER NOT NULL,
    rate_min            TEXT NOT NULL,
    rate_max            TEXT NOT NULL,
    requires_collateral TEXT NOT NULL,
    eligibility         TEXT NOT NULL,
    description         TEXT NOT NULL,
    active              INTEGER NOT NULL CHECK (active IN (0, 1)),
    version             INTEGER NOT NULL,
    updated_by          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
);
CREATE INDEX financial_products_institution ON financial_products (institution);

CREATE TABLE financing_demands (
    id              INTEGER PRIMARY KEY,
    enterprise_id   INTEGER NOT NULL REFERENCES enterprises (id),
    kind            TEXT NOT NULL CHECK (kind IN ('loan', 'risk_compensation', 'bridge_loan', 'equity')),
    amount          TEXT NOT NULL,
    term_months     INTEGER NOT NULL CHECK (term_months > 0),
    purpose         TEXT NOT NULL,
    collateral      TEXT NOT NULL,
    urgency         TEXT NOT NULL CHECK (urgency IN ('normal', 'urgent', 'critical')),
    channel         TEXT NOT NULL CHECK (channel IN ('online', 'hotline', 'visit')),
    deadline        TEXT NOT NULL,
    step            TEXT CHECK (step IN ('application', 'review', 'approved', 'refused', 'disbursed', 'repaid')),
    state           TEXT NOT NULL CHECK (state IN ('open', 'matched', 'accepted', 'granted', 'closed')),
    granted_amount  TEXT,
    granted_on      TEXT,
    granted_product TEXT,
    close_reason    TEXT NOT NULL DEFAULT '',
    outcome_at      TEXT,
    version         INTEGER NOT NULL,
    created_by      TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX financing_demands_enterprise ON financing_demands (enterprise_id);
CREATE INDEX financing_demands_created ON financing_demands (created_at);

CREATE TABLE financing_matches (
    demand_id   INTEGER NOT NULL REFERENCES financing_demands (id),
    product_id  TEXT NOT NULL REFERENCES financial_products (id),
    matched     INTEGER NOT NULL CHECK (matched IN (0, 1)),
    missing     TEXT NOT NULL,
    explanation TEXT NOT NULL,
    matched_at  TEXT NOT NULL,
    PRIMARY KEY (demand_id, product_id)
);
CREATE INDEX financing_matches_product ON financing_matches (product_id);

CREATE TABLE financing_responses (
    id           INTEGER PRIMARY KEY,
    demand_id    INTEGER NOT NULL REFERENCES financing_demands (id),
    kind         TEXT NOT NULL CHECK (kind IN ('accepted', 'declined', 'granted', 'step', 'closed')),
    institution  TEXT NOT NULL,
    product_id   TEXT,
    reason       TEXT NOT NULL,
    amount       TEXT,
    on_date      TEXT,
    step         TEXT,
    responded_by TEXT NOT NULL,
    responded_at TEXT NOT NULL
);
CREATE INDEX financing_responses_demand ON financing_responses (demand_id);
CREATE TRIGGER financing_responses_no_update BEFORE UPDATE ON financing_responses
BEGIN
    SELECT RAISE(ABORT, 'financing_responses is append-only');
END;
CREATE TRIGGER financing_responses_no_delete BEFORE DELETE ON financing_responses
BEGIN
    SELECT RAISE(ABORT, 'financing_responses is append-only');
END;
