-- 0016 (issue 11): 帮扶对象 (assistance_target) is for market entities only: a credit code of
-- registration authority 9 with category 1, 2 or 3 (enterprise, individual business, farmers'
-- cooperative), both registrations in the zone. Other valid codes (机关, 事业单位, 社会团体, …)
-- stay registry rows but are never targets. The rule is enterprise::assistance_target; the
-- store's migrate() recomputes every stored flag from it in the same transaction
-- (store::enterprises::TARGET_RECOMPUTE_MIGRATIONS), not from a copy of the rule here. This
-- statement changes nothing.
UPDATE enterprises SET assistance_target = assistance_target WHERE 1 = 0;
