-- Calls' model use as the pages read it (a shop's calls of a period, or
-- every shop's on the operator's pages): the indexes by kind and time also
-- hold each record's key, quantity and cost, so those records are read from
-- the index alone, not row by row from the table.
DROP INDEX usage_records_by_tenant_kind_time;
CREATE INDEX usage_records_by_tenant_kind_time ON usage_records (
    tenant_id, kind, occurred_at, key, quantity, cost_micros
);
DROP INDEX usage_records_by_kind_time;
CREATE INDEX usage_records_by_kind_time ON usage_records (kind, occurred_at, tenant_id, key, quantity, cost_micros);
