-- Supply chains (三.11) and logistics (三.12), issue 15.
-- SQLite dialect; the PostgreSQL twin is crates/store-pg/migrations/0037_chains_logistics.sql.
-- Never edit once committed: add a file.
--
-- Dates are civil dates (TEXT YYYY-MM-DD), times TEXT in China time as elsewhere. Every change
-- is audited in reference_changes (entity 'chain_position', 'supply_demand' or 'logistics').
-- A demand's `version` rises with every write (an introduction, an outcome, the closing): a
-- write names the version it read (optimistic locking). Introductions are never deleted.

CREATE TABLE chain_positions (
    id            INTEGER PRIMARY KEY,
    enterprise_id INTEGER NOT NULL REFERENCES enterprises (id),
    chain         TEXT NOT NULL CHECK (length(chain) > 0),
    position      TEXT NOT NULL CHECK (position IN ('upstream', 'midstream', 'downstream')),
    supplies      TEXT NOT NULL CHECK (length(supplies) > 0),
    recorded_by   TEXT NOT NULL,
    recorded_at   TEXT NOT NULL,
    UNIQUE (enterprise_id, chain)
);
CREATE INDEX chain_positions_chain ON chain_positions (chain);

CREATE TABLE supply_demands (
    id               INTEGER PRIMARY KEY,
    enterprise_id    INTEGER NOT NULL REFERENCES enterprises (id),
    description      TEXT NOT NULL CHECK (length(description) > 0),
    quantity         TEXT NOT NULL,
    needed_by        TEXT NOT NULL,
    raised_on        TEXT NOT NULL,
    introduction_due TEXT NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('open', 'introduced', 'closed')),
    closed_on        TEXT,
    close_reason     TEXT NOT NULL,
    version          INTEGER NOT NULL DEFAULT 1,
    created_by       TEXT NOT NULL,
    created_at       TEXT NOT NULL
);
CREATE INDEX supply_demands_enterprise ON supply_demands (enterprise_id);

CREATE TABLE supply_introductions (
    id            INTEGER PRIMARY KEY,
    demand_id     INTEGER NOT NULL REFERENCES supply_demands (id),
    supplier_id   INTEGER NOT NULL REFERENCES enterprises (id),
    introduced_on TEXT NOT NULL,
    note          TEXT NOT NULL,
    outcome       TEXT NOT NULL CHECK (outcome IN ('pending', 'agreed', 'not_agreed')),
    outcome_note  TEXT NOT NULL,
    recorded_by   TEXT NOT NULL,
    recorded_at   TEXT NOT NULL,
    UNIQUE (demand_id, supplier_id)
);

CREATE TABLE logistics_profiles (
    enterprise_id INTEGER PRIMARY KEY REFERENCES enterprises (id),
    main_mode     TEXT NOT NULL CHECK (main_mode IN ('road', 'rail', 'water', 'air', 'express')),
    other_modes   TEXT NOT NULL,
    routes        TEXT NOT NULL,
    watcher       TEXT NOT NULL,
    recorded_by   TEXT NOT NULL,
    recorded_at   TEXT NOT NULL
);
