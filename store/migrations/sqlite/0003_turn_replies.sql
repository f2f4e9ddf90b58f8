-- A turn keeps what the provider was answered, so that a retried webhook gets the same answer
-- without the session row carrying the last reply (rewritten on every turn, it made the row
-- fill a whole page).
ALTER TABLE turns ADD COLUMN reply TEXT;

-- A session's channel and caller are set once: its caller index no longer holds `updated_at`,
-- which every turn changes (each change moved the entry, a page written per turn).
DROP INDEX sessions_caller;
CREATE INDEX sessions_caller ON sessions (tenant, channel, caller);

-- Sessions saved before kept their last reply, the caller's number in clear included: dropped
-- (the retried webhook of such a turn is answered from its transcript line).
UPDATE sessions SET state = json_remove(state, '$.last.reply')
WHERE CASE WHEN json_valid(state) THEN json_type(state, '$.last.reply') IS NOT NULL ELSE 0 END;
