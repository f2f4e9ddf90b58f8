-- The SMS guard: an SMS refused by the commune's policy (destination, daily cap per
-- recipient, daily budget) is kept with state 'refused' and its reason, never dropped.
ALTER TABLE outbox DROP CONSTRAINT IF EXISTS outbox_state_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_state_check
    CHECK (state IN ('pending', 'sending', 'sent', 'delivered', 'failed', 'dead', 'refused'));
ALTER TABLE outbox ADD COLUMN refusal TEXT
    CHECK (refusal IS NULL OR refusal IN ('destination', 'plafond_destinataire', 'budget'));
-- The guard counts a commune's SMS of the day, and a recipient's.
CREATE INDEX outbox_tenant_created ON outbox (tenant, created_at);
CREATE INDEX outbox_tenant_recipient_created ON outbox (tenant, recipient, created_at);

-- API keys of the JSON API: only the SHA-256 of the token is kept.
CREATE TABLE api_keys (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant     TEXT        NOT NULL,
    name       TEXT        NOT NULL,
    kind       TEXT        NOT NULL CHECK (kind IN ('server', 'public')),
    token_hash TEXT        NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ
);
CREATE INDEX api_keys_tenant ON api_keys (tenant);
