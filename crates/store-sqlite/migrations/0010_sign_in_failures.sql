-- Failed sign-ins per account AND source address (issue 14): a stranger's wrong passwords
-- lock only the stranger's address out of the account, never the owner at another address.
-- SQLite dialect; the PostgreSQL twin is crates/store-pg/migrations/0010_sign_in_failures.sql.
-- Never edit once committed: add a file.
--
-- failures: wrong passwords in a row since the last lock ran out (or the last success);
-- locks: locks in a row, the exponent of the back-off (the application layer decides both);
-- locked_until: the lock in force until then, if any. Times are TEXT in China time.
-- users.failed_logins and users.locked_until (0001) are no longer written: kept for older
-- binaries over the same database (expand, then contract in a later migration).
CREATE TABLE sign_in_failures (
    username     TEXT NOT NULL REFERENCES users (username) ON DELETE CASCADE,
    address      TEXT NOT NULL,
    failures     INTEGER NOT NULL,
    locks        INTEGER NOT NULL,
    locked_until TEXT,
    last_failure TEXT NOT NULL,
    PRIMARY KEY (username, address)
) WITHOUT ROWID;
