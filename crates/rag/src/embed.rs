//! The `Embedder` port, and the offline embedder that needs no model.

use async_trait::async_trait;

/// Why texts could not be embedded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmbedError {
    /// Busy, down, timed out: try again later (lexical retrieval serves meanwhile).
    #[error("the embedding provider is unavailable: {0}")]
    Unavailable(String),
    /// Refused for good (bad key, bad model, input too long).
    #[error("the embedding provider refused: {0}")]
    Refused(String),
}

/// Turns texts into vectors of one model (an adapter: OpenAI embeddings).
#[async_trait]
pub trait Embedder: Send + Sync {
    /// The model and its dimensions (`text-embedding-3-small@512`): vectors
    /// of different models are never compared.
    fn model_id(&self) -> &str;

    fn dims(&self) -> usize;

    /// One vector of [`Embedder::dims`] per text, in order, and the tokens
    /// the provider counted (what embedding costs; 0 offline).
    async fn embed(&self, texts: &[String]) -> Result<Embedded, EmbedError>;
}

/// Vectors, one per text, and what they cost.
#[derive(Debug, Clone, PartialEq)]
pub struct Embedded {
    pub vectors: Vec<Vec<f32>>,
    pub tokens: u64,
}

/// The model id of every [`HashingEmbedder`] starts with this.
pub const HASHING_MODEL_PREFIX: &str = "hashing-trigrams@";

/// A deterministic embedder over character trigrams of each term, hashed
/// into a fixed number of dimensions (the "hashing trick"). It knows no
/// meanings, only spellings: "cavaty" lands near "cavity". The offline
/// default, and the fake in tests.
#[derive(Debug, Clone)]
pub struct HashingEmbedder {
    dims: usize,
    model_id: String,
}

impl HashingEmbedder {
    pub fn new(dims: usize) -> HashingEmbedder {
        let dims = dims.max(8);
        HashingEmbedder { dims, model_id: format!("{HASHING_MODEL_PREFIX}{dims}") }
    }

    /// The vector of one text, unit length (all zeros for a text without terms).
    pub fn embed_one(&self, text: &str) -> Vec<f32> {
        let mut vector = vec![0.0_f32; self.dims];
        for term in crate::terms::terms(text) {
            let padded: Vec<char> = format!("<{term}>").chars().collect();
            for gram in padded.windows(3) {
                let hash = fnv1a(gram);
                let slot = (hash % self.dims as u64) as usize;
                let sign = if (hash >> 63) == 0 { 1.0 } else { -1.0 };
                vector[slot] += sign;
            }
        }
        unit_length(vector)
    }
}

impl Default for HashingEmbedder {
    fn default() -> HashingEmbedder {
        HashingEmbedder::new(256)
    }
}

fn fnv1a(chars: &[char]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for c in chars {
        for byte in (*c as u32).to_le_bytes() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    hash
}

#[async_trait]
impl Embedder for HashingEmbedder {
    fn model_id(&self) -> &str {
        &self.model_id
    }

    fn dims(&self) -> usize {
        self.dims
    }

    async fn embed(&self, texts: &[String]) -> Result<Embedded, EmbedError> {
        Ok(Embedded { vectors: texts.iter().map(|text| self.embed_one(text)).collect(), tokens: 0 })
    }
}

/// `vector` scaled to length 1 (all zeros stays all zeros): vectors are
/// compared by a plain dot product once every one is unit length.
pub fn unit_length(mut vector: Vec<f32>) -> Vec<f32> {
    let norm = vector.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        vector.iter_mut().for_each(|x| *x /= norm);
    }
    vector
}

/// The dot product, summed in eight lanes so the compiler can use SIMD.
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0.0_f32; 8];
    let (a8, b8) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = a8.remainder().iter().zip(b8.remainder()).map(|(x, y)| x * y).sum();
    for (x, y) in a8.zip(b8) {
        for lane in 0..8 {
            lanes[lane] += x[lane] * y[lane];
        }
    }
    lanes.iter().sum::<f32>() + tail
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_close_together_land_close_together() {
        let embedder = HashingEmbedder::default();
        let cavity = embedder.embed_one("a cavity filling");
        let misheard = embedder.embed_one("a cavaty filling");
        let other = embedder.embed_one("street parking on Bedford");
        assert!(dot(&cavity, &misheard) > 0.6, "{}", dot(&cavity, &misheard));
        assert!(dot(&cavity, &other) < 0.3, "{}", dot(&cavity, &other));
        assert_eq!(embedder.embed_one("cavity"), embedder.embed_one("cavity"), "deterministic");
        assert!(embedder.embed_one("the a of").iter().all(|x| *x == 0.0));
        assert_eq!(unit_length(vec![3.0, 4.0]), [0.6, 0.8]);
        assert_eq!(unit_length(vec![0.0, 0.0]), [0.0, 0.0]);
    }
}
