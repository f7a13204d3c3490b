-- Each shop's usage of each of its months, kept as usage is recorded: every
-- call's start (the caps) and every operator page (every shop's month) read
-- it, and summing the month's records on each read cost ever more as the
-- month went on. The trigger adds each record as it is inserted (a record
-- whose key was taken inserts nothing and adds nothing); records are never
-- changed, and deleted only with their shop (which deletes its totals).
CREATE TABLE usage_totals (
    tenant_id   TEXT NOT NULL REFERENCES tenants (tenant_id),
    period      TEXT NOT NULL,                           -- YYYY-MM, the tenant's local month
    kind        TEXT NOT NULL,
    quantity    INTEGER NOT NULL,
    cost_micros INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, period, kind)
) STRICT;
CREATE INDEX usage_totals_by_period ON usage_totals (period, tenant_id, kind, quantity, cost_micros);

INSERT INTO usage_totals (tenant_id, period, kind, quantity, cost_micros)
SELECT tenant_id, period, kind, SUM(quantity), SUM(cost_micros) FROM usage_records GROUP BY tenant_id, period, kind;

CREATE TRIGGER usage_records_add_to_totals AFTER INSERT ON usage_records
BEGIN
    INSERT INTO usage_totals (tenant_id, period, kind, quantity, cost_micros)
    VALUES (NEW.tenant_id, NEW.period, NEW.kind, NEW.quantity, NEW.cost_micros)
    ON CONFLICT (tenant_id, period, kind) DO UPDATE
        SET quantity = quantity + excluded.quantity, cost_micros = cost_micros + excluded.cost_micros;
END;

-- Nothing sums the records by month any more.
DROP INDEX usage_records_by_period;
DROP INDEX usage_records_by_month;
