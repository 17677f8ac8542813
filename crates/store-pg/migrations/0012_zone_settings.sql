-- Zone settings (issue 10: the supervision thresholds become zone settings with a stated
-- source): the documents table admits a third kind, 'zone_settings' (one document,
-- zone_settings.toml). PostgreSQL dialect; the SQLite twin is
-- crates/store-sqlite/migrations/0012_zone_settings.sql. Never edit once committed: add a file.
--
-- documents_kind_check is the name PostgreSQL gave the column constraint of 0007.

ALTER TABLE documents DROP CONSTRAINT documents_kind_check;

ALTER TABLE documents ADD CONSTRAINT documents_kind_check
    CHECK (kind IN ('policy', 'time_limits', 'zone_settings'));
