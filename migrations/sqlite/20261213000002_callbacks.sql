-- A call back owed to a caller who wanted a person and did not get one.
-- One per call. Times are unix milliseconds.
CREATE TABLE callbacks (
    call_sid       TEXT PRIMARY KEY REFERENCES calls (call_sid),
    tenant_id      TEXT NOT NULL REFERENCES tenants (tenant_id),
    caller         TEXT,
    name           TEXT,
    reason         TEXT NOT NULL,
    recording_url  TEXT,
    transcript     TEXT,
    status         TEXT NOT NULL CHECK (status IN ('open', 'done')),
    created_at     INTEGER NOT NULL,
    done_at        INTEGER
) STRICT;
CREATE INDEX callbacks_by_tenant ON callbacks (tenant_id, status, created_at);
