-- Durable jobs. Times are unix milliseconds (INTEGER) so that due/lease
-- comparisons in SQL are exact.
CREATE TABLE jobs (
    job_id       TEXT PRIMARY KEY NOT NULL,
    tenant_id    TEXT,                       -- NULL for platform jobs
    kind         TEXT NOT NULL,
    payload      TEXT NOT NULL,              -- JSON
    state        TEXT NOT NULL CHECK (state IN ('queued', 'running', 'failed', 'succeeded', 'dead', 'cancelled')),
    attempts     INTEGER NOT NULL DEFAULT 0, -- attempts started, including a running one
    max_attempts INTEGER NOT NULL CHECK (max_attempts >= 1),
    run_at       INTEGER NOT NULL,           -- not before
    unique_key   TEXT,
    last_error   TEXT,
    locked_by    TEXT,                       -- worker holding the lease
    locked_until INTEGER,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    finished_at  INTEGER
) STRICT;

-- A unique key is taken by any job that is not cancelled.
CREATE UNIQUE INDEX jobs_unique_key ON jobs (unique_key) WHERE unique_key IS NOT NULL AND state <> 'cancelled';
CREATE INDEX jobs_due ON jobs (state, run_at);
CREATE INDEX jobs_recent ON jobs (updated_at);

-- What handlers did, so a retry does not repeat a side effect.
CREATE TABLE job_effects (
    job_id      TEXT NOT NULL,
    effect      TEXT NOT NULL,
    value       TEXT NOT NULL,
    recorded_at INTEGER NOT NULL,
    PRIMARY KEY (job_id, effect)
) STRICT;

-- Recurring jobs: one row per schedule, advanced by compare-and-set.
CREATE TABLE job_schedules (
    name        TEXT PRIMARY KEY NOT NULL,
    definition  TEXT NOT NULL,
    next_run_at INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
) STRICT;
