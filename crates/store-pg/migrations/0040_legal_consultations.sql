-- Legal consultations (应急法律服务, the plan's 三.14), issue 15.
-- PostgreSQL dialect; the SQLite twin is crates/store-sqlite/migrations/0040_legal_consultations.sql.
-- Never edit once committed: add a file.
--
-- One row per consultation: the question (≤ 2,000 characters, checked in the app), the
-- lawyer's answer (≤ 5,000), one follow-up and its answer, how it ended, and the FAQ content
-- item it became. Times TIMESTAMPTZ, dates DATE. Every change
-- is audited in reference_changes (entity 'legal_consultation'). `version` rises with every
-- write: a write names the version it read (optimistic locking).

CREATE TABLE legal_consultations (
    id                     BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    enterprise_id          BIGINT NOT NULL REFERENCES enterprises (id),
    channel                TEXT NOT NULL CHECK (channel IN ('hotline', 'online', 'visit')),
    topic                  TEXT NOT NULL CHECK (topic IN ('contract', 'labour', 'trade', 'ip', 'other')),
    question               TEXT NOT NULL CHECK (length(question) > 0),
    asked_by               TEXT NOT NULL,
    asked_at               TIMESTAMPTZ NOT NULL,
    due_at                 TIMESTAMPTZ NOT NULL,
    yellow_at              TIMESTAMPTZ NOT NULL,
    state                  TEXT NOT NULL CHECK (state IN ('open', 'answered', 'closed', 'withdrawn')),
    lawyer                 TEXT,
    answer                 TEXT NOT NULL,
    answered_by            TEXT,
    answered_at            TIMESTAMPTZ,
    answered_in_time       BOOLEAN,
    confirm_by             DATE,
    follow_up              TEXT NOT NULL,
    follow_up_at           TIMESTAMPTZ,
    follow_up_answer       TEXT NOT NULL,
    follow_up_answered_by  TEXT,
    follow_up_answered_at  TIMESTAMPTZ,
    closed_by              TEXT,
    closed_at              TIMESTAMPTZ,
    note                   TEXT NOT NULL,
    faq_content_id         BIGINT REFERENCES content_items (id),
    faq_at                 TIMESTAMPTZ,
    version                BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX legal_consultations_enterprise ON legal_consultations (enterprise_id);
CREATE INDEX legal_consultations_state ON legal_consultations (state);
