-- Provisioning: each number a tenant is given (written before it is bought,
-- so a purchase retried after a timeout asks first and buys once), each
-- port-in request (its status kept current by the provider's events), and
-- each tenant's texting registration (A2P 10DLC). Times are unix
-- milliseconds.
CREATE TABLE number_orders (
    tenant_id    TEXT NOT NULL REFERENCES tenants (tenant_id),
    phone_number TEXT NOT NULL,                    -- E.164
    state        TEXT NOT NULL CHECK (state IN ('chosen', 'bought', 'attached', 'released')),
    number_sid   TEXT,                             -- PN…, once the account holds it
    attempts     INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0), -- purchase requests sent
    last_error   TEXT,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, phone_number)
) STRICT;

CREATE TABLE port_ins (
    port_in_sid   TEXT PRIMARY KEY NOT NULL,       -- KW…
    tenant_id     TEXT NOT NULL REFERENCES tenants (tenant_id),
    phone_number  TEXT NOT NULL,
    status        TEXT NOT NULL,
    number_status TEXT,
    signature_url TEXT,
    detail        TEXT,
    forwarding_to TEXT,                            -- the bought number the line forwards to meanwhile
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
) STRICT;
CREATE INDEX port_ins_by_tenant ON port_ins (tenant_id, created_at);

CREATE TABLE texting_registrations (
    tenant_id             TEXT PRIMARY KEY NOT NULL REFERENCES tenants (tenant_id),
    messaging_service_sid TEXT,                    -- MG…
    brand_sid             TEXT,                    -- BN…
    brand_status          TEXT,
    campaign_sid          TEXT,                    -- QE…
    campaign_status       TEXT,
    detail                TEXT,
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL
) STRICT;
