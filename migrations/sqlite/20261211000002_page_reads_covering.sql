-- The operator's pages read every shop's calls of a period and every shop's
-- usage of a month: indexes that hold what those reads select, so a
-- thousand shops' rows are read from the index alone, not row by row from
-- the tables (a call's row carries its whole transcript). And every shop's
-- texts of the last day (failing texts).
DROP INDEX calls_by_start_all_tenants;
CREATE INDEX calls_summaries_by_start ON calls (
    started_at, tenant_id, call_sid, caller, called, status, ended_at, duration_secs, outcome, booking_id
);
DROP INDEX usage_records_by_month;
CREATE INDEX usage_records_by_month ON usage_records (period, tenant_id, kind, quantity, cost_micros);
CREATE INDEX messages_by_time ON messages (created_at);
