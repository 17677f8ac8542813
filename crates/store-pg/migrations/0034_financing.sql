-- Financing (issue 15: 三.5 融资服务, 三.8 政银企对接): the financial institution's user
-- (金融机构, role `financial_institution`), institutions' products, enterprises' demands, their
-- matches with products and the institutions' responses.
--   * the users' role CHECK admits `financial_institution`;
--   * a `financial_institution` user is bound to its institution (by name, as products name
--     it) in financial_institution_users;
--   * money is exact decimal text in yuan, rates decimal text in percent (the same text as
--     SQLite); lists of enum names are comma-separated (`loan,bridge_loan`);
--   * a demand's `version` rises with every write (optimistic locking); responses are
--     append-only; every change is audited in reference_changes.
-- PostgreSQL dialect; the SQLite twin is crates/store-sqlite/migrations/0034_financing.sql.
-- Never edit once committed: add a file.
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role IN ('enterprise', 'cadre', 'department', 'leader', 'supervisor', 'policy', 'finance', 'admin',
                    'financial_institution'));

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
    term_min_months     BIGINT NOT NULL,
    term_max_months     BIGINT NOT NULL,
    rate_min            TEXT NOT NULL,
    rate_max            TEXT NOT NULL,
    requires_collateral TEXT NOT NULL,
    eligibility         TEXT NOT NULL,
    description         TEXT NOT NULL,
    active              BOOLEAN NOT NULL,
    version             BIGINT NOT NULL,
    updated_by          TEXT NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL
);
CREATE INDEX financial_products_institution ON financial_products (institution);

CREATE TABLE financing_demands (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    enterprise_id   BIGINT NOT NULL REFERENCES enterprises (id),
    kind            TEXT NOT NULL CHECK (kind IN ('loan', 'risk_compensation', 'bridge_loan', 'equity')),
    amount          TEXT NOT NULL,
    term_months     BIGINT NOT NULL CHECK (term_months > 0),
    purpose         TEXT NOT NULL,
    collateral      TEXT NOT NULL,
    urgency         TEXT NOT NULL CHECK (urgency IN ('normal', 'urgent', 'critical')),
    channel         TEXT NOT NULL CHECK (channel IN ('online', 'hotline', 'visit')),
    deadline        DATE NOT NULL,
    step            TEXT CHECK (step IN ('application', 'review', 'approved', 'refused', 'disbursed', 'repaid')),
    state           TEXT NOT NULL CHECK (state IN ('open', 'matched', 'accepted', 'granted', 'closed')),
    granted_amount  TEXT,
    granted_on      DATE,
    granted_product TEXT,
    close_reason    TEXT NOT NULL DEFAULT '',
    outcome_at      TIMESTAMPTZ,
    version         BIGINT NOT NULL,
    created_by      TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX financing_demands_enterprise ON financing_demands (enterprise_id);
CREATE INDEX financing_demands_created ON financing_demands (created_at);

CREATE TABLE financing_matches (
    demand_id   BIGINT NOT NULL REFERENCES financing_demands (id),
    product_id  TEXT NOT NULL REFERENCES financial_products (id),
    matched     BOOLEAN NOT NULL,
    missing     TEXT NOT NULL,
    explanation TEXT NOT NULL,
    matched_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (demand_id, product_id)
);
CREATE INDEX financing_matches_product ON financing_matches (product_id);

CREATE TABLE financing_responses (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    demand_id    BIGINT NOT NULL REFERENCES financing_demands (id),
    kind         TEXT NOT NULL CHECK (kind IN ('accepted', 'declined', 'granted', 'step', 'closed')),
    institution  TEXT NOT NULL,
    product_id   TEXT,
    reason       TEXT NOT NULL,
    amount       TEXT,
    on_date      DATE,
    step         TEXT,
    responded_by TEXT NOT NULL,
    responded_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX financing_responses_demand ON financing_responses (demand_id);
CREATE FUNCTION financing_responses_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'financing_responses is append-only';
END;
$$;
CREATE TRIGGER financing_responses_no_change BEFORE UPDATE OR DELETE ON financing_responses
    FOR EACH ROW EXECUTE FUNCTION financing_responses_append_only();
