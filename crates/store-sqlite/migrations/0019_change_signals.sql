-- Change signals (issue 16; store::signals). PostgreSQL notifies listening servers when
-- documents are written (crates/store-pg/migrations/0019_change_signals.sql);
-- SQLite has no such channel, so this twin changes nothing: SQLite processes keep their
-- timers. Kept so both backends have the same migrations. Never edit once committed.
SELECT 1;
