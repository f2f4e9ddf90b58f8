-- A turn keeps what the provider was answered, so that a retried webhook gets the same answer
-- without the session row carrying the last reply, rewritten on every turn.
ALTER TABLE turns ADD COLUMN reply JSONB;

-- A session's channel and caller are set once: its caller index no longer holds `updated_at`,
-- which every turn changes.
DROP INDEX sessions_caller;
CREATE INDEX sessions_caller ON sessions (tenant, channel, caller);

-- Sessions saved before kept their last reply, the caller's number in clear included: dropped
-- (the retried webhook of such a turn is answered from its transcript line).
UPDATE sessions SET state = state #- '{last,reply}' WHERE state #> '{last,reply}' IS NOT NULL;
