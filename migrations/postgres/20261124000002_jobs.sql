-- Durable jobs.
CREATE TABLE jobs (
    job_id       UUID PRIMARY KEY,
    tenant_id    TEXT,                       -- NULL for platform jobs
    kind         TEXT NOT NULL,
    payload      JSONB NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('queued', 'running', 'failed', 'succeeded', 'dead', 'cancelled')),
    attempts     INTEGER NOT NULL DEFAULT 0, -- attempts started, including a running one
    max_attempts INTEGER NOT NULL CHECK (max_attempts >= 1),
    run_at       TIMESTAMPTZ NOT NULL,       -- not before
    unique_key   TEXT,
    last_error   TEXT,
    locked_by    TEXT,                       -- worker holding the lease
    locked_until TIMESTAMPTZ,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    finished_at  TIMESTAMPTZ
);

-- A unique key is taken by any job that is not cancelled.
CREATE UNIQUE INDEX jobs_unique_key ON jobs (unique_key) WHERE unique_key IS NOT NULL AND state <> 'cancelled';
-- Claims scan only the jobs that can be due.
CREATE INDEX jobs_due ON jobs (run_at) WHERE state IN ('queued', 'failed', 'running');
CREATE INDEX jobs_recent ON jobs (updated_at);

-- What handlers did, so a retry does not repeat a side effect.
CREATE TABLE job_effects (
    job_id      UUID NOT NULL,
    effect      TEXT NOT NULL,
    value       TEXT NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (job_id, effect)
);

-- Recurring jobs: one row per schedule, advanced by compare-and-set.
CREATE TABLE job_schedules (
    name        TEXT PRIMARY KEY,
    definition  TEXT NOT NULL,
    next_run_at TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
