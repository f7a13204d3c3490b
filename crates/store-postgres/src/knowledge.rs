//! `KnowledgeStore` on PostgreSQL.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use frontdesk_core::{StoreError, TenantId};
use frontdesk_jobs::NewJob;
use frontdesk_rag::{
    ContentHash, Document, DocumentId, DocumentWrite, KnowledgeStore, StoredDocument, document_hash, vector_bytes,
    vector_from_bytes,
};

use crate::PostgresStore;
use crate::billing::enqueue_jobs;
use crate::{store_error as unexpected, tenant_row_error as classify};

type DocumentRow = (String, String, String, String, DateTime<Utc>);

fn stored(tenant: &TenantId, row: DocumentRow) -> Result<StoredDocument, StoreError> {
    let (id, title, format, body, updated_at) = row;
    StoredDocument::from_stored(tenant.as_str(), &id, &title, &format, &body, updated_at)
}

const MOVE_VERSION_ON: &str = "INSERT INTO knowledge_versions (tenant_id, version) VALUES ($1, 1)
     ON CONFLICT (tenant_id) DO UPDATE SET version = knowledge_versions.version + 1";

#[async_trait]
impl KnowledgeStore for PostgresStore {
    async fn put_document(
        &self,
        tenant: &TenantId,
        document: &Document,
        jobs: &[NewJob],
        at: DateTime<Utc>,
    ) -> Result<DocumentWrite, StoreError> {
        let hash = document_hash(document).to_string();
        let mut tx = self.pool.begin().await.map_err(unexpected("beginning put_document"))?;
        // The upsert only writes a changed document; `xmax = 0` tells a new
        // row from a replaced one, and no row comes back when nothing changed.
        let written: Option<bool> = sqlx::query_scalar(
            "INSERT INTO knowledge_documents (tenant_id, doc_id, title, format, body, content_hash, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (tenant_id, doc_id) DO UPDATE SET title = EXCLUDED.title, format = EXCLUDED.format,
                 body = EXCLUDED.body, content_hash = EXCLUDED.content_hash, updated_at = EXCLUDED.updated_at
                 WHERE knowledge_documents.content_hash <> EXCLUDED.content_hash
             RETURNING (xmax = 0)",
        )
        .bind(tenant.as_str())
        .bind(document.id.as_str())
        .bind(&document.title)
        .bind(document.format.as_str())
        .bind(&document.text)
        .bind(&hash)
        .bind(at)
        .fetch_optional(&mut *tx)
        .await
        .map_err(classify(tenant, "writing a document"))?;
        let outcome = match written {
            None => return Ok(DocumentWrite::Unchanged),
            Some(true) => DocumentWrite::Created,
            Some(false) => DocumentWrite::Replaced,
        };
        sqlx::query(MOVE_VERSION_ON)
            .bind(tenant.as_str())
            .execute(&mut *tx)
            .await
            .map_err(classify(tenant, "moving the knowledge version on"))?;
        enqueue_jobs(&mut tx, jobs, at).await?;
        tx.commit().await.map_err(unexpected("committing put_document"))?;
        Ok(outcome)
    }

    async fn document(&self, tenant: &TenantId, id: &DocumentId) -> Result<Option<StoredDocument>, StoreError> {
        let row: Option<DocumentRow> = sqlx::query_as(
            "SELECT doc_id, title, format, body, updated_at FROM knowledge_documents
             WHERE tenant_id = $1 AND doc_id = $2",
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
             WHERE tenant_id = $1 ORDER BY doc_id",
        )
        .bind(tenant.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(unexpected("listing documents"))?;
        rows.into_iter().map(|row| stored(tenant, row)).collect()
    }

    async fn delete_document(
        &self,
        tenant: &TenantId,
        id: &DocumentId,
        jobs: &[NewJob],
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await.map_err(unexpected("beginning delete_document"))?;
        let deleted = sqlx::query("DELETE FROM knowledge_documents WHERE tenant_id = $1 AND doc_id = $2")
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
        enqueue_jobs(&mut tx, jobs, at).await?;
        tx.commit().await.map_err(unexpected("committing delete_document"))?;
        Ok(true)
    }

    async fn knowledge_version(&self, tenant: &TenantId) -> Result<i64, StoreError> {
        let version: Option<i64> = sqlx::query_scalar("SELECT version FROM knowledge_versions WHERE tenant_id = $1")
            .bind(tenant.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(unexpected("reading the knowledge version"))?;
        Ok(version.unwrap_or(0))
    }

    async fn chunk_vectors(
        &self,
        tenant: &TenantId,
        model: &str,
    ) -> Result<HashMap<ContentHash, Vec<f32>>, StoreError> {
        let rows: Vec<(String, Vec<u8>)> =
            sqlx::query_as("SELECT content_hash, vector FROM knowledge_vectors WHERE tenant_id = $1 AND model_id = $2")
                .bind(tenant.as_str())
                .bind(model)
                .fetch_all(&self.pool)
                .await
                .map_err(unexpected("reading passage vectors"))?;
        rows.into_iter()
            .map(|(hash, bytes)| {
                let hash = ContentHash::from_hex(&hash);
                let vector = vector_from_bytes(&bytes);
                hash.zip(vector).ok_or_else(|| StoreError::corrupt(tenant.as_str(), "a passage vector does not decode"))
            })
            .collect()
    }

    async fn put_chunk_vectors(
        &self,
        tenant: &TenantId,
        model: &str,
        vectors: &[(ContentHash, Vec<f32>)],
        keep: &[ContentHash],
    ) -> Result<(), StoreError> {
        let keep: Vec<String> = keep.iter().map(ToString::to_string).collect();
        let mut tx = self.pool.begin().await.map_err(unexpected("beginning put_chunk_vectors"))?;
        let stored: Vec<String> =
            sqlx::query_scalar("SELECT content_hash FROM knowledge_vectors WHERE tenant_id = $1 AND model_id = $2")
                .bind(tenant.as_str())
                .bind(model)
                .fetch_all(&mut *tx)
                .await
                .map_err(unexpected("reading passage vectors"))?;
        for gone in stored.iter().filter(|hash| !keep.contains(hash)) {
            sqlx::query("DELETE FROM knowledge_vectors WHERE tenant_id = $1 AND model_id = $2 AND content_hash = $3")
                .bind(tenant.as_str())
                .bind(model)
                .bind(gone)
                .execute(&mut *tx)
                .await
                .map_err(unexpected("dropping a passage vector"))?;
        }
        for (hash, vector) in vectors {
            sqlx::query(
                "INSERT INTO knowledge_vectors (tenant_id, model_id, content_hash, vector) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (tenant_id, model_id, content_hash) DO UPDATE SET vector = EXCLUDED.vector",
            )
            .bind(tenant.as_str())
            .bind(model)
            .bind(hash.to_string())
            .bind(vector_bytes(vector))
            .execute(&mut *tx)
            .await
            .map_err(classify(tenant, "keeping a passage vector"))?;
        }
        // An index built before these vectors must not be served after them.
        sqlx::query(MOVE_VERSION_ON)
            .bind(tenant.as_str())
            .execute(&mut *tx)
            .await
            .map_err(classify(tenant, "moving the knowledge version on"))?;
        tx.commit().await.map_err(unexpected("committing put_chunk_vectors"))?;
        Ok(())
    }
}
