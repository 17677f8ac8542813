-- The SQL path of the rules engine is gone (issue 10): conditions are decided in memory by
-- the batch engine only, over facts streamed by the scan (store::scan). Its view goes with
-- it. PostgreSQL dialect; the SQLite twin is crates/store-sqlite/migrations/0008_drop_rule_facts.sql.
-- Never edit once committed: add a file.

DROP VIEW IF EXISTS rule_facts;

-- A match run writes every eligible (enterprise, item) pair: millions for a large zone. On
-- PostgreSQL each foreign-key check takes a FOR KEY SHARE lock on the referenced row, which
-- rewrites that row's header: 900,000 pairs took 23 s with both checks and 5.5 s without
-- (docs/PERFORMANCE.md, "Match from the database"). The store checks the references of a run
-- in the same transaction instead, with one anti-join (store-pg/src/matches.rs), and neither
-- enterprises nor match runs are ever deleted. SQLite keeps its foreign keys: there a check
-- is a primary-key lookup without a lock.
ALTER TABLE match_run_results DROP CONSTRAINT IF EXISTS match_run_results_enterprise_id_fkey;
ALTER TABLE match_run_results DROP CONSTRAINT IF EXISTS match_run_results_run_id_fkey;
