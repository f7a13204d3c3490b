-- The till's stock per product and outlet as a sync last read it, per
-- connection (named by its sync key). Stock summed over outlets needs every
-- outlet's level of a product whose stock changed at one of them; keeping
-- the levels lets a sync read only the stock feed's changes.
--
-- A level replaces the kept one unless that one has a higher version.
CREATE TABLE inventory_stock_levels (
    sync_key   TEXT NOT NULL,
    product_id TEXT NOT NULL,
    outlet_id  TEXT NOT NULL,
    on_hand    BIGINT NOT NULL,                     -- negative when the till sold more than it had
    deleted    BOOLEAN NOT NULL,
    version    BIGINT NOT NULL,
    PRIMARY KEY (sync_key, product_id, outlet_id)
);
