//! `MemoryKnowledgeStore`: documents in memory, for tests and embedders.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use frontdesk_core::{StoreError, TenantId};
use frontdesk_jobs::NewJob;

use crate::document::{Document, DocumentId};
use crate::source::ContentHash;
use crate::store::{DocumentWrite, KnowledgeStore, StoredDocument, document_hash};

/// Passage vectors by content hash.
type Vectors = HashMap<ContentHash, Vec<f32>>;

/// A `KnowledgeStore` in memory. Any tenant may write (there is no tenant
/// table to check); it counts document listings, so a test can tell a
/// cached index from a rebuilt one.
#[derive(Default)]
pub struct MemoryKnowledgeStore {
    documents: Mutex<HashMap<TenantId, BTreeMap<DocumentId, StoredDocument>>>,
    versions: Mutex<HashMap<TenantId, i64>>,
    /// (tenant, model) → vectors by content hash
    vectors: Mutex<HashMap<(TenantId, String), Vectors>>,
    listings: AtomicUsize,
    enqueued: Mutex<Vec<NewJob>>,
}

impl MemoryKnowledgeStore {
    /// The jobs document changes enqueued, oldest first (there is no queue
    /// to run them).
    pub fn enqueued_jobs(&self) -> Vec<NewJob> {
        self.enqueued.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// How many times `list_documents` was called.
    pub fn listings(&self) -> usize {
        self.listings.load(Ordering::SeqCst)
    }

    fn bump(&self, tenant: &TenantId) {
        let mut versions = self.versions.lock().unwrap_or_else(|p| p.into_inner());
        *versions.entry(tenant.clone()).or_default() += 1;
    }
}

#[async_trait]
impl KnowledgeStore for MemoryKnowledgeStore {
    async fn put_document(
        &self,
        tenant: &TenantId,
        document: &Document,
        jobs: &[NewJob],
        at: DateTime<Utc>,
    ) -> Result<DocumentWrite, StoreError> {
        let hash = document_hash(document);
        let outcome = {
            let mut all = self.documents.lock().unwrap_or_else(|p| p.into_inner());
            let documents = all.entry(tenant.clone()).or_default();
            let outcome = match documents.get(&document.id) {
                Some(stored) if stored.hash == hash => return Ok(DocumentWrite::Unchanged),
                Some(_) => DocumentWrite::Replaced,
                None => DocumentWrite::Created,
            };
            documents.insert(document.id.clone(), StoredDocument { document: document.clone(), hash, updated_at: at });
            outcome
        };
        self.bump(tenant);
        self.enqueued.lock().unwrap_or_else(|p| p.into_inner()).extend_from_slice(jobs);
        Ok(outcome)
    }

    async fn document(&self, tenant: &TenantId, id: &DocumentId) -> Result<Option<StoredDocument>, StoreError> {
        let all = self.documents.lock().unwrap_or_else(|p| p.into_inner());
        Ok(all.get(tenant).and_then(|documents| documents.get(id)).cloned())
    }

    async fn list_documents(&self, tenant: &TenantId) -> Result<Vec<StoredDocument>, StoreError> {
        self.listings.fetch_add(1, Ordering::SeqCst);
        let all = self.documents.lock().unwrap_or_else(|p| p.into_inner());
        Ok(all.get(tenant).map(|documents| documents.values().cloned().collect()).unwrap_or_default())
    }

    async fn delete_document(
        &self,
        tenant: &TenantId,
        id: &DocumentId,
        jobs: &[NewJob],
        _at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let removed = {
            let mut all = self.documents.lock().unwrap_or_else(|p| p.into_inner());
            all.get_mut(tenant).and_then(|documents| documents.remove(id)).is_some()
        };
        if removed {
            self.bump(tenant);
            self.enqueued.lock().unwrap_or_else(|p| p.into_inner()).extend_from_slice(jobs);
        }
        Ok(removed)
    }

    async fn knowledge_version(&self, tenant: &TenantId) -> Result<i64, StoreError> {
        let versions = self.versions.lock().unwrap_or_else(|p| p.into_inner());
        Ok(versions.get(tenant).copied().unwrap_or(0))
    }

    async fn chunk_vectors(
        &self,
        tenant: &TenantId,
        model: &str,
    ) -> Result<HashMap<ContentHash, Vec<f32>>, StoreError> {
        let vectors = self.vectors.lock().unwrap_or_else(|p| p.into_inner());
        Ok(vectors.get(&(tenant.clone(), model.to_owned())).cloned().unwrap_or_default())
    }

    async fn put_chunk_vectors(
        &self,
        tenant: &TenantId,
        model: &str,
        new: &[(ContentHash, Vec<f32>)],
        keep: &[ContentHash],
    ) -> Result<(), StoreError> {
        let mut vectors = self.vectors.lock().unwrap_or_else(|p| p.into_inner());
        let kept = vectors.entry((tenant.clone(), model.to_owned())).or_default();
        kept.retain(|hash, _| keep.contains(hash));
        for (hash, vector) in new {
            kept.insert(*hash, vector.clone());
        }
        drop(vectors);
        self.bump(tenant);
        Ok(())
    }
}
