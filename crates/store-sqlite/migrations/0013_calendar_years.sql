-- Calendar years as data (issue 11 §5: "the calendar never runs out"): every year's holiday
-- and make-up working day arrangement loaded from the State Council's notice, with the
-- notice's number, who loaded it and when. A year loaded again is a new row (the newest is in
-- force from its loaded_at); rows are never changed or deleted, so every deadline computed
-- under an earlier arrangement replays. SQLite dialect; the PostgreSQL twin is
-- crates/store-pg/migrations/0013_calendar_years.sql. Never edit once committed: add a file.
--
-- data: the year's CSV text (date,kind,festival) as loaded; loaded_at TEXT in China time.

CREATE TABLE calendar_years (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    year      INTEGER NOT NULL CHECK (year BETWEEN 2019 AND 2100),
    notice    TEXT NOT NULL CHECK (length(notice) > 0),
    data      TEXT NOT NULL,
    loaded_at TEXT NOT NULL,
    loaded_by TEXT NOT NULL
);
CREATE INDEX calendar_years_year ON calendar_years (year, id);

CREATE TRIGGER calendar_years_no_update BEFORE UPDATE ON calendar_years
BEGIN
    SELECT RAISE(ABORT, 'calendar_years is append-only');
END;
CREATE TRIGGER calendar_years_no_delete BEFORE DELETE ON calendar_years
BEGIN
    SELECT RAISE(ABORT, 'calendar_years is append-only');
END;
