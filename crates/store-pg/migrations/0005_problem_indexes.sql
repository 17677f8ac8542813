-- Fewer indexes on problems (issue 5, performance): every index is written by every
-- submission, and these three served no query. The department filter is
-- `lead_department = $1 OR cooperating LIKE $2`, which no index answers (the LIKE is a
-- substring match), so problems_lead was never chosen; the period's KPI read filters
-- `(updated_at … AND received_at …) OR state NOT IN (…)`, which scans, so problems_updated
-- was never chosen; the red-light filter is ordered by id with a LIMIT, which scans in id
-- order, so problems_red was never chosen (EXPLAIN QUERY PLAN of each list query;
-- docs/PERFORMANCE.md, "Web"). Kept: problems_state, problems_enterprise, problems_received.
DROP INDEX problems_lead;
DROP INDEX problems_red;
DROP INDEX problems_updated;
