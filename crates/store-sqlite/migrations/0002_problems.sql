-- The three lists (issue 4): visits, problems (a projection of their event log), the event
-- log with one global hash chain, and the chain head. SQLite dialect; the PostgreSQL twin is
-- crates/store-pg/migrations/0002_problems.sql. Never edit once committed: add a file.
--
-- Times are TEXT 'YYYY-MM-DD HH:MM:SS+08:00' (China time, whole seconds: text order is time
-- order). accept_by / answer_by: 'YYYY-MM-DD' (working-day limits, due by the end of that
-- day) or RFC 3339 (hour limits). yellow_at / red_at: from when the light is yellow / red
-- (NULL: it does not turn), derived from the replayed state.

CREATE TABLE visits (
    id            INTEGER PRIMARY KEY,
    enterprise_id INTEGER NOT NULL REFERENCES enterprises (id),
    date          TEXT NOT NULL,
    cadre         TEXT NOT NULL,
    findings      TEXT NOT NULL,
    recorded_at   TEXT NOT NULL,
    recorded_by   TEXT NOT NULL
);
CREATE INDEX visits_enterprise ON visits (enterprise_id, date);
CREATE INDEX visits_cadre ON visits (cadre, date);

CREATE TABLE problems (
    id              INTEGER PRIMARY KEY,
    enterprise_id   INTEGER NOT NULL REFERENCES enterprises (id),
    category        TEXT NOT NULL,
    title           TEXT NOT NULL,
    description     TEXT NOT NULL,
    channel         TEXT NOT NULL,
    urgency         TEXT NOT NULL,
    confidential    INTEGER NOT NULL CHECK (confidential IN (0, 1)),
    received_at     TEXT NOT NULL,
    state           TEXT NOT NULL,
    lead_department TEXT NOT NULL,
    -- JSON array of department codes
    cooperating     TEXT NOT NULL,
    handler         TEXT,
    accept_by       TEXT NOT NULL,
    answer_by       TEXT NOT NULL,
    yellow_at       TEXT,
    red_at          TEXT,
    escalations     INTEGER NOT NULL,
    round           INTEGER NOT NULL,
    visit_id        INTEGER REFERENCES visits (id),
    last_seq        INTEGER NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX problems_state ON problems (state);
CREATE INDEX problems_lead ON problems (lead_department, state);
CREATE INDEX problems_enterprise ON problems (enterprise_id);
CREATE INDEX problems_received ON problems (received_at);
CREATE INDEX problems_red ON problems (red_at);
CREATE INDEX problems_updated ON problems (updated_at);

-- Append-only: chain_seq is the global order of the hash chain.
CREATE TABLE problem_events (
    chain_seq        INTEGER PRIMARY KEY,
    problem_id       INTEGER NOT NULL REFERENCES problems (id),
    seq              INTEGER NOT NULL,
    at               TEXT NOT NULL,
    actor            TEXT NOT NULL,
    role             TEXT NOT NULL,
    actor_department TEXT,
    actor_enterprise TEXT,
    action           TEXT NOT NULL,
    from_state       TEXT,
    to_state         TEXT NOT NULL,
    note             TEXT,
    payload          TEXT NOT NULL,
    recorded_at      TEXT NOT NULL,
    prev_hash        TEXT NOT NULL,
    hash             TEXT NOT NULL,
    UNIQUE (problem_id, seq)
);

-- The end of the chain: the last chain_seq and its hash (deleting the newest events shows).
CREATE TABLE audit_chain_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_chain_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- The application never updates or deletes events; these stop accidents. Deliberate
-- tampering (dropping the triggers) is what the hash chain detects.
CREATE TRIGGER problem_events_no_update BEFORE UPDATE ON problem_events
BEGIN
    SELECT RAISE(ABORT, 'problem_events is append-only');
END;
CREATE TRIGGER problem_events_no_delete BEFORE DELETE ON problem_events
BEGIN
    SELECT RAISE(ABORT, 'problem_events is append-only');
END;
