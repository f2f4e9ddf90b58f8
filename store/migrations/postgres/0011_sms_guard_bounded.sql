-- The SMS guard counts only the SMS it let through today, and stops counting at the cap: a
-- flood of refused SMS, or a busy day, must not make every next SMS slower (it counted every
-- row of the day, refused ones included, through the whole index range).
DROP INDEX IF EXISTS outbox_tenant_created;
DROP INDEX IF EXISTS outbox_tenant_recipient_created;
CREATE INDEX outbox_guard_day ON outbox (tenant, created_at) WHERE state <> 'refused';
CREATE INDEX outbox_guard_recipient ON outbox (tenant, recipient, created_at) WHERE state <> 'refused';
