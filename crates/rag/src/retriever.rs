//! The `Retriever` service: a tenant's question answered from its profile
//! and documents, the index built once per knowledge version.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use frontdesk_core::{StoreError, TenantId};
use frontdesk_tenant::TenantProfile;

use crate::chunk::{document_chunks, profile_chunks};
use crate::embed::{EmbedError, Embedder};
use crate::index::{KnowledgeIndex, Retrieval, RetrievalConfig, Verdict};
use crate::source::{Chunk, ContentHash, SourceRef};
use crate::store::KnowledgeStore;
use crate::terms::terms;

/// Indexes kept at most (one per tenant); past it the cache starts over.
const CACHED_TENANTS: usize = 1_000;
/// Words an answer read to a caller holds at most.
const ANSWER_WORDS: usize = 45;

/// A passage cited by an answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Cited {
    pub source: SourceRef,
    pub headings: Vec<String>,
    /// The sentences of the passage that answer, shortened for speech.
    pub snippet: String,
    /// The fused rank score (1.0: first in every ranking used).
    pub score: f32,
    /// The share of the question's weight the passage holds (0 to 1).
    pub coverage: f32,
}

/// What a caller (or the owner trying it) gets for a question.
#[derive(Debug, Clone, PartialEq)]
pub struct Asked {
    pub verdict: Verdict,
    /// For `Answer`: the snippet of the first source, to be spoken.
    pub answer: Option<String>,
    /// The passages the verdict rests on, best first (two for `Clarify`).
    pub sources: Vec<Cited>,
    /// The first passage's fused score (0 when nothing matched).
    pub confidence: f32,
    /// The question's embedding, when a model embedded it: what it cost.
    pub spent: Option<QuestionSpend>,
}

/// A question embedded by a model: which, and the tokens it counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuestionSpend {
    pub model: String,
    pub tokens: u64,
}

/// Whether a question may be embedded (a paid call when the embedder is a
/// provider's model) or is ranked by its words alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuestionVectors {
    /// Embed it when an embedder and passage vectors of its model exist.
    Use,
    /// Words only (the shop's AI budget is spent).
    Skip,
}

struct Cached {
    key: (i64, ContentHash),
    index: Arc<KnowledgeIndex>,
}

/// Builds a tenant's index from its profile and stored documents, caches it
/// by the knowledge version and the profile's content, and asks it.
pub struct Retriever {
    store: Arc<dyn KnowledgeStore>,
    config: RetrievalConfig,
    cache: Mutex<HashMap<TenantId, Cached>>,
    /// Embeds questions; its model's stored passage vectors join the index.
    embedder: Option<Arc<dyn Embedder>>,
}

/// What a reindex did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Reindexed {
    /// Passages embedded now (new or changed).
    pub embedded: usize,
    /// Passages whose stored vector was kept.
    pub kept: usize,
    /// Tokens the embedder counted.
    pub tokens: u64,
}

/// Why a reindex did not finish (the lexical index keeps serving).
#[derive(Debug, thiserror::Error)]
pub enum ReindexError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Embed(#[from] EmbedError),
    #[error("the embedder returned {got} vectors for {asked} passages")]
    Count { got: usize, asked: usize },
}

impl Retriever {
    pub fn new(store: Arc<dyn KnowledgeStore>) -> Retriever {
        Retriever { store, config: RetrievalConfig::default(), cache: Mutex::default(), embedder: None }
    }

    /// Questions are embedded by `embedder` and ranked against the passage
    /// vectors stored for its model (by [`Retriever::reindex`]) as well as
    /// lexically; the thresholds are the model's.
    pub fn with_embedder(mut self, embedder: Arc<dyn Embedder>) -> Retriever {
        self.config = RetrievalConfig::for_model(embedder.model_id());
        self.embedder = Some(embedder);
        self
    }

