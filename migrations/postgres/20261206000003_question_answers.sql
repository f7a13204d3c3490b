-- A question the owner answered (its answer added to the shop's knowledge)
-- is closed; it keeps its place in the list. Each question gets an id.
ALTER TABLE call_questions ADD COLUMN question_id BIGINT GENERATED ALWAYS AS IDENTITY;
ALTER TABLE call_questions ADD COLUMN answered_at TIMESTAMPTZ;
CREATE UNIQUE INDEX call_questions_by_id ON call_questions (question_id);
