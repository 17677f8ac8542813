-- Push (issue 12): the enterprises' inboxes after each match run, the channels messages go out
-- on, and the outbox a worker delivers from (store::push). PostgreSQL dialect; the SQLite twin
-- is crates/store-sqlite/migrations/0023_inbox_outbox.sql. Never edit once committed: add a file.
--
-- inbox_runs: one row per match run whose inbox is generated (or being generated), with the
-- run it is compared with and the last enterprise id written: a page of messages and the
-- cursor move in one transaction, so a generation cut off resumes where it stopped and never
-- writes a message twice.
CREATE TABLE inbox_runs (
    run_id           BIGINT PRIMARY KEY REFERENCES match_runs (id),
    previous_run     BIGINT REFERENCES match_runs (id),
    after_enterprise BIGINT NOT NULL DEFAULT 0,
    messages         BIGINT NOT NULL DEFAULT 0,
    started_at       TIMESTAMPTZ NOT NULL,
    done_at          TIMESTAMPTZ
);

-- One message to one enterprise: an item newly eligible in a run, or almost eligible (差一项:
-- missed by one condition, named in the body). read_at/read_by: when and by whom it was read.
CREATE TABLE inbox_messages (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    enterprise_id BIGINT NOT NULL REFERENCES enterprises (id),
    run_id        BIGINT NOT NULL REFERENCES match_runs (id),
    item          TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('newly_eligible', 'almost_eligible')),
    title         TEXT NOT NULL,
    body_zh       TEXT NOT NULL,
    body_en       TEXT NOT NULL,
    guide_href    TEXT,
    at            TIMESTAMPTZ NOT NULL,
    read_at       TIMESTAMPTZ,
    read_by       TEXT,
    UNIQUE (run_id, enterprise_id, item, kind)
);
CREATE INDEX inbox_messages_of ON inbox_messages (enterprise_id, id);
CREATE INDEX inbox_messages_unread ON inbox_messages (enterprise_id) WHERE read_at IS NULL;

-- Where messages go besides the inbox: a webhook, or an SMS or WeChat gateway (a webhook whose
-- body names the phone or openid and the text). The secret signs each request (HMAC-SHA256).
CREATE TABLE channels (
    name       TEXT PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('webhook', 'sms', 'wechat')),
    url        TEXT NOT NULL,
    secret     TEXT NOT NULL,
    enabled    BOOLEAN NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    created_by TEXT NOT NULL
);

-- How an enterprise is reached on the gateways (SMS phone, WeChat openid).
CREATE TABLE enterprise_contacts (
    enterprise_id BIGINT PRIMARY KEY REFERENCES enterprises (id),
    phone         TEXT,
    wechat_openid TEXT,
    updated_at    TIMESTAMPTZ NOT NULL,
    updated_by    TEXT NOT NULL
);

-- One delivery of one message on one channel, written in the inbox message's transaction.
-- next_ms / lease_ms: milliseconds since 1970 (when it is next due; until when a worker holds
-- it). state: pending → sent, or dead after the last attempt (last_error kept).
CREATE TABLE outbox (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id  BIGINT NOT NULL REFERENCES inbox_messages (id),
    channel     TEXT NOT NULL REFERENCES channels (name),
    state       TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'dead')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_ms     BIGINT NOT NULL,
    lease_owner TEXT,
    lease_ms    BIGINT,
    last_error  TEXT,
    sent_at     TIMESTAMPTZ,
    UNIQUE (message_id, channel)
);
CREATE INDEX outbox_due ON outbox (next_ms) WHERE state = 'pending';
CREATE INDEX outbox_state ON outbox (channel, state);
