//! `POST /embeddings`, behind the domain's [`Embedder`] port. A reply that
//! does not add up (a vector missing, a dimension off) is an error, never a
//! guess.

use async_trait::async_trait;
use frontdesk_rag::{EmbedError, Embedded, Embedder, unit_length};
use serde::Deserialize;
use serde_json::json;

use crate::client::{MAX_INPUTS_PER_REQUEST, OpenAi, OpenAiError};

impl From<OpenAiError> for EmbedError {
    fn from(error: OpenAiError) -> EmbedError {
        match error {
            OpenAiError::RateLimited(_) | OpenAiError::Unavailable(_) => EmbedError::Unavailable(error.to_string()),
            OpenAiError::Quota(_) | OpenAiError::Refused(_) | OpenAiError::Invalid(_) => {
                EmbedError::Refused(error.to_string())
            }
        }
    }
}

#[derive(Debug, Deserialize)]
struct EmbeddingsReply {
    data: Vec<EmbeddingItem>,
    #[serde(default)]
    usage: Option<Usage>,
}

#[derive(Debug, Deserialize)]
struct EmbeddingItem {
    index: usize,
    embedding: Vec<f32>,
}

#[derive(Debug, Deserialize)]
struct Usage {
    #[serde(default)]
    total_tokens: u64,
}

impl OpenAi {
    /// Embeds `texts` (each non-empty), in requests of at most
    /// [`MAX_INPUTS_PER_REQUEST`] inputs; one vector per text, in order.
    pub async fn embeddings(&self, texts: &[String]) -> Result<Embedded, OpenAiError> {
        let mut vectors = Vec::with_capacity(texts.len());
        let mut tokens = 0;
        for batch in texts.chunks(MAX_INPUTS_PER_REQUEST) {
            let mut body = json!({"model": self.embed_model, "input": batch, "encoding_format": "float"});
            if let Some(dims) = self.embed_dims {
                body["dimensions"] = json!(dims);
            }
            // Each attempt has the configured timeout; reindex jobs have no
            // caller waiting on the line.
            let mut retry = 0;
            let text = loop {
                let failure = match self.send("embeddings", &body).await {
                    Ok(response) => match response.text().await {
                        Ok(text) => break text,
                        Err(error) => self.transport_failure(&error),
                    },
                    Err(failure) => failure,
                };
                // Each attempt has the configured timeout; reindex jobs
                // have no caller waiting on the line.
                self.wait_to_retry(failure, &mut retry, None).await?;
            };
            let reply: EmbeddingsReply =
                serde_json::from_str(&text).map_err(|e| OpenAiError::Invalid(format!("embeddings: {e}")))?;
            tokens += reply.usage.map_or(0, |usage| usage.total_tokens);
            let mut items = reply.data;
            items.sort_by_key(|item| item.index);
            let in_order = items.iter().enumerate().all(|(i, item)| item.index == i);
            if items.len() != batch.len() || !in_order {
                return Err(OpenAiError::Invalid(format!(
                    "{} embeddings for {} inputs (indexes {:?})",
                    items.len(),
                    batch.len(),
                    items.iter().map(|i| i.index).collect::<Vec<_>>()
                )));
            }
            for item in items {
                if let Some(dims) = self.embed_dims
                    && item.embedding.len() != dims
                {
                    return Err(OpenAiError::Invalid(format!(
                        "an embedding of {} dimensions, {dims} asked",
                        item.embedding.len()
                    )));
                }
                vectors.push(unit_length(item.embedding));
            }
        }
        Ok(Embedded { vectors, tokens })
    }
}

#[async_trait]
impl Embedder for OpenAi {
    fn model_id(&self) -> &str {
        &self.model_id
    }

    fn dims(&self) -> usize {
        self.embed_dims.unwrap_or(1536)
    }

    async fn embed(&self, texts: &[String]) -> Result<Embedded, EmbedError> {
        Ok(self.embeddings(texts).await?)
    }
}
