-- Each passage's vector by embedding model, keyed by the passage's content
-- hash: an unchanged passage keeps its vector when its document is edited.
CREATE TABLE knowledge_vectors (
    tenant_id    TEXT NOT NULL REFERENCES tenants (tenant_id),
    model_id     TEXT NOT NULL,
    content_hash TEXT NOT NULL,   -- hex SHA-256 of the passage
    vector       BYTEA NOT NULL,  -- little-endian f32s
    PRIMARY KEY (tenant_id, model_id, content_hash)
);
