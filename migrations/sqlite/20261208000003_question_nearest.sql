-- An unanswered question keeps the passage that came closest (its source id
-- and the share of the question's words it holds): where the owner looks
-- first when answering it.
ALTER TABLE call_questions ADD COLUMN nearest_source TEXT;
ALTER TABLE call_questions ADD COLUMN nearest_coverage REAL;
