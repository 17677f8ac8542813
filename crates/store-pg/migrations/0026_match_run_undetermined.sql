-- The undetermined pairs of a match run, for the items that may be granted (issue 12, grant
-- runs at scale): a grant run reads its needs-data candidates (undetermined, and eligible
-- without an amount, which match_run_results holds) from the match run instead of deciding
-- every enterprise again. Items that are not granted store none (a registry lacking facts
-- would otherwise store most of the zone for every item).
-- PostgreSQL dialect; the twin is crates/store-sqlite/migrations/0026_match_run_undetermined.sql.
-- Never edit once committed: add a file.

CREATE TABLE match_run_undetermined (
    run_id        BIGINT NOT NULL REFERENCES match_runs (id),
    item          TEXT NOT NULL,
    enterprise_id BIGINT NOT NULL,
    PRIMARY KEY (run_id, item, enterprise_id)
);

-- The enterprises granted for an item and period, read by every grant run before it judges
-- anyone: without this index the read scanned every grant with its basis.
CREATE INDEX grants_item_period ON grants (item, period, enterprise_id);
