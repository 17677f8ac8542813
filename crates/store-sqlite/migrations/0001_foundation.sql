-- Foundation (issue 2): departments and routing, enterprises with their facts, change
-- records, import batches, three links, users. SQLite dialect; the PostgreSQL twin is
-- crates/store-pg/migrations/0001_foundation.sql. Never edit once committed: add a file.
--
-- Types: booleans are 0/1 integers; dates are TEXT 'YYYY-MM-DD'; timestamps are TEXT
-- 'YYYY-MM-DD HH:MM:SS[.f]+08:00' (always China time, so text order is time order).

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
    position INTEGER NOT NULL
);

-- position 0 is the lead department (牵头), the others cooperate (配合).
CREATE TABLE category_departments (
    category   TEXT NOT NULL REFERENCES categories (code),
    department TEXT NOT NULL REFERENCES departments (code),
    position   INTEGER NOT NULL,
    PRIMARY KEY (category, department),
    UNIQUE (category, position)
);
CREATE INDEX category_departments_department ON category_departments (department);

-- Changes to reference data (departments, routing), who and when.
CREATE TABLE reference_changes (
    id     INTEGER PRIMARY KEY,
    at     TEXT NOT NULL,
    actor  TEXT NOT NULL,
    entity TEXT NOT NULL,
    key    TEXT NOT NULL,
    field  TEXT NOT NULL,
    old    TEXT,
    new    TEXT
);

CREATE TABLE enterprises (
    id                     INTEGER PRIMARY KEY,
    uscc                   TEXT NOT NULL UNIQUE,
    name                   TEXT NOT NULL,
    registered_in_zone     INTEGER NOT NULL CHECK (registered_in_zone IN (0, 1)),
    tax_registered_in_zone INTEGER NOT NULL CHECK (tax_registered_in_zone IN (0, 1)),
    -- 帮扶对象: derived from both registrations, never an input.
    assistance_target      INTEGER GENERATED ALWAYS AS (registered_in_zone AND tax_registered_in_zone) STORED,
    industry_code          TEXT,
    established_on         TEXT,
    taxpayer_type          TEXT CHECK (taxpayer_type IN ('small_scale', 'general')),
    tax_credit_rating      TEXT CHECK (tax_credit_rating IN ('A', 'B', 'M', 'C', 'D')),
    -- sorted, ';'-joined
    tags                   TEXT NOT NULL DEFAULT '',
    created_at             TEXT NOT NULL,
    updated_at             TEXT NOT NULL
);

-- year = 0 for a scalar fact. value: canonical text; num: exact integer form (money in fen,
-- ratios in millionths, dates in days since 1970-01-01, bools 0/1) or NULL.
CREATE TABLE enterprise_facts (
    enterprise_id INTEGER NOT NULL REFERENCES enterprises (id),
    fact          TEXT NOT NULL,
    year          INTEGER NOT NULL,
    value         TEXT NOT NULL,
    num           INTEGER,
    source        TEXT NOT NULL,
    as_of         TEXT NOT NULL,
    PRIMARY KEY (enterprise_id, fact, year)
) WITHOUT ROWID;

CREATE TABLE import_batches (
    id        INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    file_name TEXT NOT NULL,
    format    TEXT NOT NULL,
    rows      INTEGER NOT NULL,
    created   INTEGER NOT NULL,
    updated   INTEGER NOT NULL,
    unchanged INTEGER NOT NULL
);

CREATE TABLE enterprise_changes (
    id            INTEGER PRIMARY KEY,
    enterprise_id INTEGER NOT NULL REFERENCES enterprises (id),
    at            TEXT NOT NULL,
    actor         TEXT NOT NULL,
    field         TEXT NOT NULL,
    old           TEXT,
    new           TEXT,
    batch_id      INTEGER REFERENCES import_batches (id)
);
CREATE INDEX enterprise_changes_enterprise ON enterprise_changes (enterprise_id, id);

CREATE TABLE users (
    id              INTEGER PRIMARY KEY,
    username        TEXT NOT NULL UNIQUE,
    role            TEXT NOT NULL
        CHECK (role IN ('enterprise', 'cadre', 'department', 'leader', 'supervisor', 'policy', 'admin')),
    password_hash   TEXT NOT NULL,
    enterprise_id   INTEGER REFERENCES enterprises (id),
    department_code TEXT REFERENCES departments (code),
    display_name    TEXT NOT NULL,
    active          INTEGER NOT NULL CHECK (active IN (0, 1)),
    created_at      TEXT NOT NULL,
    failed_logins   INTEGER NOT NULL DEFAULT 0,
    locked_until    TEXT
);

CREATE TABLE three_links (
    enterprise_id   INTEGER PRIMARY KEY REFERENCES enterprises (id),
    leader_username TEXT REFERENCES users (username),
    department_code TEXT REFERENCES departments (code),
    cadre_username  TEXT REFERENCES users (username),
    updated_at      TEXT NOT NULL
);
CREATE INDEX three_links_leader ON three_links (leader_username);
CREATE INDEX three_links_department ON three_links (department_code);
CREATE INDEX three_links_cadre ON three_links (cadre_username);
