-- A turn keeps the provider's id of the message it answers (SMS): a retried webhook with the
-- same id is the same turn, whatever sequence number it would get now; a message with another id
-- is a new turn, never swallowed by the sequence number another message already took.
ALTER TABLE turns ADD COLUMN message_id TEXT;
CREATE UNIQUE INDEX turns_message ON turns (tenant, conversation_id, message_id);
