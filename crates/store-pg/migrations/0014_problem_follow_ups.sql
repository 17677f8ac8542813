-- Follow-ups of problems (issue 11 §6): 督办 cases (a reply due from the lead department) and
-- consultation decisions (an action owned by a department with a deadline), each tracked like
-- a problem. A projection like `problems`: rewritten from the replayed event log in the same
-- transaction as each event, so queues list them (and filter by light) in SQL. PostgreSQL
-- dialect; the SQLite twin is crates/store-sqlite/migrations/0014_problem_follow_ups.sql.
-- Never edit once committed: add a file.
--
-- kind: 'escalation' or 'decision'; no: its number on the problem (1, 2, …); owner: the
-- department that must act (an escalation: the problem's lead); due: 'YYYY-MM-DD'.

CREATE TABLE problem_follow_ups (
    problem_id BIGINT NOT NULL REFERENCES problems (id),
    kind       TEXT NOT NULL CHECK (kind IN ('escalation', 'decision')),
    no         BIGINT NOT NULL,
    owner      TEXT NOT NULL,
    text       TEXT NOT NULL,
    opened_at  TIMESTAMPTZ NOT NULL,
    due        TEXT NOT NULL,
    yellow_at  TIMESTAMPTZ NOT NULL,
    red_at     TIMESTAMPTZ NOT NULL,
    done_at    TIMESTAMPTZ,
    PRIMARY KEY (problem_id, kind, no)
);
CREATE INDEX problem_follow_ups_owner ON problem_follow_ups (owner, done_at, due);
