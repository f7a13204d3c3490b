-- Since when a connection's QtySold column counts sales: the earliest sale
-- its first sync counted, or that sync when the till had none. NULL: not
-- known (a state saved before this was kept, until the SalesLog says).
ALTER TABLE inventory_sync_state ADD COLUMN sales_since TIMESTAMPTZ CHECK (isfinite(sales_since));
