//! A shop's own knowledge, and the honest answer to a caller's question.
//!
//! - [`profile_chunks`] and [`document_chunks`] cut the shop's profile (one
//!   chunk per FAQ, service, the hours, closures, address, booking rules and
//!   staff) and the documents its owner adds (plain text, Markdown, HTML) into
//!   [`Chunk`]s of a few hundred words, each with its [`SourceRef`], heading
//!   path and content hash.
//! - [`KnowledgeIndex`] ranks them for a question with BM25 over the words
//!   callers use ([`terms`]: normalised, stemmed, a misheard word mapped to
//!   the closest word the shop's knowledge has), and, when an [`Embedder`]
//!   gave vectors, by cosine as well; the two rankings are fused (reciprocal
//!   rank fusion, normalised so 1.0 means both ranked it first).
//! - One [`Verdict`]: **Answer** (with the passages and their sources),
//!   **Clarify** (two close candidates from different sources), or
//!   **NotFound**, the thresholds in one [`RetrievalConfig`].
//!
//! Pure domain code: no IO, no clock, no vendor. The ports an adapter
//! implements are [`Embedder`] and [`KnowledgeStore`].

mod bm25;
mod chunk;
mod document;
mod embed;
#[cfg(feature = "eval")]
pub mod eval;
mod index;
mod memory;
mod retriever;
mod source;
mod stem;
mod store;
mod terms;

pub use bm25::Bm25Index;
pub use chunk::{MAX_CHUNK_WORDS, document_chunks, profile_chunks};
pub use document::{Document, DocumentError, DocumentFormat, DocumentId, MAX_DOCUMENT_BYTES};
pub use embed::{EmbedError, Embedded, Embedder, HASHING_MODEL_PREFIX, HashingEmbedder, unit_length};
pub use index::{Hit, KnowledgeIndex, Retrieval, RetrievalConfig, VectorCountMismatch, Verdict};
pub use memory::MemoryKnowledgeStore;
pub use retriever::{Asked, Cited, QuestionSpend, QuestionVectors, ReindexError, Reindexed, Retriever, snippet};
pub use source::{Chunk, ContentHash, SourceKind, SourceRef};
pub use store::{DocumentWrite, KnowledgeStore, StoredDocument, document_hash, vector_bytes, vector_from_bytes};
pub use terms::terms;
