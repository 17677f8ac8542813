-- Match runs (issue 3): `huiqi policy match` stores each run, its counts per item and the
-- eligible (enterprise, item) pairs with their amounts; and the view `rule_facts` the SQL
-- path of the rules engine reads. PostgreSQL dialect; the SQLite twin is
-- crates/store-sqlite/migrations/0003_match_runs.sql. Never edit once committed: add a file.
--
-- Times are TIMESTAMPTZ; dates DATE; amounts exact decimal TEXT.

CREATE TABLE match_runs (
    id                  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at                  TIMESTAMPTZ NOT NULL,
    actor               TEXT NOT NULL,
    date                DATE NOT NULL,
    library_fingerprint TEXT NOT NULL,
    enterprises         BIGINT NOT NULL,
    items               BIGINT NOT NULL,
    load_ms             BIGINT NOT NULL,
    eval_ms             BIGINT NOT NULL
);

CREATE TABLE match_run_counts (
    run_id       BIGINT NOT NULL REFERENCES match_runs (id),
    item         TEXT NOT NULL,
    eligible     BIGINT NOT NULL,
    ineligible   BIGINT NOT NULL,
    undetermined BIGINT NOT NULL,
    total_amount TEXT NOT NULL,
    PRIMARY KEY (run_id, item)
);

CREATE TABLE match_run_results (
    run_id        BIGINT NOT NULL REFERENCES match_runs (id),
    enterprise_id BIGINT NOT NULL REFERENCES enterprises (id),
    item          TEXT NOT NULL,
    -- NULL for an item without an amount
    amount        TEXT,
    PRIMARY KEY (run_id, enterprise_id, item)
);
CREATE INDEX match_run_results_item ON match_run_results (run_id, item);

-- The facts the rules read, in enterprise_facts' columns: the stored facts plus the registry
-- attributes (Enterprise::scalar_facts). num: bools 0/1, dates as days since 1970-01-01.
CREATE VIEW rule_facts (enterprise_id, fact, year, value, num) AS
    SELECT enterprise_id, fact, year, value, num FROM enterprise_facts
    UNION ALL
    SELECT id, 'uscc', 0, uscc, NULL FROM enterprises
    UNION ALL
    SELECT id, 'name', 0, name, NULL FROM enterprises
    UNION ALL
    SELECT id, 'registered_in_zone', 0, CASE WHEN registered_in_zone THEN 'true' ELSE 'false' END,
           CASE WHEN registered_in_zone THEN 1 ELSE 0 END FROM enterprises
    UNION ALL
    SELECT id, 'tax_registered_in_zone', 0, CASE WHEN tax_registered_in_zone THEN 'true' ELSE 'false' END,
           CASE WHEN tax_registered_in_zone THEN 1 ELSE 0 END FROM enterprises
    UNION ALL
    SELECT id, 'is_individual_business', 0, CASE WHEN left(uscc, 2) = '92' THEN 'true' ELSE 'false' END,
           CASE WHEN left(uscc, 2) = '92' THEN 1 ELSE 0 END FROM enterprises
    UNION ALL
    SELECT id, 'tags', 0, tags, NULL FROM enterprises
    UNION ALL
    SELECT id, 'industry_code', 0, industry_code, NULL FROM enterprises WHERE industry_code IS NOT NULL
    UNION ALL
    SELECT id, 'established_on', 0, to_char(established_on, 'YYYY-MM-DD'),
           (established_on - DATE '1970-01-01')::BIGINT FROM enterprises
           WHERE established_on IS NOT NULL
    UNION ALL
    SELECT id, 'taxpayer_type', 0, taxpayer_type, NULL FROM enterprises WHERE taxpayer_type IS NOT NULL
    UNION ALL
    SELECT id, 'tax_credit_rating', 0, tax_credit_rating, NULL FROM enterprises
           WHERE tax_credit_rating IS NOT NULL;
