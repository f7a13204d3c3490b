-- Owners' events kept for their daily digest (`[notifications] digest =
-- true`), once per tenant and key. Times are unix milliseconds.
CREATE TABLE digest_entries (
    tenant_id  TEXT NOT NULL REFERENCES tenants (tenant_id),
    entry_key  TEXT NOT NULL,
    event      TEXT NOT NULL,
    body       TEXT NOT NULL,
    link       TEXT,
    at         INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, entry_key)
) STRICT;

-- A digest reads one tenant's day.
CREATE INDEX digest_entries_by_time ON digest_entries (tenant_id, at);
