-- Utility arrears records (水电气欠费, 三.9; issue 15): one per (provider, the provider's record
-- number), imported from the providers' files; later files add the paid date and the late fee.
-- PostgreSQL dialect; the SQLite twin is crates/store-sqlite/migrations/0036_utility_arrears.sql.
-- Never edit once committed: add a file.
--
-- Dates are DATE, times TIMESTAMPTZ, amounts exact decimal text in yuan (as financing's).
-- `problem_id` is the problem a late fee charged against the waiver became (set once). Every
-- change is audited in reference_changes (entity 'utility_arrears', key the id). `version`
-- rises with every write: a write names the version it read (optimistic locking).

CREATE TABLE utility_arrears (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    provider      TEXT NOT NULL CHECK (char_length(provider) BETWEEN 1 AND 100),
    record_no     TEXT NOT NULL CHECK (char_length(record_no) BETWEEN 1 AND 64),
    enterprise_id BIGINT NOT NULL REFERENCES enterprises (id),
    kind          TEXT NOT NULL CHECK (kind IN ('water', 'electricity', 'gas')),
    amount        TEXT NOT NULL,
    arrears_on    DATE NOT NULL,
    paid_on       DATE,
    late_fee      TEXT,
    late_fee_on   DATE,
    problem_id    BIGINT REFERENCES problems (id),
    version       BIGINT NOT NULL DEFAULT 1,
    created_by    TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_by    TEXT NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    UNIQUE (provider, record_no)
);
CREATE INDEX utility_arrears_enterprise ON utility_arrears (enterprise_id);
