-- Policy changes are reviewed (issue 12): a change of policy documents is first a draft
-- (草案), one change set of one or more documents made against the versions its author read;
-- a second person (a policy officer or admin, never the author) approves it, and only then
-- are its documents written as new live versions, or rejects it with a reason. SQLite
-- dialect; the PostgreSQL twin is crates/store-pg/migrations/0024_policy_drafts.sql. Never
-- edit once committed: add a file.
--
-- state: draft → approved | rejected | withdrawn (by its author) | stale (the live version of
-- one of its documents moved on before approval). bootstrap = 1: approved without review
-- because the library was still the shipped seed (huiqi policy load on a new database).
CREATE TABLE policy_drafts (
    id           INTEGER PRIMARY KEY,
    author       TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    origin       TEXT NOT NULL CHECK (origin IN ('edit', 'load')),
    note         TEXT NOT NULL DEFAULT '' CHECK (length(note) <= 500),
    cases_passed INTEGER NOT NULL CHECK (cases_passed >= 0),
    state        TEXT NOT NULL DEFAULT 'draft'
                 CHECK (state IN ('draft', 'approved', 'rejected', 'withdrawn', 'stale')),
    bootstrap    INTEGER NOT NULL DEFAULT 0 CHECK (bootstrap IN (0, 1)),
    closed_by    TEXT,
    closed_at    TEXT,
    UNIQUE (id, author)
);
CREATE INDEX policy_drafts_by_state ON policy_drafts (state, id);

-- The documents of a draft: the version read (NULL: a new document), the new text, and the
-- version its approval wrote.
CREATE TABLE policy_draft_documents (
    draft_id     INTEGER NOT NULL REFERENCES policy_drafts (id),
    name         TEXT NOT NULL,
    base_version INTEGER CHECK (base_version >= 1),
    body         TEXT NOT NULL,
    checksum     TEXT NOT NULL,
    new_version  INTEGER CHECK (new_version >= 1),
    PRIMARY KEY (draft_id, name)
);

-- The decision on a draft by its reviewer. The author is copied from the draft (the foreign
-- key checks the copy), and the database itself refuses a review by the author.
CREATE TABLE policy_draft_reviews (
    draft_id INTEGER PRIMARY KEY,
    author   TEXT NOT NULL,
    reviewer TEXT NOT NULL,
    decision TEXT NOT NULL CHECK (decision IN ('approved', 'rejected')),
    reason   TEXT NOT NULL DEFAULT '' CHECK (length(reason) <= 500),
    at       TEXT NOT NULL,
    CONSTRAINT policy_review_not_by_author CHECK (reviewer <> author),
    CONSTRAINT policy_rejection_has_reason CHECK (decision = 'approved' OR length(trim(reason)) > 0),
    FOREIGN KEY (draft_id, author) REFERENCES policy_drafts (id, author)
);

-- Each document version says who approved it and from which draft (NULL: written without
-- review: the seed, time limits, zone settings, versions written before this migration).
ALTER TABLE documents ADD COLUMN approved_by TEXT;
ALTER TABLE documents ADD COLUMN draft_id INTEGER;
