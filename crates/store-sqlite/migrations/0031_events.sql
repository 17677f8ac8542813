-- Events (issue 15: 帮扶月, 宣讲, 政银企对接, 招聘会, 展会, 沙龙/培训) and their registrations.
-- SQLite dialect; the PostgreSQL twin is crates/store-pg/migrations/0031_events.sql.
-- Never edit once committed: add a file.
--
-- Times are TEXT in China time as elsewhere. `audience` is JSON ({industries, sizes, tags}).
-- A registration row is never deleted: a cancelled one stays, and a new registration of the
-- same enterprise is a new row; at most one active (confirmed or waitlisted) per enterprise
-- and event, enforced by a partial unique index. `seq` orders the waiting list.
-- Every change is audited in reference_changes (entity 'event'). `version` rises with every
-- write of the event or its roster: a write names the version it read (optimistic locking).

CREATE TABLE events (
    id                     INTEGER PRIMARY KEY,
    kind                   TEXT NOT NULL CHECK (kind IN ('assistance_month', 'policy_briefing',
                               'bank_enterprise', 'job_fair', 'trade_fair', 'salon', 'training')),
    title                  TEXT NOT NULL CHECK (length(title) > 0),
    description            TEXT NOT NULL,
    department             TEXT NOT NULL,
    place                  TEXT NOT NULL,
    link                   TEXT NOT NULL,
    starts_at              TEXT NOT NULL,
    ends_at                TEXT NOT NULL,
    registration_closes_at TEXT NOT NULL,
    capacity               INTEGER NOT NULL CHECK (capacity > 0),
    max_per_enterprise     INTEGER NOT NULL CHECK (max_per_enterprise > 0),
    audience               TEXT NOT NULL,
    positions_offered      INTEGER CHECK (positions_offered >= 0),
    positions_filled       INTEGER CHECK (positions_filled >= 0),
    cancelled              INTEGER NOT NULL DEFAULT 0 CHECK (cancelled IN (0, 1)),
    cancel_reason          TEXT NOT NULL DEFAULT '',
    version                INTEGER NOT NULL DEFAULT 1,
    created_by             TEXT NOT NULL,
    created_at             TEXT NOT NULL
);
CREATE INDEX events_starts ON events (starts_at);

CREATE TABLE event_registrations (
    id             INTEGER PRIMARY KEY,
    event_id       INTEGER NOT NULL REFERENCES events (id),
    enterprise_id  INTEGER NOT NULL REFERENCES enterprises (id),
    seq            INTEGER NOT NULL,
    attendees      INTEGER NOT NULL CHECK (attendees > 0),
    attendee_names TEXT NOT NULL,
    state          TEXT NOT NULL CHECK (state IN ('confirmed', 'waitlisted', 'cancelled', 'checked_in', 'no_show')),
    feedback       INTEGER CHECK (feedback BETWEEN 1 AND 5),
    feedback_text  TEXT NOT NULL DEFAULT '',
    registered_by  TEXT NOT NULL,
    registered_at  TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    UNIQUE (event_id, seq)
);
CREATE UNIQUE INDEX event_registrations_active ON event_registrations (event_id, enterprise_id)
    WHERE state IN ('confirmed', 'waitlisted');
CREATE INDEX event_registrations_enterprise ON event_registrations (enterprise_id);
