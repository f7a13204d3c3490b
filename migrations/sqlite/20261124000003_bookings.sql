-- Bookings and the time they (and holds) occupy. Times are unix milliseconds.

CREATE TABLE bookings (
    booking_id       TEXT PRIMARY KEY NOT NULL,
    tenant_id        TEXT NOT NULL REFERENCES tenants (tenant_id),
    code             TEXT NOT NULL,
    service          TEXT NOT NULL,
    staff            TEXT,
    start_at         INTEGER NOT NULL,
    end_at           INTEGER NOT NULL CHECK (end_at > start_at),
    customer_name    TEXT NOT NULL,
    customer_phone   TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('confirmed', 'cancelled', 'completed', 'no_show')),
    source           TEXT NOT NULL CHECK (source IN ('phone', 'admin')),
    idempotency_key  TEXT,
    rescheduled_from TEXT,
    rescheduled_to   TEXT,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
) STRICT;

CREATE UNIQUE INDEX bookings_code ON bookings (tenant_id, code) WHERE status = 'confirmed';
CREATE UNIQUE INDEX bookings_idempotency ON bookings (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX bookings_by_start ON bookings (tenant_id, start_at);
CREATE INDEX bookings_by_phone ON bookings (tenant_id, customer_phone, start_at);

-- What is occupied: one row per confirmed booking (with its buffer) and per
-- hold. `staff` is '' when the shop has no roster.
CREATE TABLE calendar_blocks (
    block_id   TEXT PRIMARY KEY NOT NULL,
    tenant_id  TEXT NOT NULL REFERENCES tenants (tenant_id),
    staff      TEXT NOT NULL,
    start_at   INTEGER NOT NULL,
    until_at   INTEGER NOT NULL CHECK (until_at > start_at),
    kind       TEXT NOT NULL CHECK (kind IN ('hold', 'booking')),
    booking_id TEXT,
    service    TEXT NOT NULL,
    end_at     INTEGER NOT NULL,
    expires_at INTEGER,
    CHECK ((kind = 'hold') = (expires_at IS NOT NULL))
) STRICT;

CREATE INDEX calendar_blocks_by_time ON calendar_blocks (tenant_id, staff, start_at);

-- The database refuses overlapping blocks of one staff member, whatever the
-- application checked before: the SQLite counterpart of PostgreSQL's
-- exclusion constraint. Expired holds are deleted in the same transaction
-- before new blocks are written.
CREATE TRIGGER calendar_blocks_no_overlap_insert
BEFORE INSERT ON calendar_blocks
WHEN EXISTS (
    SELECT 1 FROM calendar_blocks b
    WHERE b.tenant_id = NEW.tenant_id AND b.staff = NEW.staff
      AND b.start_at < NEW.until_at AND NEW.start_at < b.until_at
)
BEGIN
    SELECT RAISE(ABORT, 'calendar_conflict');
END;

CREATE TRIGGER calendar_blocks_no_overlap_update
BEFORE UPDATE OF staff, start_at, until_at ON calendar_blocks
WHEN EXISTS (
    SELECT 1 FROM calendar_blocks b
    WHERE b.block_id <> NEW.block_id AND b.tenant_id = NEW.tenant_id AND b.staff = NEW.staff
      AND b.start_at < NEW.until_at AND NEW.start_at < b.until_at
)
BEGIN
    SELECT RAISE(ABORT, 'calendar_conflict');
END;
