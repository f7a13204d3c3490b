-- What each metered fact cost at the provider (model tokens at the price
-- table's price), in US micro-dollars; 0 for what is not priced per use.
ALTER TABLE usage_records ADD COLUMN cost_micros BIGINT NOT NULL DEFAULT 0 CHECK (cost_micros >= 0);

-- Cap decisions now say which cap they concern: call minutes, or model
-- spend (the AI budget); the key gains the metric.
ALTER TABLE cap_decisions ADD COLUMN metric TEXT NOT NULL DEFAULT 'minutes'
    CHECK (metric IN ('minutes', 'ai_spend'));
ALTER TABLE cap_decisions DROP CONSTRAINT cap_decisions_pkey;
ALTER TABLE cap_decisions ADD PRIMARY KEY (tenant_id, period, metric, level, cap);
