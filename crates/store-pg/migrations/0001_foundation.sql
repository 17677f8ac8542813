-- Foundation (issue 2): departments and routing, enterprises with their facts, change
-- records, import batches, three links, users. PostgreSQL dialect; the SQLite twin is
-- crates/store-sqlite/migrations/0001_foundation.sql (same tables, columns and meaning).
-- Never edit once committed: add a file.

CREATE TABLE departments (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    en   TEXT NOT NULL,
    note TEXT
);

CREATE TABLE categories (
    code     TEXT PRIMARY KEY,
    name     TEXT NOT NULL UNIQUE,
    en       TEXT NOT NULL,
    plan     TEXT NOT NULL,
    position BIGINT NOT NULL
);

-- position 0 is the lead department (牵头), the others cooperate (配合).
CREATE TABLE category_departments (
    category   TEXT NOT NULL REFERENCES categories (code),
    department TEXT NOT NULL REFERENCES departments (code),
    position   BIGINT NOT NULL,
    PRIMARY KEY (category, department),
    UNIQUE (category, position)
);
CREATE INDEX category_departments_department ON category_departments (department);

CREATE TABLE reference_changes (
    id     BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at     TIMESTAMPTZ NOT NULL,
    actor  TEXT NOT NULL,
    entity TEXT NOT NULL,
    key    TEXT NOT NULL,
    field  TEXT NOT NULL,
    old    TEXT,
    new    TEXT
);

CREATE TABLE enterprises (
    id                     BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    uscc                   TEXT NOT NULL UNIQUE,
    name                   TEXT NOT NULL,
    registered_in_zone     BOOLEAN NOT NULL,
    tax_registered_in_zone BOOLEAN NOT NULL,
    -- 帮扶对象: derived from both registrations, never an input.
    assistance_target      BOOLEAN GENERATED ALWAYS AS (registered_in_zone AND tax_registered_in_zone) STORED,
    industry_code          TEXT,
    established_on         DATE,
    taxpayer_type          TEXT CHECK (taxpayer_type IN ('small_scale', 'general')),
    tax_credit_rating      TEXT CHECK (tax_credit_rating IN ('A', 'B', 'M', 'C', 'D')),
    -- sorted, ';'-joined
    tags                   TEXT NOT NULL DEFAULT '',
    created_at             TIMESTAMPTZ NOT NULL,
    updated_at             TIMESTAMPTZ NOT NULL
);

-- year = 0 for a scalar fact. value: canonical text; num: exact integer form (money in fen,
-- ratios in millionths, dates in days since 1970-01-01, bools 0/1) or NULL.
CREATE TABLE enterprise_facts (
    enterprise_id BIGINT NOT NULL REFERENCES enterprises (id),
    fact          TEXT NOT NULL,
    year          INTEGER NOT NULL,
    value         TEXT NOT NULL,
    num           BIGINT,
    source        TEXT NOT NULL,
    as_of         DATE NOT NULL,
    PRIMARY KEY (enterprise_id, fact, year)
);

CREATE TABLE import_batches (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at        TIMESTAMPTZ NOT NULL,
    actor     TEXT NOT NULL,
    file_name TEXT NOT NULL,
    format    TEXT NOT NULL,
    rows      BIGINT NOT NULL,
    created   BIGINT NOT NULL,
    updated   BIGINT NOT NULL,
    unchanged BIGINT NOT NULL
);

CREATE TABLE enterprise_changes (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    enterprise_id BIGINT NOT NULL REFERENCES enterprises (id),
    at            TIMESTAMPTZ NOT NULL,
    actor         TEXT NOT NULL,
    field         TEXT NOT NULL,
    old           TEXT,
    new           TEXT,
    batch_id      BIGINT REFERENCES import_batches (id)
);
CREATE INDEX enterprise_changes_enterprise ON enterprise_changes (enterprise_id, id);

CREATE TABLE users (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username        TEXT NOT NULL UNIQUE,
    role            TEXT NOT NULL
        CHECK (role IN ('enterprise', 'cadre', 'department', 'leader', 'supervisor', 'policy', 'admin')),
    password_hash   TEXT NOT NULL,
    enterprise_id   BIGINT REFERENCES enterprises (id),
    department_code TEXT REFERENCES departments (code),
    display_name    TEXT NOT NULL,
    active          BOOLEAN NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    failed_logins   INTEGER NOT NULL DEFAULT 0,
    locked_until    TIMESTAMPTZ
);

CREATE TABLE three_links (
    enterprise_id   BIGINT PRIMARY KEY REFERENCES enterprises (id),
    leader_username TEXT REFERENCES users (username),
    department_code TEXT REFERENCES departments (code),
    cadre_username  TEXT REFERENCES users (username),
    updated_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX three_links_leader ON three_links (leader_username);
CREATE INDEX three_links_department ON three_links (department_code);
CREATE INDEX three_links_cadre ON three_links (cadre_username);
