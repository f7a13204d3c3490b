-- Phone calls, their per-turn replies, unanswered questions, texts and
-- opt-outs. Times are unix milliseconds.
CREATE TABLE calls (
    call_sid      TEXT PRIMARY KEY NOT NULL,
    tenant_id     TEXT NOT NULL REFERENCES tenants (tenant_id),
    caller        TEXT,
    called        TEXT NOT NULL,
    status        TEXT NOT NULL,
    started_at    INTEGER NOT NULL,
    ended_at      INTEGER,
    duration_secs INTEGER,
    outcome       TEXT,
    booking_id    TEXT,
    recording_url TEXT,
    state         TEXT NOT NULL,              -- the dialogue's own JSON
    turns         TEXT NOT NULL DEFAULT '[]', -- transcript (JSON array)
    last_sequence INTEGER NOT NULL DEFAULT -1,
    updated_at    INTEGER NOT NULL
) STRICT;
CREATE INDEX calls_by_start ON calls (tenant_id, started_at);

-- The reply to each answered turn, so a repeated webhook gets it again.
CREATE TABLE call_replies (
    call_sid   TEXT NOT NULL REFERENCES calls (call_sid),
    turn_key   TEXT NOT NULL,
    reply      TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (call_sid, turn_key)
) STRICT;

-- Questions the shop's profile could not answer ("FAQ gaps").
CREATE TABLE call_questions (
    tenant_id TEXT NOT NULL REFERENCES tenants (tenant_id),
    call_sid  TEXT NOT NULL,
    question  TEXT NOT NULL,
    asked_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX call_questions_by_tenant ON call_questions (tenant_id, asked_at);

CREATE TABLE messages (
    message_id  TEXT PRIMARY KEY NOT NULL,
    tenant_id   TEXT NOT NULL REFERENCES tenants (tenant_id),
    to_number   TEXT NOT NULL,
    from_number TEXT NOT NULL,
    body        TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'failed')),
    provider_id TEXT,
    booking_id  TEXT,
    error       TEXT,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX messages_by_tenant ON messages (tenant_id, created_at);

CREATE TABLE sms_opt_outs (
    tenant_id     TEXT NOT NULL REFERENCES tenants (tenant_id),
    phone         TEXT NOT NULL,
    opted_out_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, phone)
) STRICT;
