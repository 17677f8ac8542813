-- 0009 (issue 10, "domain rules once"): 帮扶对象 (assistance_target) was a generated column,
-- a second statement of the rule `enterprise::assistance_target` in SQL. It becomes a plain
-- column that the store writes from the domain rule with every write of the two
-- registrations it is derived from (import; EncodedEnterprise::assistance_target), kept
-- because the enterprise lists filter on it in the database (paging over a whole zone).
-- Read paths derive the flag from the registrations (Enterprise::assistance_target).
--
-- DROP EXPRESSION keeps each row's value; the store's migrate() then checks every row
-- against the domain rule (store::enterprises::target_backfill) in the same transaction.
ALTER TABLE enterprises ALTER COLUMN assistance_target DROP EXPRESSION;
UPDATE enterprises SET assistance_target = FALSE WHERE assistance_target IS NULL;
ALTER TABLE enterprises ALTER COLUMN assistance_target SET DEFAULT FALSE;
ALTER TABLE enterprises ALTER COLUMN assistance_target SET NOT NULL;
CREATE INDEX enterprises_assistance_target ON enterprises (assistance_target, id);
