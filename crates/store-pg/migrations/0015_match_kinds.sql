-- Kinds of benefit in match runs (issue 11 §1–2): per run and item, how the benefit is
-- obtained (benefit_kind: tax_relief_declared, tax_refund_applied, award_no_application,
-- award_application, fee_waiver, status), the period decided ('2022', '2022-Q2', '2022-05',
-- '2022-05-31'), how many eligible enterprises have no known amount (their
-- match_run_results.amount is NULL), and the item that replaces this one for the period
-- (supersedes: this item is counted in no total). Runs stored before this migration have
-- NULL kinds and periods. PostgreSQL dialect; the twin is
-- crates/store-sqlite/migrations/0015_match_kinds.sql. Never edit once committed: add a file.

ALTER TABLE match_run_counts ADD COLUMN benefit_kind TEXT;
ALTER TABLE match_run_counts ADD COLUMN period TEXT;
ALTER TABLE match_run_counts ADD COLUMN amount_missing BIGINT NOT NULL DEFAULT 0;
ALTER TABLE match_run_counts ADD COLUMN superseded_by TEXT;
