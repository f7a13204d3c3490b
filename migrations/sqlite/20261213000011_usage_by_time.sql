-- Every shop's usage since an instant, summed per UTC day (the operators'
-- cost-spike alert): read from the index alone.
CREATE INDEX usage_records_by_time ON usage_records (occurred_at, tenant_id, cost_micros);
