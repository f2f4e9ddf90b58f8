-- A turn keeps what the provider was answered, so that a retried webhook gets the same answer
-- without the session row carrying the last reply (rewritten on every turn, it made the row
-- fill a whole page).
ALTER TABLE turns ADD COLUMN reply TEXT;

-- A session's channel and caller are set once: its caller index no longer holds `updated_at`,
-- which every turn changes (each change moved the entry, a page written per turn).
DROP INDEX sessions_caller;
CREATE INDEX sessions_caller ON sessions (tenant, channel, caller);
