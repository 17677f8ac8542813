-- The tax year of a match run (issue 11 §2): `huiqi policy match --tax-year Y` decides the
-- annual items for tax year Y (e.g. the 2022 settlement in May 2023) and the run records it;
-- NULL means the year the run's date falls in (every run stored before this migration).
-- SQLite dialect; the twin is crates/store-pg/migrations/0025_match_run_tax_year.sql. Never
-- edit once committed: add a file.

ALTER TABLE match_runs ADD COLUMN tax_year INTEGER;
