-- Events (issue 15: 帮扶月, 宣讲, 政银企对接, 招聘会, 展会, 沙龙/培训) and their registrations.
-- PostgreSQL dialect; the SQLite twin is crates/store-sqlite/migrations/0031_events.sql.
-- Never edit once committed: add a file.
--
-- Times are TIMESTAMPTZ. `audience` is JSON ({industries, sizes, tags}).
-- A registration row is never deleted: a cancelled one stays, and a new registration of the
-- same enterprise is a new row; at most one active (confirmed or waitlisted) per enterprise
-- and event, enforced by a partial unique index. `seq` orders the waiting list.
-- Every change is audited in reference_changes (entity 'event'). `version` rises with every
-- write of the event or its roster: a write names the version it read (optimistic locking).

CREATE TABLE events (
    id                     BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind                   TEXT NOT NULL CHECK (kind IN ('assistance_month', 'policy_briefing',
                               'bank_enterprise', 'job_fair', 'trade_fair', 'salon', 'training')),
    title                  TEXT NOT NULL CHECK (length(title) > 0),
    description            TEXT NOT NULL,
    department             TEXT NOT NULL,
    place                  TEXT NOT NULL,
    link                   TEXT NOT NULL,
    starts_at              TIMESTAMPTZ NOT NULL,
    ends_at                TIMESTAMPTZ NOT NULL,
    registration_closes_at TIMESTAMPTZ NOT NULL,
    capacity               BIGINT NOT NULL CHECK (capacity > 0),
    max_per_enterprise     BIGINT NOT NULL CHECK (max_per_enterprise > 0),
    audience               TEXT NOT NULL,
    positions_offered      BIGINT CHECK (positions_offered >= 0),
    positions_filled       BIGINT CHECK (positions_filled >= 0),
    cancelled              BOOLEAN NOT NULL DEFAULT FALSE,
    cancel_reason          TEXT NOT NULL DEFAULT '',
    version                BIGINT NOT NULL DEFAULT 1,
    created_by             TEXT NOT NULL,
    created_at             TIMESTAMPTZ NOT NULL
);
CREATE INDEX events_starts ON events (starts_at);

CREATE TABLE event_registrations (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id       BIGINT NOT NULL REFERENCES events (id),
    enterprise_id  BIGINT NOT NULL REFERENCES enterprises (id),
    seq            BIGINT NOT NULL,
    attendees      BIGINT NOT NULL CHECK (attendees > 0),
    attendee_names TEXT NOT NULL,
    state          TEXT NOT NULL CHECK (state IN ('confirmed', 'waitlisted', 'cancelled', 'checked_in', 'no_show')),
    feedback       BIGINT CHECK (feedback BETWEEN 1 AND 5),
    feedback_text  TEXT NOT NULL DEFAULT '',
    registered_by  TEXT NOT NULL,
    registered_at  TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    UNIQUE (event_id, seq)
);
CREATE UNIQUE INDEX event_registrations_active ON event_registrations (event_id, enterprise_id)
    WHERE state IN ('confirmed', 'waitlisted');
CREATE INDEX event_registrations_enterprise ON event_registrations (enterprise_id);
