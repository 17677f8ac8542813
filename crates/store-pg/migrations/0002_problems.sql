-- The three lists (issue 4): visits, problems (a projection of their event log), the event
-- log with one global hash chain, and the chain head. PostgreSQL dialect; the SQLite twin is
-- crates/store-sqlite/migrations/0002_problems.sql (same tables, columns and meaning).
-- Never edit once committed: add a file.

CREATE TABLE visits (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    enterprise_id BIGINT NOT NULL REFERENCES enterprises (id),
    date          DATE NOT NULL,
    cadre         TEXT NOT NULL,
    findings      TEXT NOT NULL,
    recorded_at   TIMESTAMPTZ NOT NULL,
    recorded_by   TEXT NOT NULL
);
CREATE INDEX visits_enterprise ON visits (enterprise_id, date);
CREATE INDEX visits_cadre ON visits (cadre, date);

CREATE TABLE problems (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    enterprise_id   BIGINT NOT NULL REFERENCES enterprises (id),
    category        TEXT NOT NULL,
    title           TEXT NOT NULL,
    description     TEXT NOT NULL,
    channel         TEXT NOT NULL,
    urgency         TEXT NOT NULL,
    confidential    BOOLEAN NOT NULL,
    received_at     TIMESTAMPTZ NOT NULL,
    state           TEXT NOT NULL,
    lead_department TEXT NOT NULL,
    -- JSON array of department codes (text, so that both dialects filter it alike)
    cooperating     TEXT NOT NULL,
    handler         TEXT,
    accept_by       TEXT NOT NULL,
    answer_by       TEXT NOT NULL,
    yellow_at       TIMESTAMPTZ,
    red_at          TIMESTAMPTZ,
    escalations     BIGINT NOT NULL,
    round           BIGINT NOT NULL,
    visit_id        BIGINT REFERENCES visits (id),
    last_seq        BIGINT NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX problems_state ON problems (state);
CREATE INDEX problems_lead ON problems (lead_department, state);
CREATE INDEX problems_enterprise ON problems (enterprise_id);
CREATE INDEX problems_received ON problems (received_at);
CREATE INDEX problems_red ON problems (red_at);
CREATE INDEX problems_updated ON problems (updated_at);

-- Append-only: chain_seq is the global order of the hash chain.
CREATE TABLE problem_events (
    chain_seq        BIGINT PRIMARY KEY,
    problem_id       BIGINT NOT NULL REFERENCES problems (id),
    seq              BIGINT NOT NULL,
    at               TIMESTAMPTZ NOT NULL,
    actor            TEXT NOT NULL,
    role             TEXT NOT NULL,
    actor_department TEXT,
    actor_enterprise TEXT,
    action           TEXT NOT NULL,
    from_state       TEXT,
    to_state         TEXT NOT NULL,
    note             TEXT,
    payload          TEXT NOT NULL,
    recorded_at      TIMESTAMPTZ NOT NULL,
    prev_hash        TEXT NOT NULL,
    hash             TEXT NOT NULL,
    UNIQUE (problem_id, seq)
);

-- The end of the chain; appends lock this row (SELECT … FOR UPDATE) to serialize.
CREATE TABLE audit_chain_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_chain_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- The application never updates or deletes events; this stops accidents. Deliberate
-- tampering (dropping the trigger) is what the hash chain detects.
CREATE FUNCTION problem_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'problem_events is append-only';
END;
$$;
CREATE TRIGGER problem_events_append_only BEFORE UPDATE OR DELETE ON problem_events
    FOR EACH ROW EXECUTE FUNCTION problem_events_append_only();
