-- Conversations and their messages. Times are Unix milliseconds.
CREATE TABLE IF NOT EXISTS conversations (
    id BIGSERIAL PRIMARY KEY,
    language TEXT NOT NULL,
    difficulty_level TEXT NOT NULL,
    topic_id TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS messages (
    id BIGSERIAL PRIMARY KEY,
    conversation_id BIGINT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
    content TEXT NOT NULL,
    translation TEXT,
    corrected_text TEXT,
    corrections TEXT,
    created_at BIGINT NOT NULL
);

-- Messages are always read by conversation, in order.
CREATE INDEX IF NOT EXISTS idx_messages_conversation ON messages (conversation_id, id);
