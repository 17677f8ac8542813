-- Follow-ups of problems (issue 11 §6): 督办 cases (a reply due from the lead department) and
-- consultation decisions (an action owned by a department with a deadline), each tracked like
-- a problem. A projection like `problems`: rewritten from the replayed event log in the same
-- transaction as each event, so queues list them (and filter by light) in SQL. SQLite dialect;
-- the PostgreSQL twin is crates/store-pg/migrations/0014_problem_follow_ups.sql. Never edit
-- once committed: add a file.
--
-- kind: 'escalation' or 'decision'; no: its number on the problem (1, 2, …); owner: the
-- department that must act (an escalation: the problem's lead); due: 'YYYY-MM-DD'; times TEXT
-- in China time as elsewhere; done_at NULL while open.

CREATE TABLE problem_follow_ups (
    problem_id INTEGER NOT NULL REFERENCES problems (id),
    kind       TEXT NOT NULL CHECK (kind IN ('escalation', 'decision')),
    no         INTEGER NOT NULL,
    owner      TEXT NOT NULL,
    text       TEXT NOT NULL,
    opened_at  TEXT NOT NULL,
    due        TEXT NOT NULL,
    yellow_at  TEXT NOT NULL,
    red_at     TEXT NOT NULL,
    done_at    TEXT,
    PRIMARY KEY (problem_id, kind, no)
);
CREATE INDEX problem_follow_ups_owner ON problem_follow_ups (owner, done_at, due);
