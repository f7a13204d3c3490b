-- A numbered choice a text offered one number ("reply 1, 2 or 3"), until
-- it is answered or expires. One per number and tenant.
CREATE TABLE sms_offers (
    tenant_id   TEXT NOT NULL REFERENCES tenants (tenant_id),
    phone       TEXT NOT NULL,
    payload     TEXT NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, phone)
);
