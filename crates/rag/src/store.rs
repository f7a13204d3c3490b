//! The `KnowledgeStore` port: the documents an owner added, per tenant.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use frontdesk_core::{StoreError, TenantId};
use frontdesk_jobs::NewJob;

use crate::document::{Document, DocumentId};
use crate::source::ContentHash;

/// A document as kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDocument {
    pub document: Document,
    /// Of the title, format and text: a put of the same content changes nothing.
    pub hash: ContentHash,
    pub updated_at: DateTime<Utc>,
}

impl StoredDocument {
    /// Rebuilds a stored document from the columns both store adapters keep;
    /// one that no longer validates is `Corrupt`, never skipped.
    pub fn from_stored(
        tenant: &str,
        id: &str,
        title: &str,
        format: &str,
        body: &str,
        updated_at: DateTime<Utc>,
    ) -> Result<StoredDocument, StoreError> {
        let document = Document::parse(id, title, format, body).map_err(|problems| {
            let problems: Vec<String> = problems.iter().map(|p| format!("{}: {p}", p.field())).collect();
            StoreError::corrupt(tenant, format!("knowledge document {id:?}: {}", problems.join("; ")))
        })?;
        Ok(StoredDocument { hash: document_hash(&document), document, updated_at })
    }
}

/// What `put_document` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentWrite {
    Created,
    Replaced,
    /// The same title, format and text were already stored.
    Unchanged,
}

/// The hash a document is stored with.
pub fn document_hash(document: &Document) -> ContentHash {
    ContentHash::of(&[&document.title, document.format.as_str(), &document.text])
}

/// Documents per tenant, and a version that changes with any of them (what
/// an index built from them is cached by). Every method names its tenant and
/// touches no other's rows.
#[async_trait]
pub trait KnowledgeStore: Send + Sync {
    /// Creates or replaces the document and, unless it is `Unchanged`, moves
    /// the tenant's knowledge version on and enqueues `jobs` (its reindex),
    /// in one transaction. MUST return `NotFound` for an unknown tenant.
    async fn put_document(
        &self,
        tenant: &TenantId,
        document: &Document,
        jobs: &[NewJob],
        at: DateTime<Utc>,
    ) -> Result<DocumentWrite, StoreError>;

    async fn document(&self, tenant: &TenantId, id: &DocumentId) -> Result<Option<StoredDocument>, StoreError>;

    /// The tenant's documents, by id.
    async fn list_documents(&self, tenant: &TenantId) -> Result<Vec<StoredDocument>, StoreError>;

    /// Deletes the document, moves the version on and enqueues `jobs`, in
    /// one transaction; `Ok(false)` (and no jobs) when there was none.
    async fn delete_document(
        &self,
        tenant: &TenantId,
        id: &DocumentId,
        jobs: &[NewJob],
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// 0 before any document was written; larger after every change.
    async fn knowledge_version(&self, tenant: &TenantId) -> Result<i64, StoreError>;

    /// The vectors kept for the tenant's passages by the embedding model
    /// `model`, by the passage's content hash.
    async fn chunk_vectors(&self, tenant: &TenantId, model: &str)
    -> Result<HashMap<ContentHash, Vec<f32>>, StoreError>;

    /// Keeps `vectors` (replacing any of the same hash), drops the model's
    /// vectors of passages not in `keep` (gone or changed) and moves the
    /// knowledge version on, in one transaction. MUST return `NotFound` for
    /// an unknown tenant.
    async fn put_chunk_vectors(
        &self,
        tenant: &TenantId,
        model: &str,
        vectors: &[(ContentHash, Vec<f32>)],
        keep: &[ContentHash],
    ) -> Result<(), StoreError>;
}

/// A vector as stores keep it: little-endian f32s.
pub fn vector_bytes(vector: &[f32]) -> Vec<u8> {
    vector.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// A vector read back; `None` when the bytes are not whole f32s.
pub fn vector_from_bytes(bytes: &[u8]) -> Option<Vec<f32>> {
    if !bytes.len().is_multiple_of(4) {
        return None;
    }
    Some(bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect())
}
