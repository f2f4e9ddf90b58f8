-- The SMS guard: an SMS refused by the commune's policy (destination, daily cap per
-- recipient, daily budget) is kept with state 'refused' and its reason, never dropped.
-- SQLite cannot change a CHECK constraint: the outbox is rebuilt with the new state.
CREATE TABLE outbox_new (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    idempotency_key     TEXT    NOT NULL UNIQUE,
    tenant              TEXT    NOT NULL,
    conversation_id     TEXT,
    recipient           TEXT    NOT NULL,
    sender              TEXT    NOT NULL,
    body                TEXT    NOT NULL,
    state               TEXT    NOT NULL DEFAULT 'pending'
                        CHECK (state IN ('pending', 'sending', 'sent', 'delivered', 'failed', 'dead', 'refused')),
    attempts            INTEGER NOT NULL DEFAULT 0,
    next_attempt_at     INTEGER NOT NULL,
    last_error          TEXT,
    provider_message_id TEXT,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    refusal             TEXT
                        CHECK (refusal IS NULL OR refusal IN ('destination', 'plafond_destinataire', 'budget'))
);
INSERT INTO outbox_new (id, idempotency_key, tenant, conversation_id, recipient, sender, body,
    state, attempts, next_attempt_at, last_error, provider_message_id, created_at, updated_at)
SELECT id, idempotency_key, tenant, conversation_id, recipient, sender, body,
    state, attempts, next_attempt_at, last_error, provider_message_id, created_at, updated_at
FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE state IN ('pending', 'sending');
CREATE INDEX outbox_provider ON outbox (provider_message_id);
CREATE INDEX outbox_recipient ON outbox (recipient);
CREATE INDEX outbox_tenant_updated ON outbox (tenant, updated_at);
-- The guard counts a commune's SMS of the day, and a recipient's.
CREATE INDEX outbox_tenant_created ON outbox (tenant, created_at);
CREATE INDEX outbox_tenant_recipient_created ON outbox (tenant, recipient, created_at);

-- API keys of the JSON API: only the SHA-256 of the token is kept.
CREATE TABLE api_keys (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant     TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    kind       TEXT    NOT NULL CHECK (kind IN ('server', 'public')),
    token_hash TEXT    NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE INDEX api_keys_tenant ON api_keys (tenant);
