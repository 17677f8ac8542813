-- The SQL path of the rules engine is gone (issue 10): conditions are decided in memory by
-- the batch engine only, over facts streamed by the scan (store::scan). Its view goes with
-- it. SQLite dialect; the PostgreSQL twin is crates/store-pg/migrations/0008_drop_rule_facts.sql.
-- Never edit once committed: add a file.

DROP VIEW IF EXISTS rule_facts;
