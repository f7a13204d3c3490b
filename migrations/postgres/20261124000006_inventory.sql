-- What an inventory sync keeps between runs, per connection (one till
-- mirrored into one workbook, named by its sync key).

-- Where the last sync of a connection left off. No row: never synced, every
-- cursor at the start. Cursors are never negative; a row that says otherwise
-- is reported as corrupt rather than read as a place to resume from.
CREATE TABLE inventory_sync_state (
    sync_key         TEXT PRIMARY KEY,
    products_cursor  BIGINT NOT NULL,
    inventory_cursor BIGINT NOT NULL,
    sales_cursor     BIGINT NOT NULL,
    last_sync        TIMESTAMPTZ CHECK (isfinite(last_sync)), -- NULL: no successful sync yet
    updated_at       TIMESTAMPTZ NOT NULL
);

-- The rotating credential of each connection (the till's OAuth refresh
-- token): each save replaces the one before, which the till has voided.
CREATE TABLE inventory_credentials (
    credential_key TEXT PRIMARY KEY,                -- the sync key
    secret         TEXT NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL
);
