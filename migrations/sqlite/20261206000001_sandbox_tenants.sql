-- What a tenant is for: 'live' (a shop) or 'sandbox' (test traffic from
-- adminctl loadtest and simulate: never billed, texts never sent, purged
-- with every row when the run ends). Existing tenants are shops.
ALTER TABLE tenants ADD COLUMN kind TEXT NOT NULL DEFAULT 'live' CHECK (kind IN ('live', 'sandbox'));
