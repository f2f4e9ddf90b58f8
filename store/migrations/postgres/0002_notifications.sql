-- Ticket notifications (e-mail, webhook): one row per ticket and destination, created once
-- whichever node sees the ticket first, delivered by whichever worker leases it.

CREATE TABLE notifications (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant          TEXT        NOT NULL,
    ticket_id       BIGINT      NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    destination     TEXT        NOT NULL,
    channel         TEXT        NOT NULL CHECK (channel IN ('email', 'webhook')),
    state           TEXT        NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'dead')),
    attempts        INTEGER     NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ,
    lease_until     TIMESTAMPTZ,
    last_error      TEXT,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    sent_at         TIMESTAMPTZ,
    UNIQUE (ticket_id, destination)
);
CREATE INDEX notifications_due ON notifications (next_attempt_at) WHERE state IN ('pending', 'failed');
CREATE INDEX notifications_lease ON notifications (lease_until) WHERE state = 'sending';
CREATE INDEX notifications_tenant_created ON notifications (tenant, created_at);
