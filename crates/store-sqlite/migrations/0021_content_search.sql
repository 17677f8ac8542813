-- Policy consultation (issue 13): the content officials write (政策解读, 常见问题, 办事指南,
-- 典型案例), the zone's search synonyms, the search log ("questions without answers"), the
-- self-service answers (an enterprise's "this solved it"), the governance items made from
-- common problems (共性问题) and the notices their closing sends to member enterprises.
-- SQLite dialect; the PostgreSQL twin is crates/store-pg/migrations/0021_content_search.sql.
-- Numbered 0021 (after main's 0015–0020). Never edit once committed: add a file.
--
-- Times are TEXT in China time as elsewhere; dates 'YYYY-MM-DD'. JSON columns hold arrays
-- (tags, items, members) or an object (details: a guide's where/documents/time limit/fees/
-- contact, a case's source problem and consent).

CREATE TABLE content_items (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL CHECK (kind IN ('interpretation', 'faq', 'guide', 'case')),
    title        TEXT NOT NULL CHECK (length(title) > 0),
    body         TEXT NOT NULL,
    department   TEXT NOT NULL,
    plan_line    TEXT NOT NULL,
    tags         TEXT NOT NULL,
    items        TEXT NOT NULL,
    details      TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('draft', 'in_review', 'published', 'withdrawn')),
    version      INTEGER NOT NULL,
    author       TEXT NOT NULL,
    reviewer     TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    published_at TEXT
);
CREATE INDEX content_items_kind ON content_items (kind, state);

CREATE TABLE search_synonyms (
    id    INTEGER PRIMARY KEY,
    terms TEXT NOT NULL CHECK (length(terms) > 0)
);

CREATE TABLE search_log (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    username    TEXT NOT NULL,
    role        TEXT NOT NULL,
    query       TEXT NOT NULL,
    hits        INTEGER NOT NULL,
    clicked_kind TEXT,
    clicked_id  TEXT
);
CREATE INDEX search_log_unanswered ON search_log (role, clicked_id, query);

CREATE TABLE self_service_answers (
    id         INTEGER PRIMARY KEY,
    at         TEXT NOT NULL,
    username   TEXT NOT NULL,
    enterprise TEXT,
    query      TEXT NOT NULL,
    kind       TEXT NOT NULL,
    target     TEXT NOT NULL
);
CREATE INDEX self_service_answers_at ON self_service_answers (at);

CREATE TABLE governance_items (
    id          INTEGER PRIMARY KEY,
    title       TEXT NOT NULL CHECK (length(title) > 0),
    owner       TEXT NOT NULL,
    due         TEXT NOT NULL,
    members     TEXT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('open', 'closed')),
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    resolution  TEXT,
    closed_by   TEXT,
    closed_at   TEXT
);

CREATE TABLE enterprise_notices (
    id         INTEGER PRIMARY KEY,
    enterprise TEXT NOT NULL,
    at         TEXT NOT NULL,
    problem_id INTEGER,
    text       TEXT NOT NULL
);
CREATE INDEX enterprise_notices_of ON enterprise_notices (enterprise, id);
