//! The `knowledge.reindex` job: a shop's passages embedded after its
//! knowledge changed (new and changed passages only), the tokens metered.

use std::sync::Arc;

use async_trait::async_trait;
use frontdesk_billing::{Metering, TokenCount};
use frontdesk_core::TenantId;
use frontdesk_jobs::{HandlerError, JobContext, JobHandler, JobKind, NewJob};
use frontdesk_rag::{EmbedError, Embedder, ReindexError, Retriever};
use frontdesk_tenant::TenantStore;
use serde_json::json;

/// The job kind of [`KnowledgeReindex`].
pub const REINDEX_KNOWLEDGE: &str = "knowledge.reindex";

/// The job that brings `tenant`'s passage vectors up to date. Running it
/// twice embeds nothing the second time, so it needs no unique key.
pub fn reindex_job(tenant: &TenantId) -> NewJob {
    let kind = JobKind::parse(REINDEX_KNOWLEDGE).unwrap_or_else(|_| unreachable!("a valid kind"));
    NewJob::new(kind, json!({})).for_tenant(tenant.clone())
}

/// The `knowledge.reindex` job handler.
pub struct KnowledgeReindex {
    pub tenants: Arc<dyn TenantStore>,
    pub retriever: Arc<Retriever>,
    pub embedder: Arc<dyn Embedder>,
    /// Embedding tokens count toward the shop's usage.
    pub metering: Arc<Metering>,
}

#[async_trait]
impl JobHandler for KnowledgeReindex {
    fn kind(&self) -> JobKind {
        JobKind::parse(REINDEX_KNOWLEDGE).unwrap_or_else(|_| unreachable!("a valid kind"))
    }

    async fn run(&self, context: &JobContext) -> Result<(), HandlerError> {
        let job = &context.job;
        let tenant = job.tenant.clone().ok_or_else(|| HandlerError::Permanent("reindex without a tenant".into()))?;
        let record = self.tenants.get_tenant(&tenant).await.map_err(|e| HandlerError::Retry(e.to_string()))?;
        let Some(record) = record else {
            tracing::info!(tenant_id = %tenant, "the tenant is gone: nothing to reindex");
            return Ok(());
        };
        let now = context.clock.now();
        match self.metering.standing(&tenant, record.profile.timezone(), now).await {
            Ok(standing) if !standing.paid_ai => {
                // Lexical retrieval keeps serving; the next change after the
                // budget resets (or is raised) embeds what is missing.
                tracing::warn!(tenant_id = %tenant, "the shop's AI budget is spent: passages are not embedded");
                return Ok(());
            }
            Ok(_) => {}
            Err(error) => return Err(HandlerError::Retry(format!("reading the shop's AI budget: {error}"))),
        }
        let reindexed = match self.retriever.reindex(&record.profile, self.embedder.as_ref()).await {
            Ok(reindexed) => reindexed,
            Err(ReindexError::Embed(EmbedError::Unavailable(error))) => return Err(HandlerError::Retry(error)),
            Err(ReindexError::Store(error)) => return Err(HandlerError::Retry(error.to_string())),
            Err(error @ (ReindexError::Embed(EmbedError::Refused(_)) | ReindexError::Count { .. })) => {
                return Err(HandlerError::Permanent(error.to_string()));
            }
        };
        tracing::info!(
            tenant_id = %tenant, embedded = reindexed.embedded, kept = reindexed.kept, tokens = reindexed.tokens,
            "knowledge reindexed"
        );
        if reindexed.tokens > 0 {
            let key = format!("{REINDEX_KNOWLEDGE}:{}", job.id);
            let (model, tokens) = (self.embedder.model_id(), TokenCount::input(reindexed.tokens));
            // The vectors are stored: a metering failure is logged, never a re-embedding.
            if let Err(error) = self.metering.record_tokens(&tenant, &key, model, tokens, now).await {
                tracing::error!(%error, tenant_id = %tenant, "could not meter embedding tokens");
            }
        }
        Ok(())
    }
}
