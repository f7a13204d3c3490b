-- The web pages' reads of many rows at once: a shop's (or every shop's)
-- model use by call over a period, every shop's usage of a month, and
-- every shop's calls of a period.
CREATE INDEX usage_records_by_tenant_kind_time ON usage_records (tenant_id, kind, occurred_at);
CREATE INDEX usage_records_by_kind_time ON usage_records (kind, occurred_at);
CREATE INDEX usage_records_by_month ON usage_records (period, tenant_id, kind);
CREATE INDEX calls_by_start_all_tenants ON calls (started_at);