    /// Embeds the passages of the tenant's profile and documents that have
    /// no vector of `embedder`'s model yet (new or changed), stores them
    /// and drops the vectors of passages that are gone.
    pub async fn reindex(&self, profile: &TenantProfile, embedder: &dyn Embedder) -> Result<Reindexed, ReindexError> {
        let tenant = profile.slug();
        let model = embedder.model_id().to_owned();
        let chunks = self.chunks(profile).await?;
        let stored = self.store.chunk_vectors(tenant, &model).await?;
        let mut missing: Vec<&Chunk> = Vec::new();
        for chunk in &chunks {
            if !stored.contains_key(&chunk.hash) && !missing.iter().any(|c| c.hash == chunk.hash) {
                missing.push(chunk);
            }
        }
        let texts: Vec<String> = missing.iter().map(|chunk| chunk.indexed_text()).collect();
        let embedded = if texts.is_empty() { None } else { Some(embedder.embed(&texts).await?) };
        let (vectors, tokens) = embedded.map_or((Vec::new(), 0), |e| (e.vectors, e.tokens));
        if vectors.len() != missing.len() {
            return Err(ReindexError::Count { got: vectors.len(), asked: missing.len() });
        }
        let new: Vec<(ContentHash, Vec<f32>)> = missing.iter().map(|chunk| chunk.hash).zip(vectors).collect();
        let keep: Vec<ContentHash> = chunks.iter().map(|chunk| chunk.hash).collect();
        let changed = !new.is_empty() || stored.keys().any(|hash| !keep.contains(hash));
        if changed {
            self.store.put_chunk_vectors(tenant, &model, &new, &keep).await?;
        }
        let kept = chunks.iter().filter(|chunk| stored.contains_key(&chunk.hash)).count();
        Ok(Reindexed { embedded: new.len(), kept, tokens })
    }

