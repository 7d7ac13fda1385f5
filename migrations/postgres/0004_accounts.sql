-- Accounts: every learner's rows carry their `user_id`. Learner 1 is the
-- local learner of BABBLR_AUTH=off and owns every row written before
-- accounts existed; the first account to sign up takes it over, data and
-- all, and is an admin. Usernames are stored lower-cased.
CREATE TABLE IF NOT EXISTS users (
    id BIGSERIAL PRIMARY KEY,
    -- NULL until the local learner is claimed by the first sign-up.
    username TEXT,
    password_hash TEXT,
    is_admin BOOLEAN NOT NULL DEFAULT FALSE,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS idx_users_username ON users (username);
INSERT INTO users (id, username, password_hash, is_admin, disabled, created_at)
VALUES (1, NULL, NULL, TRUE, FALSE, 0);
-- The explicit id does not move the sequence.
SELECT setval(pg_get_serial_sequence('users', 'id'), 1);

-- Server-side sessions (tower-sessions records, as JSON). `user_id` lets a
-- password change or a disabled account end every session of that learner.
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    user_id BIGINT,
    data TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_sessions_user ON sessions (user_id);
CREATE INDEX IF NOT EXISTS idx_sessions_expiry ON sessions (expires_at);

-- Invitation links: only the token's SHA-256 is kept.
CREATE TABLE IF NOT EXISTS invites (
    token_hash TEXT PRIMARY KEY,
    created_by BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_by BIGINT
);

ALTER TABLE conversations ADD COLUMN user_id BIGINT NOT NULL DEFAULT 1 REFERENCES users(id);
CREATE INDEX IF NOT EXISTS idx_conversations_user ON conversations (user_id, id);

ALTER TABLE review_cards ADD COLUMN user_id BIGINT NOT NULL DEFAULT 1 REFERENCES users(id);
DROP INDEX IF EXISTS idx_cards_source;
CREATE UNIQUE INDEX IF NOT EXISTS idx_cards_source ON review_cards (user_id, language, kind, source_key);
DROP INDEX IF EXISTS idx_cards_due;
CREATE INDEX IF NOT EXISTS idx_cards_due ON review_cards (user_id, language, due_at, reps);
DROP INDEX IF EXISTS idx_cards_mistakes;
CREATE INDEX IF NOT EXISTS idx_cards_mistakes ON review_cards (user_id, language, kind, created_at, correction_kind);

ALTER TABLE review_log ADD COLUMN user_id BIGINT NOT NULL DEFAULT 1 REFERENCES users(id);
DROP INDEX IF EXISTS idx_review_log_language;
CREATE INDEX IF NOT EXISTS idx_review_log_user ON review_log (user_id, language, reviewed_at);

ALTER TABLE lesson_completions ADD COLUMN user_id BIGINT NOT NULL DEFAULT 1 REFERENCES users(id);
DROP INDEX IF EXISTS idx_lesson_completions;
CREATE INDEX IF NOT EXISTS idx_lesson_completions ON lesson_completions (user_id, language, lesson_id);

ALTER TABLE exercise_answers ADD COLUMN user_id BIGINT NOT NULL DEFAULT 1 REFERENCES users(id);
DROP INDEX IF EXISTS idx_exercise_answers;
CREATE INDEX IF NOT EXISTS idx_exercise_answers ON exercise_answers (user_id, language, created_at);

ALTER TABLE placement_attempts ADD COLUMN user_id BIGINT NOT NULL DEFAULT 1 REFERENCES users(id);
DROP INDEX IF EXISTS idx_placement_attempts;
CREATE INDEX IF NOT EXISTS idx_placement_attempts ON placement_attempts (user_id, language, created_at);

-- Tables keyed by language alone get the learner in their key.
CREATE TABLE user_levels_new (
    user_id BIGINT NOT NULL,
    language TEXT NOT NULL,
    level TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('placement', 'manual')),
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, language)
);
INSERT INTO user_levels_new (user_id, language, level, source, updated_at)
SELECT 1, language, level, source, updated_at FROM user_levels;
DROP TABLE user_levels;
ALTER TABLE user_levels_new RENAME TO user_levels;

CREATE TABLE activity_days_new (
    user_id BIGINT NOT NULL,
    language TEXT NOT NULL,
    day BIGINT NOT NULL,
    messages BIGINT NOT NULL DEFAULT 0,
    reviews BIGINT NOT NULL DEFAULT 0,
    reviews_passed BIGINT NOT NULL DEFAULT 0,
    lessons BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, language, day)
);
INSERT INTO activity_days_new (user_id, language, day, messages, reviews, reviews_passed, lessons)
SELECT 1, language, day, messages, reviews, reviews_passed, lessons FROM activity_days;
DROP TABLE activity_days;
ALTER TABLE activity_days_new RENAME TO activity_days;
