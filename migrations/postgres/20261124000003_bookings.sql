-- Bookings and the time they (and holds) occupy.
CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE bookings (
    booking_id       UUID PRIMARY KEY,
    tenant_id        TEXT NOT NULL REFERENCES tenants (tenant_id),
    code             TEXT NOT NULL,
    service          TEXT NOT NULL,
    staff            TEXT,
    start_at         TIMESTAMPTZ NOT NULL,
    end_at           TIMESTAMPTZ NOT NULL CHECK (end_at > start_at),
    customer_name    TEXT NOT NULL,
    customer_phone   TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('confirmed', 'cancelled', 'completed', 'no_show')),
    source           TEXT NOT NULL CHECK (source IN ('phone', 'admin')),
    idempotency_key  TEXT,
    rescheduled_from UUID,
    rescheduled_to   UUID,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL
);

CREATE UNIQUE INDEX bookings_code ON bookings (tenant_id, code) WHERE status = 'confirmed';
CREATE UNIQUE INDEX bookings_idempotency ON bookings (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX bookings_by_start ON bookings (tenant_id, start_at);
CREATE INDEX bookings_by_phone ON bookings (tenant_id, customer_phone, start_at);

-- What is occupied: one row per confirmed booking (with its buffer) and per
-- hold. `staff` is '' when the shop has no roster. The exclusion constraint
-- makes double-booking impossible, also between gateways racing each other.
-- Expired holds are deleted in the same transaction before new blocks are written.
CREATE TABLE calendar_blocks (
    block_id   UUID PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants (tenant_id),
    staff      TEXT NOT NULL,
    start_at   TIMESTAMPTZ NOT NULL,
    until_at   TIMESTAMPTZ NOT NULL CHECK (until_at > start_at),
    kind       TEXT NOT NULL CHECK (kind IN ('hold', 'booking')),
    booking_id UUID,
    service    TEXT NOT NULL,
    end_at     TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ,
    CHECK ((kind = 'hold') = (expires_at IS NOT NULL)),
    CONSTRAINT calendar_blocks_no_overlap
        EXCLUDE USING gist (tenant_id WITH =, staff WITH =, tstzrange(start_at, until_at) WITH &&)
);
