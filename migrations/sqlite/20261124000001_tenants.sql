-- Tenants and the phone numbers they own.
-- Every tenant-owned row carries tenant_id; a number belongs to at most one
-- tenant, which the primary key enforces even under concurrent writes.
CREATE TABLE tenants (
    tenant_id  TEXT PRIMARY KEY NOT NULL,
    profile    TEXT NOT NULL,              -- canonical profile document (JSON)
    status     TEXT NOT NULL CHECK (status IN ('active', 'disabled')),
    created_at TEXT NOT NULL,              -- RFC 3339, UTC
    updated_at TEXT NOT NULL
) STRICT;

CREATE TABLE tenant_phone_numbers (
    phone_number TEXT PRIMARY KEY NOT NULL, -- E.164
    tenant_id    TEXT NOT NULL REFERENCES tenants (tenant_id)
) STRICT;

CREATE INDEX tenant_phone_numbers_by_tenant ON tenant_phone_numbers (tenant_id);
