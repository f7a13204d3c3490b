-- A question the owner answered (its answer added to the shop's knowledge)
-- is closed; it keeps its place in the list. SQLite names each question by
-- its rowid.
ALTER TABLE call_questions ADD COLUMN answered_at INTEGER; -- milliseconds since the epoch, UTC
