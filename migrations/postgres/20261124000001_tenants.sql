-- Tenants and the phone numbers they own.
-- Every tenant-owned row carries tenant_id; a number belongs to at most one
-- tenant, which the primary key enforces even under concurrent writes.
CREATE TABLE tenants (
    tenant_id  TEXT PRIMARY KEY,
    profile    JSONB NOT NULL,             -- canonical profile document
    status     TEXT NOT NULL CHECK (status IN ('active', 'disabled')),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE tenant_phone_numbers (
    phone_number TEXT PRIMARY KEY,         -- E.164
    tenant_id    TEXT NOT NULL REFERENCES tenants (tenant_id)
);

CREATE INDEX tenant_phone_numbers_by_tenant ON tenant_phone_numbers (tenant_id);
