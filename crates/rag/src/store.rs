//! The `KnowledgeStore` port: the documents an owner added, per tenant.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use frontdesk_core::{StoreError, TenantId};

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
    /// the tenant's knowledge version on, in one transaction. MUST return
    /// `NotFound` for an unknown tenant.
    async fn put_document(
        &self,
        tenant: &TenantId,
        document: &Document,
        at: DateTime<Utc>,
    ) -> Result<DocumentWrite, StoreError>;

    async fn document(&self, tenant: &TenantId, id: &DocumentId) -> Result<Option<StoredDocument>, StoreError>;

    /// The tenant's documents, by id.
    async fn list_documents(&self, tenant: &TenantId) -> Result<Vec<StoredDocument>, StoreError>;

    /// Deletes the document and moves the version on; `Ok(false)` when there
    /// was none.
    async fn delete_document(&self, tenant: &TenantId, id: &DocumentId) -> Result<bool, StoreError>;

    /// 0 before any document was written; larger after every change.
    async fn knowledge_version(&self, tenant: &TenantId) -> Result<i64, StoreError>;
}
