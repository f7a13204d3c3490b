-- Signing in to the web pages: owners' challenges (a link and a 6-digit
-- code), browsers' sessions and operators' passwords. Secrets are never
-- stored: links, codes and session tokens as SHA-256 hex digests, passwords
-- as argon2id PHC strings. Times are unix milliseconds, so expiry
-- comparisons in SQL are exact.
CREATE TABLE login_challenges (
    challenge_id TEXT PRIMARY KEY NOT NULL,   -- UUID
    tenant_id    TEXT NOT NULL REFERENCES tenants (tenant_id),
    link_digest  TEXT NOT NULL UNIQUE,
    code_digest  TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0), -- wrong codes so far
    spent_at     INTEGER                      -- used, or too many wrong codes
) STRICT;
-- The newest of a shop, and how many it was sent lately.
CREATE INDEX login_challenges_by_tenant ON login_challenges (tenant_id, created_at);

CREATE TABLE web_sessions (
    token_digest TEXT PRIMARY KEY NOT NULL,
    principal    TEXT NOT NULL,               -- 'owner:<slug>' or 'operator:<email>'
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
) STRICT;
-- Signing out everywhere.
CREATE INDEX web_sessions_by_principal ON web_sessions (principal);

CREATE TABLE operators (
    email         TEXT PRIMARY KEY NOT NULL,  -- lower-cased
    password_hash TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
) STRICT;
