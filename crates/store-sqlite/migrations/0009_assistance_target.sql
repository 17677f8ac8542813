-- 0009 (issue 10, "domain rules once"): 帮扶对象 (assistance_target) was a generated column,
-- a second statement of the rule `enterprise::assistance_target` in SQL. It becomes a plain
-- column that the store writes from the domain rule with every write of the two
-- registrations it is derived from (import; EncodedEnterprise::assistance_target), kept
-- because the enterprise lists filter on it in the database (paging over a whole zone).
-- Read paths derive the flag from the registrations (Enterprise::assistance_target).
--
-- SQLite cannot turn a generated column into a plain one; the column is not indexed, not in
-- a constraint, view or trigger, so DROP COLUMN (which rewrites the table, keeping every row
-- id and so every reference to it) is allowed. The new column starts false; the store's
-- migrate() fills it in the same transaction from the domain rule, one UPDATE per
-- combination of the two registrations (store::enterprises::target_backfill), not from a
-- copy of the rule here.
ALTER TABLE enterprises DROP COLUMN assistance_target;
ALTER TABLE enterprises ADD COLUMN assistance_target INTEGER NOT NULL DEFAULT 0
    CHECK (assistance_target IN (0, 1));
CREATE INDEX enterprises_assistance_target ON enterprises (assistance_target, id);
