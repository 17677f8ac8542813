-- Notifications (通知, issue 14): what users are told about problems (store::notifications).
-- PostgreSQL dialect; the SQLite twin is crates/store-sqlite/migrations/0033_notifications.sql.
-- Never edit once committed: add a file.
--
-- One row per recipient: a department (every user of it reads the row), a user, or an
-- enterprise (every user of it). Rows for problem actions are written in the action's own
-- transaction; warnings by the scheduled job `warnings`. dedupe: unique per problem (the
-- event `e<seq>` or the light and its time, with the recipient), so a warning is written once
-- however often the job runs. light_at: the moment a warning's light turned. Times are TIMESTAMPTZ.
CREATE TABLE notifications (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    problem_id BIGINT NOT NULL REFERENCES problems (id),
    kind       TEXT NOT NULL CHECK (kind IN ('assigned', 'warning_yellow', 'warning_red', 'escalated',
                   'escalation_replied', 'info_requested', 'info_supplied', 'answered', 'rated')),
    to_kind    TEXT NOT NULL CHECK (to_kind IN ('department', 'user', 'enterprise')),
    to_key     TEXT NOT NULL CHECK (length(to_key) > 0),
    text       TEXT NOT NULL CHECK (length(text) BETWEEN 1 AND 200),
    dedupe     TEXT NOT NULL,
    light_at   TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL,
    UNIQUE (problem_id, dedupe)
);
CREATE INDEX notifications_to ON notifications (to_kind, to_key, id);
CREATE INDEX notifications_light ON notifications (problem_id, kind, light_at);

-- Who read which notification, and when (a department's row is read by each of its users on
-- their own). Reading is not a change of the domain's state: not audited.
CREATE TABLE notification_reads (
    notification_id BIGINT NOT NULL REFERENCES notifications (id),
    username        TEXT NOT NULL,
    read_at         TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (notification_id, username)
);
