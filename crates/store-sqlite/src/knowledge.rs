//! `KnowledgeStore` on SQLite.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use frontdesk_core::{StoreError, TenantId};
use frontdesk_rag::{Document, DocumentId, DocumentWrite, KnowledgeStore, StoredDocument, document_hash};

use crate::SqliteStore;
use crate::jobs::{from_ms, ms};
use crate::{store_error as unexpected, tenant_row_error as classify};

type DocumentRow = (String, String, String, String, i64);

fn stored(tenant: &TenantId, row: DocumentRow) -> Result<StoredDocument, StoreError> {
    let (id, title, format, body, updated_at) = row;
    StoredDocument::from_stored(tenant.as_str(), &id, &title, &format, &body, from_ms(updated_at))
}

const MOVE_VERSION_ON: &str = "INSERT INTO knowledge_versions (tenant_id, version) VALUES (?1, 1)
     ON CONFLICT (tenant_id) DO UPDATE SET version = version + 1";

#[async_trait]
impl KnowledgeStore for SqliteStore {
    async fn put_document(
        &self,
        tenant: &TenantId,
        document: &Document,
        at: DateTime<Utc>,
    ) -> Result<DocumentWrite, StoreError> {
        let hash = document_hash(document).to_string();
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(unexpected("beginning put_document"))?;
        let existing: Option<String> =
            sqlx::query_scalar("SELECT content_hash FROM knowledge_documents WHERE tenant_id = ?1 AND doc_id = ?2")
                .bind(tenant.as_str())
                .bind(document.id.as_str())
                .fetch_optional(&mut *tx)
                .await
                .map_err(unexpected("reading a document's hash"))?;
        let outcome = match existing {
            Some(stored) if stored == hash => return Ok(DocumentWrite::Unchanged),
            Some(_) => DocumentWrite::Replaced,
            None => DocumentWrite::Created,
        };
        sqlx::query(
            "INSERT INTO knowledge_documents (tenant_id, doc_id, title, format, body, content_hash, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (tenant_id, doc_id) DO UPDATE SET title = excluded.title, format = excluded.format,
                 body = excluded.body, content_hash = excluded.content_hash, updated_at = excluded.updated_at",
        )
        .bind(tenant.as_str())
        .bind(document.id.as_str())
        .bind(&document.title)
        .bind(document.format.as_str())
        .bind(&document.text)
        .bind(&hash)
        .bind(ms(at))
        .execute(&mut *tx)
        .await
        .map_err(classify(tenant, "writing a document"))?;
        sqlx::query(MOVE_VERSION_ON)
            .bind(tenant.as_str())
            .execute(&mut *tx)
            .await
            .map_err(classify(tenant, "moving the knowledge version on"))?;
        tx.commit().await.map_err(unexpected("committing put_document"))?;
        Ok(outcome)
    }

    async fn document(&self, tenant: &TenantId, id: &DocumentId) -> Result<Option<StoredDocument>, StoreError> {
        let row: Option<DocumentRow> = sqlx::query_as(
            "SELECT doc_id, title, format, body, updated_at FROM knowledge_documents
             WHERE tenant_id = ?1 AND doc_id = ?2",
        )
        .bind(tenant.as_str())
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(unexpected("reading a document"))?;
        row.map(|row| stored(tenant, row)).transpose()
    }

    async fn list_documents(&self, tenant: &TenantId) -> Result<Vec<StoredDocument>, StoreError> {
        let rows: Vec<DocumentRow> = sqlx::query_as(
            "SELECT doc_id, title, format, body, updated_at FROM knowledge_documents
             WHERE tenant_id = ?1 ORDER BY doc_id",
        )
        .bind(tenant.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(unexpected("listing documents"))?;
        rows.into_iter().map(|row| stored(tenant, row)).collect()
    }

    async fn delete_document(&self, tenant: &TenantId, id: &DocumentId) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(unexpected("beginning delete_document"))?;
        let deleted = sqlx::query("DELETE FROM knowledge_documents WHERE tenant_id = ?1 AND doc_id = ?2")
            .bind(tenant.as_str())
            .bind(id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(unexpected("deleting a document"))?
            .rows_affected();
        if deleted == 0 {
            return Ok(false);
        }
        sqlx::query(MOVE_VERSION_ON)
            .bind(tenant.as_str())
            .execute(&mut *tx)
            .await
            .map_err(classify(tenant, "moving the knowledge version on"))?;
        tx.commit().await.map_err(unexpected("committing delete_document"))?;
        Ok(true)
    }

    async fn knowledge_version(&self, tenant: &TenantId) -> Result<i64, StoreError> {
        let version: Option<i64> = sqlx::query_scalar("SELECT version FROM knowledge_versions WHERE tenant_id = ?1")
            .bind(tenant.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(unexpected("reading the knowledge version"))?;
        Ok(version.unwrap_or(0))
    }
}
