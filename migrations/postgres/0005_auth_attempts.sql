-- Failed sign-ins and sign-ups, for their limits. Kept in the database so
-- that every process of one deployment counts the same attempts.
CREATE TABLE IF NOT EXISTS auth_attempts (
    key TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_auth_attempts_key ON auth_attempts (key, at);
CREATE INDEX IF NOT EXISTS idx_auth_attempts_at ON auth_attempts (at);
