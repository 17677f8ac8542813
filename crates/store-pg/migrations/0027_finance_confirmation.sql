-- Issue 12, the steps users still lacked (grant pages):
--   * the finance officer (财务经办, role `finance`): the users' role CHECK admits it;
--   * willingness confirmation (意愿确认): a run records whether its item needs it
--     (`confirmation_required`, from the zone setting `grants.confirmation_items` when the
--     run is created); each grant's confirmation, at most one, with the bank account the
--     enterprise confirms (payee account; shown masked), who and when. A grant of such a run
--     goes into no payment file before it is confirmed (store::grants FILE_CANDIDATES).
-- PostgreSQL dialect; the SQLite twin is crates/store-sqlite/migrations/0027_finance_confirmation.sql.
-- Never edit once committed: add a file.
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role IN ('enterprise', 'cadre', 'department', 'leader', 'supervisor', 'policy', 'finance', 'admin'));

ALTER TABLE grant_runs ADD COLUMN confirmation_required BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE grant_confirmations (
    grant_id     BIGINT PRIMARY KEY REFERENCES grants (id),
    bank         TEXT NOT NULL,
    account      TEXT NOT NULL,
    confirmed_by TEXT NOT NULL,
    confirmed_at TIMESTAMPTZ NOT NULL
);
CREATE FUNCTION grant_confirmations_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'grant_confirmations is append-only';
END $$;
CREATE TRIGGER grant_confirmations_no_update BEFORE UPDATE ON grant_confirmations
    FOR EACH ROW EXECUTE FUNCTION grant_confirmations_append_only();
