-- The frozen basis of a grant kept apart from its row, packed (issue 12, grant runs at scale;
-- store::grants::packed): `grant_basis` holds, per grant, its canonical basis text as a zstd
-- frame compressed against a dictionary, the full text of another basis of the same run
-- (`grant_basis_dictionaries`, one per recording call). The grants row then stays narrow
-- for the approval, payment-file and reconciliation queries, and a basis takes tens of bytes
-- instead of about 1.1 KB. Grants stored before this migration keep their text in
-- grants.basis; new grants store '' there and are read from grant_basis. Both tables are
-- append-only: a basis is frozen when its grant is made.
-- PostgreSQL dialect; the SQLite twin is crates/store-sqlite/migrations/0032_grant_basis.sql.
-- Never edit once committed: add a file.
CREATE TABLE grant_basis_dictionaries (
    id     BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id BIGINT NOT NULL REFERENCES grant_runs (id),
    body   BYTEA NOT NULL
);
CREATE TABLE grant_basis (
    grant_id      BIGINT PRIMARY KEY REFERENCES grants (id),
    dictionary_id BIGINT NOT NULL REFERENCES grant_basis_dictionaries (id),
    body          BYTEA NOT NULL
);
CREATE FUNCTION grant_basis_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END;
$$;
CREATE TRIGGER grant_basis_append_only BEFORE UPDATE OR DELETE ON grant_basis
    FOR EACH ROW EXECUTE FUNCTION grant_basis_append_only();
CREATE TRIGGER grant_basis_dictionaries_append_only BEFORE UPDATE OR DELETE ON grant_basis_dictionaries
    FOR EACH ROW EXECUTE FUNCTION grant_basis_append_only();
