-- What an inventory sync keeps between runs, per connection (one till
-- mirrored into one workbook, named by its sync key). Times are unix
-- milliseconds.

-- Where the last sync of a connection left off. No row: never synced, every
-- cursor at the start. Cursors are never negative; a row that says otherwise
-- is reported as corrupt rather than read as a place to resume from.
CREATE TABLE inventory_sync_state (
    sync_key         TEXT PRIMARY KEY NOT NULL,
    products_cursor  INTEGER NOT NULL,
    inventory_cursor INTEGER NOT NULL,
    sales_cursor     INTEGER NOT NULL,
    last_sync        INTEGER,                     -- NULL: no successful sync yet
    updated_at       INTEGER NOT NULL
) STRICT;

-- The rotating credential of each connection (the till's OAuth refresh
-- token): each save replaces the one before, which the till has voided.
CREATE TABLE inventory_credentials (
    credential_key TEXT PRIMARY KEY NOT NULL,     -- the sync key
    secret         TEXT NOT NULL,
    updated_at     INTEGER NOT NULL
) STRICT;
