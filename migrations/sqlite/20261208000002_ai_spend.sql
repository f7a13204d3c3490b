-- What each metered fact cost at the provider (model tokens at the price
-- table's price), in US micro-dollars; 0 for what is not priced per use.
ALTER TABLE usage_records ADD COLUMN cost_micros INTEGER NOT NULL DEFAULT 0 CHECK (cost_micros >= 0);

-- Cap decisions now say which cap they concern: call minutes, or model
-- spend (the AI budget). The key gains the metric, so a table rebuild.
CREATE TABLE cap_decisions_new (
    tenant_id  TEXT NOT NULL REFERENCES tenants (tenant_id),
    period     TEXT NOT NULL,
    metric     TEXT NOT NULL DEFAULT 'minutes' CHECK (metric IN ('minutes', 'ai_spend')),
    level      TEXT NOT NULL CHECK (level IN ('soft', 'hard')),
    cap        INTEGER NOT NULL,
    used       INTEGER NOT NULL,
    decided_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, period, metric, level, cap)
) STRICT;
INSERT INTO cap_decisions_new (tenant_id, period, metric, level, cap, used, decided_at)
    SELECT tenant_id, period, 'minutes', level, cap, used, decided_at FROM cap_decisions;
DROP TABLE cap_decisions;
ALTER TABLE cap_decisions_new RENAME TO cap_decisions;
