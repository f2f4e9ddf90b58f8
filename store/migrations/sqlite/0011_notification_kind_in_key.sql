-- A notification's kind (e-mail, webhook) is the first part of its destination key
-- (`email:…`, `webhook:…`): the separate `channel` column said it twice, and its CHECK made
-- every new kind of destination a schema change.
ALTER TABLE notifications DROP COLUMN channel;
