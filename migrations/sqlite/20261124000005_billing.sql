-- Plans and flag overrides, usage metering, cost caps, provider events,
-- invoices and the audit log. Times are unix milliseconds.

-- A tenant's standing: its plan, the operator's minute cap and what Stripe
-- knows it as. No row (or NULL columns) means nothing was ever recorded: the
-- tenant is on the default plan, without cap, customer or subscription. The
-- row is also the lock that per-tenant account writes take.
CREATE TABLE tenant_billing (
    tenant_id              TEXT PRIMARY KEY NOT NULL REFERENCES tenants (tenant_id),
    plan                   TEXT,                          -- NULL: never chosen (Plan::DEFAULT)
    minute_cap             INTEGER CHECK (minute_cap >= 0),
    stripe_customer_id     TEXT UNIQUE,
    stripe_subscription_id TEXT,
    subscription_status    TEXT,                          -- Stripe's word: active, past_due, …
    past_due_since         INTEGER
) STRICT;

-- Every plan a tenant was put on; billing prorates from it.
CREATE TABLE plan_changes (
    change_id INTEGER PRIMARY KEY,                          -- insertion order breaks ties
    tenant_id TEXT NOT NULL REFERENCES tenants (tenant_id),
    plan      TEXT NOT NULL,
    at        INTEGER NOT NULL
) STRICT;
CREATE INDEX plan_changes_by_tenant ON plan_changes (tenant_id, at, change_id);

-- The operator's per-tenant overrides; flags without a row follow the plan.
CREATE TABLE flag_overrides (
    tenant_id  TEXT NOT NULL REFERENCES tenants (tenant_id),
    flag       TEXT NOT NULL,
    enabled    INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, flag)
) STRICT;

-- Metered facts, each counted once per tenant and key (a repeated callback
-- or retried job finds its key taken).
CREATE TABLE usage_records (
    id          TEXT PRIMARY KEY NOT NULL,               -- the id Stripe deduplicates meter events by
    tenant_id   TEXT NOT NULL REFERENCES tenants (tenant_id),
    kind        TEXT NOT NULL,
    quantity    INTEGER NOT NULL CHECK (quantity >= 0),
    key         TEXT NOT NULL,
    period      TEXT NOT NULL,                           -- YYYY-MM, the tenant's local month
    occurred_at INTEGER NOT NULL,
    UNIQUE (tenant_id, key)
) STRICT;
CREATE INDEX usage_records_by_period ON usage_records (tenant_id, period, kind);

-- Soft (alert) and hard (suspend) cap decisions, once per tenant, period,
-- level and cap value, so an alert is sent once.
CREATE TABLE cap_decisions (
    tenant_id  TEXT NOT NULL REFERENCES tenants (tenant_id),
    period     TEXT NOT NULL,
    level      TEXT NOT NULL CHECK (level IN ('soft', 'hard')),
    cap        INTEGER NOT NULL,
    used       INTEGER NOT NULL,
    decided_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, period, level, cap)
) STRICT;

-- Payment provider events already handled, so a redelivery changes nothing.
CREATE TABLE provider_events (
    event_id    TEXT PRIMARY KEY NOT NULL,
    event_type  TEXT NOT NULL,
    tenant_id   TEXT REFERENCES tenants (tenant_id),     -- NULL when the event concerned no tenant
    received_at INTEGER NOT NULL
) STRICT;

-- One invoice per tenant and period: a draft, recomputed until finalized,
-- after which it never changes.
CREATE TABLE invoices (
    tenant_id    TEXT NOT NULL REFERENCES tenants (tenant_id),
    period       TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('draft', 'finalized')),
    currency     TEXT NOT NULL,
    total        INTEGER NOT NULL,                       -- minor units
    lines        TEXT NOT NULL,                          -- JSON array of invoice lines
    updated_at   INTEGER NOT NULL,
    finalized_at INTEGER,
    PRIMARY KEY (tenant_id, period),
    CHECK ((status = 'finalized') = (finalized_at IS NOT NULL))
) STRICT;

-- Every admin change. No foreign key: entries outlive what they describe.
CREATE TABLE audit_log (
    seq       INTEGER PRIMARY KEY,                       -- insertion order breaks ties
    id        TEXT NOT NULL UNIQUE,
    at        INTEGER NOT NULL,
    actor     TEXT NOT NULL,
    tenant_id TEXT,
    action    TEXT NOT NULL,
    target    TEXT NOT NULL,
    before    TEXT,                                      -- JSON
    after     TEXT                                       -- JSON
) STRICT;
CREATE INDEX audit_log_by_tenant ON audit_log (tenant_id, at);
CREATE INDEX audit_log_by_time ON audit_log (at);
