-- A turn's reply is found, and written, by (call_sid, turn_key): kept in that
-- key's own b-tree (WITHOUT ROWID), so saving a turn writes one page of it
-- instead of a table page and its key's index page.
CREATE TABLE call_replies_by_key (
    call_sid   TEXT NOT NULL REFERENCES calls (call_sid),
    turn_key   TEXT NOT NULL,
    reply      TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (call_sid, turn_key)
) STRICT, WITHOUT ROWID;
INSERT INTO call_replies_by_key (call_sid, turn_key, reply, created_at)
    SELECT call_sid, turn_key, reply, created_at FROM call_replies;
DROP TABLE call_replies;
ALTER TABLE call_replies_by_key RENAME TO call_replies;
