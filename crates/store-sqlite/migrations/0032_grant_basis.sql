-- The frozen basis of a grant kept apart from its row, packed (issue 12, grant runs at scale;
-- store::grants::packed): `grant_basis` holds, per grant, its canonical basis text as a zstd
-- frame compressed against a dictionary, the full text of another basis of the same run
-- (`grant_basis_dictionaries`, one per recording call). The grants row then stays narrow
-- for the approval, payment-file and reconciliation queries, and a basis takes tens of bytes
-- instead of about 1.1 KB. Grants stored before this migration keep their text in
-- grants.basis; new grants store '' there and are read from grant_basis. Both tables are
-- append-only: a basis is frozen when its grant is made.
-- SQLite dialect; the PostgreSQL twin is crates/store-pg/migrations/0032_grant_basis.sql.
-- Never edit once committed: add a file.
CREATE TABLE grant_basis_dictionaries (
    id     INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES grant_runs (id),
    body   BLOB NOT NULL
);
CREATE TABLE grant_basis (
    grant_id      INTEGER PRIMARY KEY REFERENCES grants (id),
    dictionary_id INTEGER NOT NULL REFERENCES grant_basis_dictionaries (id),
    body          BLOB NOT NULL
);
CREATE TRIGGER grant_basis_no_update BEFORE UPDATE ON grant_basis
BEGIN
    SELECT RAISE(ABORT, 'grant_basis is append-only');
END;
CREATE TRIGGER grant_basis_no_delete BEFORE DELETE ON grant_basis
BEGIN
    SELECT RAISE(ABORT, 'grant_basis is append-only');
END;
CREATE TRIGGER grant_basis_dictionaries_no_update BEFORE UPDATE ON grant_basis_dictionaries
BEGIN
    SELECT RAISE(ABORT, 'grant_basis_dictionaries is append-only');
END;
CREATE TRIGGER grant_basis_dictionaries_no_delete BEFORE DELETE ON grant_basis_dictionaries
BEGIN
    SELECT RAISE(ABORT, 'grant_basis_dictionaries is append-only');
END;
