-- Provisioning: each number a tenant is given (written before it is bought,
-- so a purchase retried after a timeout asks first and buys once), each
-- port-in request (its status kept current by the provider's events), and
-- each tenant's texting registration (A2P 10DLC).
CREATE TABLE number_orders (
    tenant_id    TEXT NOT NULL REFERENCES tenants (tenant_id),
    phone_number TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('chosen', 'bought', 'attached', 'released')),
    number_sid   TEXT,
    attempts     BIGINT NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error   TEXT,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, phone_number)
);

CREATE TABLE port_ins (
    port_in_sid   TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants (tenant_id),
    phone_number  TEXT NOT NULL,
    status        TEXT NOT NULL,
    number_status TEXT,
    signature_url TEXT,
    detail        TEXT,
    forwarding_to TEXT,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX port_ins_by_tenant ON port_ins (tenant_id, created_at);

CREATE TABLE texting_registrations (
    tenant_id             TEXT PRIMARY KEY REFERENCES tenants (tenant_id),
    messaging_service_sid TEXT,
    brand_sid             TEXT,
    brand_status          TEXT,
    campaign_sid          TEXT,
    campaign_status       TEXT,
    detail                TEXT,
    created_at            TIMESTAMPTZ NOT NULL,
    updated_at            TIMESTAMPTZ NOT NULL
);
