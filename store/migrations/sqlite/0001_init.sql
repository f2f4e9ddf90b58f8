-- Guichet store schema, SQLite. Instants are INTEGER milliseconds since the Unix epoch (UTC);
-- JSON is TEXT.

CREATE TABLE sessions (
    tenant          TEXT    NOT NULL,
    conversation_id TEXT    NOT NULL,
    channel         TEXT    NOT NULL CHECK (channel IN ('voice', 'sms', 'chat')),
    caller          TEXT,
    state           TEXT    NOT NULL,
    started_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    closed_at       INTEGER,
    end_reason      TEXT,
    PRIMARY KEY (tenant, conversation_id)
);
CREATE INDEX sessions_open_expiry ON sessions (expires_at) WHERE closed_at IS NULL;
CREATE INDEX sessions_caller ON sessions (tenant, channel, caller, updated_at);
CREATE INDEX sessions_started ON sessions (tenant, started_at);
CREATE INDEX sessions_updated ON sessions (tenant, updated_at);

CREATE TABLE turns (
    tenant          TEXT    NOT NULL,
    conversation_id TEXT    NOT NULL,
    seq             INTEGER NOT NULL,
    at              INTEGER NOT NULL,
    caller_text     TEXT    NOT NULL,
    reply_text      TEXT    NOT NULL,
    decision        TEXT    NOT NULL,
    action          TEXT    NOT NULL,
    fiche           TEXT,
    confidence      REAL,
    PRIMARY KEY (tenant, conversation_id, seq)
);
CREATE INDEX turns_at ON turns (tenant, at);

CREATE TABLE tickets (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    idempotency_key TEXT    NOT NULL UNIQUE,
    tenant          TEXT    NOT NULL,
    kind            TEXT    NOT NULL CHECK (kind IN ('transfer', 'callback', 'report')),
    state           TEXT    NOT NULL DEFAULT 'nouveau'
                    CHECK (state IN ('nouveau', 'pris_en_charge', 'termine', 'injoignable')),
    channel         TEXT    NOT NULL CHECK (channel IN ('voice', 'sms', 'chat')),
    conversation_id TEXT,
    caller_number   TEXT,
    topic           TEXT    NOT NULL,
    fiche           TEXT,
    summary         TEXT    NOT NULL,
    transcript      TEXT    NOT NULL,
    partner         TEXT,
    reference       TEXT,
    created_at      INTEGER NOT NULL,
    claimed_by      INTEGER,
    claimed_at      INTEGER,
    closed_by       INTEGER,
    closed_at       INTEGER,
    attempts        INTEGER NOT NULL DEFAULT 0,
    anonymised_at   INTEGER
);
CREATE INDEX tickets_queue ON tickets (tenant, state, created_at);
CREATE INDEX tickets_caller ON tickets (caller_number);

CREATE TABLE ticket_notes (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    at        INTEGER NOT NULL,
    author    INTEGER,
    body      TEXT    NOT NULL
);
CREATE INDEX ticket_notes_ticket ON ticket_notes (ticket_id);

CREATE TABLE outbox (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    idempotency_key     TEXT    NOT NULL UNIQUE,
    tenant              TEXT    NOT NULL,
    conversation_id     TEXT,
    recipient           TEXT    NOT NULL,
    sender              TEXT    NOT NULL,
    body                TEXT    NOT NULL,
    state               TEXT    NOT NULL DEFAULT 'pending'
                        CHECK (state IN ('pending', 'sending', 'sent', 'delivered', 'failed', 'dead')),
    attempts            INTEGER NOT NULL DEFAULT 0,
    next_attempt_at     INTEGER NOT NULL,
    last_error          TEXT,
    provider_message_id TEXT,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE state IN ('pending', 'sending');
CREATE INDEX outbox_provider ON outbox (provider_message_id);
CREATE INDEX outbox_recipient ON outbox (recipient);
CREATE INDEX outbox_tenant_updated ON outbox (tenant, updated_at);

CREATE TABLE staff (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    email         TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('standardiste', 'editeur', 'operateur', 'admin')),
    communes      TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE staff_sessions (
    token_hash TEXT    PRIMARY KEY,
    staff_id   INTEGER NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    csrf_token TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX staff_sessions_expiry ON staff_sessions (expires_at);

CREATE TABLE audit (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    at      INTEGER NOT NULL,
    actor   TEXT    NOT NULL,
    commune TEXT,
    action  TEXT    NOT NULL,
    detail  TEXT    NOT NULL
);
CREATE INDEX audit_commune_at ON audit (commune, at);

CREATE TABLE eval_runs (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    at      INTEGER NOT NULL,
    commune TEXT    NOT NULL,
    metrics TEXT    NOT NULL,
    report  TEXT    NOT NULL
);
CREATE INDEX eval_runs_commune_at ON eval_runs (commune, at);
