-- One opening per conversation: concurrent first requests used to store one
-- each. The opening is the conversation's first tutor message (as the app
-- has always read it); the unique index makes a second one impossible.
ALTER TABLE messages ADD COLUMN opening BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE messages SET opening = TRUE WHERE id IN (
    SELECT MIN(id) FROM messages WHERE role = 'assistant' GROUP BY conversation_id
);
CREATE UNIQUE INDEX IF NOT EXISTS idx_messages_one_opening ON messages (conversation_id) WHERE opening;
