-- Learning beyond chat: the review deck (scheduled with FSRS) and its
-- append-only log, finished lessons, grammar answers, placement attempts,
-- levels, and one row of activity counts per language and day (so streaks and
-- charts read a few hundred rows, never the whole log). Times are Unix ms;
-- days are Unix days (UTC).
CREATE TABLE IF NOT EXISTS review_cards (
    id BIGSERIAL PRIMARY KEY,
    language TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('vocabulary', 'grammar', 'mistake')),
    -- What the card was made from: lesson/word, exercise id, message id:index.
    source_key TEXT NOT NULL,
    front TEXT NOT NULL,
    back TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    -- A mistake's correction type (grammar, spelling, …).
    correction_kind TEXT,
    -- The learner message a mistake came from; the card outlives it.
    message_id BIGINT REFERENCES messages(id) ON DELETE SET NULL,
    stability DOUBLE PRECISION,
    difficulty DOUBLE PRECISION,
    reps BIGINT NOT NULL DEFAULT 0,
    lapses BIGINT NOT NULL DEFAULT 0,
    due_at BIGINT NOT NULL,
    last_review_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS idx_cards_source ON review_cards (language, kind, source_key);
-- Covering: the due queue's count and the deck's counts read only the index.
CREATE INDEX IF NOT EXISTS idx_cards_due ON review_cards (language, due_at, reps);
-- Mistakes by kind over time, also from the index alone.
CREATE INDEX IF NOT EXISTS idx_cards_mistakes ON review_cards (language, kind, created_at, correction_kind);

-- Append-only: one row per rating. (card_id, rep) is unique, so two
-- concurrent ratings of one card cannot both be logged.
CREATE TABLE IF NOT EXISTS review_log (
    id BIGSERIAL PRIMARY KEY,
    card_id BIGINT NOT NULL REFERENCES review_cards(id),
    language TEXT NOT NULL,
    rep BIGINT NOT NULL,
    rating BIGINT NOT NULL CHECK (rating BETWEEN 1 AND 4),
    reviewed_at BIGINT NOT NULL,
    elapsed_days BIGINT NOT NULL,
    interval_days DOUBLE PRECISION NOT NULL,
    stability DOUBLE PRECISION NOT NULL,
    difficulty DOUBLE PRECISION NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS idx_review_log_card_rep ON review_log (card_id, rep);
CREATE INDEX IF NOT EXISTS idx_review_log_language ON review_log (language, reviewed_at);

CREATE TABLE IF NOT EXISTS lesson_completions (
    id BIGSERIAL PRIMARY KEY,
    language TEXT NOT NULL,
    lesson_kind TEXT NOT NULL CHECK (lesson_kind IN ('vocabulary', 'grammar')),
    lesson_id TEXT NOT NULL,
    score BIGINT NOT NULL,
    total BIGINT NOT NULL,
    completed_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_lesson_completions ON lesson_completions (language, lesson_id);

CREATE TABLE IF NOT EXISTS exercise_answers (
    id BIGSERIAL PRIMARY KEY,
    language TEXT NOT NULL,
    exercise_id TEXT NOT NULL,
    answer TEXT NOT NULL,
    correct BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_exercise_answers ON exercise_answers (language, created_at);

CREATE TABLE IF NOT EXISTS placement_attempts (
    id BIGSERIAL PRIMARY KEY,
    language TEXT NOT NULL,
    level TEXT NOT NULL,
    score BIGINT NOT NULL,
    total BIGINT NOT NULL,
    -- [{level, correct, total}] as JSON.
    by_level TEXT NOT NULL,
    answers TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_placement_attempts ON placement_attempts (language, created_at);

CREATE TABLE IF NOT EXISTS user_levels (
    language TEXT PRIMARY KEY,
    level TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('placement', 'manual')),
    updated_at BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS activity_days (
    language TEXT NOT NULL,
    day BIGINT NOT NULL,
    messages BIGINT NOT NULL DEFAULT 0,
    reviews BIGINT NOT NULL DEFAULT 0,
    reviews_passed BIGINT NOT NULL DEFAULT 0,
    lessons BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (language, day)
);
-- Messages written before this table existed.
INSERT INTO activity_days (language, day, messages)
SELECT c.language, m.created_at / 86400000, COUNT(*)
FROM messages m JOIN conversations c ON c.id = m.conversation_id
WHERE m.role = 'user'
GROUP BY c.language, m.created_at / 86400000;