    /// The profile's passages and every stored document's.
    async fn chunks(&self, profile: &TenantProfile) -> Result<Vec<Chunk>, StoreError> {
        let mut chunks = profile_chunks(profile);
        for stored in self.store.list_documents(profile.slug()).await? {
            chunks.extend(document_chunks(&stored.document));
        }
        Ok(chunks)
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, HashMap<TenantId, Cached>> {
        self.cache.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The tenant's index: rebuilt only when a document or the profile changed.
    pub async fn index(&self, profile: &TenantProfile) -> Result<Arc<KnowledgeIndex>, StoreError> {
        let tenant = profile.slug();
        let version = self.store.knowledge_version(tenant).await?;
        let from_profile = profile_chunks(profile);
        let profile_hash = combined(&from_profile);
        if let Some(cached) = self.cache().get(tenant).filter(|cached| cached.key == (version, profile_hash)) {
            return Ok(cached.index.clone());
        }
        let mut chunks = from_profile;
        for stored in self.store.list_documents(tenant).await? {
            chunks.extend(document_chunks(&stored.document));
        }
        let mut index = KnowledgeIndex::build(chunks);
        if let Some(embedder) = &self.embedder {
            let model = embedder.model_id();
            let stored = self.store.chunk_vectors(tenant, model).await?;
            // Until a reindex has run there is nothing to rank by meaning.
            if index.chunks().iter().any(|chunk| stored.contains_key(&chunk.hash)) {
                let rows: Vec<Vec<f32>> = index
                    .chunks()
                    .iter()
                    .map(|chunk| stored.get(&chunk.hash).cloned().unwrap_or_else(|| vec![0.0; embedder.dims()]))
                    .collect();
                index = index
                    .with_vectors(model, rows)
                    .map_err(|e| StoreError::Unexpected(anyhow::anyhow!("passage vectors: {e}")))?;
            }
        }
        let index = Arc::new(index);
        let mut cache = self.cache();
        if cache.len() >= CACHED_TENANTS && !cache.contains_key(tenant) {
            cache.clear();
        }
        cache.insert(tenant.clone(), Cached { key: (version, profile_hash), index: index.clone() });
        Ok(index)
    }

    /// The verdict on `question` (card numbers removed first) with what to
    /// say and what it cites.
    pub async fn ask(&self, profile: &TenantProfile, question: &str) -> Result<Asked, StoreError> {
        self.ask_with(profile, question, QuestionVectors::Use).await
    }

    /// [`Retriever::ask`], embedding the question only when `vectors` says
    /// so; what the embedding cost is in [`Asked::spent`].
    pub async fn ask_with(
        &self,
        profile: &TenantProfile,
        question: &str,
        vectors: QuestionVectors,
    ) -> Result<Asked, StoreError> {
        let question = frontdesk_language::redact_card_numbers(question);
        let index = self.index(profile).await?;
        let mut spent = None;
        let vector = match (&self.embedder, index.vector_model(), vectors) {
            (Some(embedder), Some(_), QuestionVectors::Use) => {
                match embedder.embed(std::slice::from_ref(&question)).await {
                    Ok(embedded) => {
                        if embedded.tokens > 0 {
                            spent =
                                Some(QuestionSpend { model: embedder.model_id().to_owned(), tokens: embedded.tokens });
                        }
                        embedded.vectors.into_iter().next()
                    }
                    Err(error) => {
                        // The words alone still answer.
                        tracing::warn!(%error, "the question could not be embedded; ranking by its words alone");
                        None
                    }
                }
            }
            _ => None,
        };
        let retrieval = index.retrieve(&question, vector.as_deref(), &self.config);
        Ok(Asked { spent, ..asked(&index, &retrieval) })
    }
}

fn combined(chunks: &[Chunk]) -> ContentHash {
    let hashes: Vec<String> = chunks.iter().map(|chunk| chunk.hash.to_string()).collect();
    let parts: Vec<&str> = hashes.iter().map(String::as_str).collect();
    ContentHash::of(&parts)
}

fn asked(index: &KnowledgeIndex, retrieval: &Retrieval) -> Asked {
    let cited = |count: usize| -> Vec<Cited> {
        retrieval
            .hits
            .iter()
            .take(count)
            .map(|hit| {
                let chunk = &index.chunks()[hit.chunk];
                Cited {
                    source: chunk.source.clone(),
                    headings: chunk.headings.clone(),
                    snippet: snippet(&chunk.text, &retrieval.terms),
                    score: hit.score,
                    coverage: hit.coverage,
                }
            })
            .collect()
    };
    let confidence = retrieval.hits.first().map_or(0.0, |hit| hit.score);
    match retrieval.verdict {
        Verdict::Answer => {
            let sources = cited(1);
            let answer = sources.first().map(|c| c.snippet.clone());
            Asked { verdict: Verdict::Answer, answer, sources, confidence, spent: None }
        }
        Verdict::Clarify => {
            Asked { verdict: Verdict::Clarify, answer: None, sources: cited(2), confidence, spent: None }
        }
        Verdict::NotFound => {
            Asked { verdict: Verdict::NotFound, answer: None, sources: cited(3), confidence, spent: None }
        }
    }
}

/// The sentences of `text` that hold most of the question's terms, in their
/// order in the passage, at most [`ANSWER_WORDS`] words (the best sentence
/// alone when it is longer, cut at a word).
pub fn snippet(text: &str, asked: &[String]) -> String {
    let sentences: Vec<&str> = split_sentences(text);
    let mut scored: Vec<(usize, usize)> = sentences
        .iter()
        .enumerate()
        .map(|(i, sentence)| {
            let words = terms(sentence);
            (i, asked.iter().filter(|term| words.contains(term)).count())
        })
        .collect();
    scored.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut chosen: Vec<usize> = Vec::new();
    let mut words = 0;
    for (i, score) in scored {
        let length = sentences[i].split_whitespace().count();
        if !chosen.is_empty() && (score == 0 || words + length > ANSWER_WORDS) {
            continue;
        }
        chosen.push(i);
        words += length;
        if words >= ANSWER_WORDS {
            break;
        }
    }
    chosen.sort_unstable();
    let text: Vec<&str> = chosen.iter().map(|&i| sentences[i]).collect();
    let text = text.join(" ");
    let all: Vec<&str> = text.split_whitespace().collect();
    if all.len() > ANSWER_WORDS { format!("{}…", all[..ANSWER_WORDS].join(" ")) } else { text }
}

fn split_sentences(text: &str) -> Vec<&str> {
    let mut sentences = Vec::new();
    let mut start = 0;
    let bytes = text.as_bytes();
    for (i, &byte) in bytes.iter().enumerate() {
        let ends = matches!(byte, b'.' | b'!' | b'?' | b'\n')
            && bytes.get(i + 1).is_none_or(|next| next.is_ascii_whitespace());
        if ends {
            let sentence = text[start..=i].trim();
            if !sentence.is_empty() {
                sentences.push(sentence);
            }
            start = i + 1;
        }
    }
    let rest = text[start..].trim();
    if !rest.is_empty() {
        sentences.push(rest);
    }
    sentences
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snippet_is_the_sentences_that_answer_in_their_order() {
        let text = "We open the door at nine. Wheelchair users come in through the side door on North 4th Street. \
                    The ramp is 1:12. Ask for Marco.";
        let asked = terms("is there a wheelchair ramp");
        assert_eq!(
            snippet(text, &asked),
            "Wheelchair users come in through the side door on North 4th Street. The ramp is 1:12."
        );
        let long = "word ".repeat(80);
        assert!(snippet(&long, &asked).ends_with('…'));
        assert_eq!(snippet("Just one line", &asked), "Just one line");
    }
}
