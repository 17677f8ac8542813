-- 一企一对策 plans (三.7) and credit repair cases (三.16), issue 15.
-- PostgreSQL dialect; the SQLite twin is crates/store-sqlite/migrations/0035_plans_credit_repair.sql.
-- Never edit once committed: add a file.
--
-- Dates are DATE, times TIMESTAMPTZ. Every change
-- is audited in reference_changes (entity 'plan' or 'credit_repair', key the id). `version`
-- rises with every write of a plan (its measures and reviews) or a case: a write names the
-- version it read (optimistic locking). Rows of measures, reviews and steps are never deleted.

CREATE TABLE plans (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    enterprise_id BIGINT NOT NULL REFERENCES enterprises (id),
    programme     TEXT NOT NULL CHECK (programme IN ('doubling', 'leading', 'high_growth')),
    diagnosed_on  DATE NOT NULL,
    experts       TEXT NOT NULL CHECK (length(experts) > 0),
    findings      TEXT NOT NULL CHECK (length(findings) > 0),
    started_on    DATE NOT NULL,
    closed_on     DATE,
    version       BIGINT NOT NULL DEFAULT 1,
    created_by    TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX plans_enterprise ON plans (enterprise_id);

CREATE TABLE plan_measures (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    plan_id          BIGINT NOT NULL REFERENCES plans (id),
    seq              BIGINT NOT NULL,
    title            TEXT NOT NULL CHECK (length(title) > 0),
    owner_department TEXT NOT NULL,
    deadline         DATE NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('planned', 'in_progress', 'done', 'dropped')),
    notes            TEXT NOT NULL,
    done_on          DATE,
    updated_by       TEXT NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    UNIQUE (plan_id, seq)
);
CREATE INDEX plan_measures_department ON plan_measures (owner_department);

CREATE TABLE plan_reviews (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    plan_id     BIGINT NOT NULL REFERENCES plans (id),
    reviewed_on DATE NOT NULL,
    conclusion  TEXT NOT NULL CHECK (length(conclusion) > 0),
    reviewed_by TEXT NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX plan_reviews_plan ON plan_reviews (plan_id);

CREATE TABLE credit_repair_cases (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    enterprise_id   BIGINT NOT NULL REFERENCES enterprises (id),
    source          TEXT NOT NULL CHECK (length(source) > 0),
    record_date     DATE NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('administrative_penalty', 'abnormal_operation',
                        'serious_dishonesty', 'other')),
    conditions      TEXT NOT NULL,
    recorded_on     DATE NOT NULL,
    training_due    DATE NOT NULL,
    commitment_due  DATE NOT NULL,
    application_due DATE NOT NULL,
    step            TEXT NOT NULL CHECK (step IN ('recorded', 'training_attended', 'commitment_signed',
                        'application_submitted', 'repaired', 'refused')),
    version         BIGINT NOT NULL DEFAULT 1,
    created_by      TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX credit_repair_cases_enterprise ON credit_repair_cases (enterprise_id);

CREATE TABLE credit_repair_steps (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id     BIGINT NOT NULL REFERENCES credit_repair_cases (id),
    step        TEXT NOT NULL,
    done_on     DATE NOT NULL,
    reason      TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    UNIQUE (case_id, step)
);
