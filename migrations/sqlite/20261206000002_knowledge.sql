-- The documents a shop's owner adds to its knowledge, and a version per
-- tenant that moves on with every change (an index built from them is
-- cached by it).
CREATE TABLE knowledge_documents (
    tenant_id    TEXT NOT NULL REFERENCES tenants (tenant_id),
    doc_id       TEXT NOT NULL,
    title        TEXT NOT NULL,
    format       TEXT NOT NULL CHECK (format IN ('text', 'markdown', 'html')),
    body         TEXT NOT NULL,
    content_hash TEXT NOT NULL,            -- hex SHA-256 of title, format and body
    updated_at   INTEGER NOT NULL,         -- milliseconds since the epoch, UTC
    PRIMARY KEY (tenant_id, doc_id)
) STRICT;

CREATE TABLE knowledge_versions (
    tenant_id TEXT PRIMARY KEY NOT NULL REFERENCES tenants (tenant_id),
    version   INTEGER NOT NULL
) STRICT;
