//! A tenant's knowledge, indexed, and the verdict on a question.

use crate::bm25::Bm25Index;
use crate::embed::{dot, unit_length as unit};
use crate::source::{Chunk, SourceKind};
use crate::terms::{edit_distance, terms};

/// What the receptionist does with a question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The first hit answers it.
    Answer,
    /// The first two hits are close and from different sources: ask which.
    Clarify,
    /// Nothing the shop knows answers it: say so, offer a person, record it.
    NotFound,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Answer => "answer",
            Verdict::Clarify => "clarify",
            Verdict::NotFound => "not_found",
        }
    }
}

/// Every threshold of the verdict, in one place; calibrated on
/// `fixtures/knowledge/questions.yaml` (see the crate's evaluation test).
#[derive(Debug, Clone, PartialEq)]
pub struct RetrievalConfig {
    /// Reciprocal rank fusion's constant: Σ 1/(k + rank).
    pub rrf_k: f32,
    /// Hits kept from each ranking.
    pub candidates: usize,
    /// The share of the question's weight (its terms' IDF) the first hit
    /// must hold to answer: the rest of the question is something else.
    pub min_coverage: f32,
    /// A passage whose title and headings name none of the question's
    /// words answers only when it holds this much of the question (and
    /// the question has two words the knowledge knows): a word used in
    /// passing is not what a passage is about.
    pub min_coverage_off_topic: f32,
    /// The least lexical (BM25) score of an answer.
    pub min_lexical: f32,
    /// A second hit from another source within this share of the first's
    /// fused score, and covering the question as well, makes it Clarify.
    pub clarify_margin: f32,
    /// How much the vector ranking counts in the fusion against the
    /// lexical one (1.0 = as much). A hashing embedder knows spellings, not
    /// meanings, so its ranking only breaks near-ties (0.05).
    pub semantic_weight: f32,
    /// A language model's cosine at or above this vouches that a passage
    /// using the question's words in passing is still about it (`None`: no
    /// model vouches, as for the hashing embedder).
    pub semantic_vouch: Option<f32>,
}

impl Default for RetrievalConfig {
    fn default() -> RetrievalConfig {
        RetrievalConfig {
            rrf_k: 60.0,
            candidates: 20,
            min_coverage: 0.7,
            min_coverage_off_topic: 0.9,
            min_lexical: 1.0,
            clarify_margin: 0.1,
            semantic_weight: 1.0,
            semantic_vouch: None,
        }
    }
}

impl RetrievalConfig {
    /// The thresholds for vectors of `model_id` (see [`crate::Embedder::model_id`]).
    pub fn for_model(model_id: &str) -> RetrievalConfig {
        if model_id.starts_with(crate::embed::HASHING_MODEL_PREFIX) {
            // Calibrated on the evaluation set: at 0.5 the hashing ranking
            // (spellings, not meanings) overturned the words' clear first
            // choice on four questions and set none right. At 0.05 it
            // breaks near-ties: it lifts a passage at most three places
            // near the top of the lexical ranking.
            RetrievalConfig { semantic_weight: 0.05, ..RetrievalConfig::default() }
        } else {
            // A starting value for OpenAI's -3- models, not yet calibrated
            // on the evaluation set (that needs a key; `just eval-knowledge`).
            RetrievalConfig { semantic_vouch: Some(0.6), ..RetrievalConfig::default() }
        }
    }
}

/// A passage that matched, with how well.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// Its position in [`KnowledgeIndex::chunks`].
    pub chunk: usize,
    /// Fused score, normalised: 1.0 is first in every ranking used.
    pub score: f32,
    pub lexical: Option<f32>,
    pub semantic: Option<f32>,
    /// The share of the question's weight the passage holds.
    pub coverage: f32,
}

/// The verdict and the hits it was made from, best first.
#[derive(Debug, Clone, PartialEq)]
pub struct Retrieval {
    pub verdict: Verdict,
    pub hits: Vec<Hit>,
    /// The question's terms as searched (a misheard word mapped to the
    /// closest word the knowledge has).
    pub terms: Vec<String>,
}

/// A question as searched.
struct Query {
    terms: Vec<String>,
    /// Distinct terms some passage holds.
    known_terms: usize,
}

/// One tenant's chunks, their BM25 index and, optionally, their vectors.
#[derive(Debug, Clone)]
pub struct KnowledgeIndex {
    chunks: Vec<Chunk>,
    bm25: Bm25Index,
    vectors: Option<Vectors>,
}

#[derive(Debug, Clone)]
struct Vectors {
    model_id: String,
    rows: Vec<Vec<f32>>,
}

/// Vectors given for another number of chunks than the index holds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{vectors} vectors for {chunks} chunks")]
pub struct VectorCountMismatch {
    pub vectors: usize,
    pub chunks: usize,
}

impl KnowledgeIndex {
    pub fn build(chunks: Vec<Chunk>) -> KnowledgeIndex {
        let passages: Vec<Vec<String>> = chunks.iter().map(passage_terms).collect();
        let bm25 = Bm25Index::build(&passages);
        KnowledgeIndex { chunks, bm25, vectors: None }
    }

    /// Adds one vector per chunk, in order, from the embedding model `model_id`.
    pub fn with_vectors(mut self, model_id: &str, rows: Vec<Vec<f32>>) -> Result<KnowledgeIndex, VectorCountMismatch> {
        if rows.len() != self.chunks.len() {
            return Err(VectorCountMismatch { vectors: rows.len(), chunks: self.chunks.len() });
        }
        // Unit length once here, so a question costs one dot product per chunk.
        let rows = rows.into_iter().map(unit).collect();
        self.vectors = Some(Vectors { model_id: model_id.to_owned(), rows });
        Ok(self)
    }

    pub fn chunks(&self) -> &[Chunk] {
        &self.chunks
    }

    /// The embedding model of the vectors, if there are any.
    pub fn vector_model(&self) -> Option<&str> {
        self.vectors.as_ref().map(|v| v.model_id.as_str())
    }

    /// About how much memory the index holds, in bytes.
    pub fn memory_bytes(&self) -> usize {
        let text: usize = self
            .chunks
            .iter()
            .map(|c| {
                c.text.len()
                    + c.source.title.len()
                    + c.source.key.len()
                    + c.headings.iter().map(|h| h.len() + 24).sum::<usize>()
                    + 160
            })
            .sum();
        let vectors = self.vectors.as_ref().map_or(0, |v| v.rows.iter().map(|r| r.len() * 4 + 24).sum());
        text + self.bm25.memory_bytes() + vectors
    }

    /// The verdict on `question`; `query_vector` is its embedding by the
    /// same model as the index's vectors (ignored when the index has none).
    pub fn retrieve(&self, question: &str, query_vector: Option<&[f32]>, config: &RetrievalConfig) -> Retrieval {
        let query = self.heard_as_known(terms(question));
        let weights: Vec<(String, f32)> = {
            let mut unique: Vec<String> = query.clone();
            unique.sort();
            unique.dedup();
            unique.into_iter().map(|term| (term.clone(), self.bm25.idf(&term))).collect()
        };
        let total_weight: f32 = weights.iter().map(|(_, w)| w).sum();
        let lexical: Vec<(usize, f32)> = self.bm25.search(&query).into_iter().take(config.candidates).collect();
        let semantic: Vec<(usize, f32)> = match (&self.vectors, query_vector) {
            (Some(vectors), Some(q)) => {
                let q = unit(q.to_vec());
                let mut scored: Vec<(usize, f32)> = vectors
                    .rows
                    .iter()
                    .enumerate()
                    .filter(|(_, row)| row.len() == q.len())
                    .map(|(i, row)| (i, dot(row, &q)))
                    .filter(|(_, s)| *s > 0.0)
                    .collect();
                let by_score = |a: &(usize, f32), b: &(usize, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
                if scored.len() > config.candidates {
                    scored.select_nth_unstable_by(config.candidates, by_score);
                    scored.truncate(config.candidates);
                }
                scored.sort_by(by_score);
                scored
            }
            _ => Vec::new(),
        };
        let weights_of_rankings = [1.0, if semantic.is_empty() { 0.0 } else { config.semantic_weight }];
        let best = weights_of_rankings.iter().sum::<f32>() / (config.rrf_k + 1.0);
        let mut hits: Vec<Hit> = Vec::new();
        for (ranking, list) in [(0, &lexical), (1, &semantic)] {
            for (rank, &(chunk, score)) in list.iter().enumerate() {
                let rrf = weights_of_rankings[ranking] / (config.rrf_k + rank as f32 + 1.0) / best;
                let hit = match hits.iter_mut().find(|h| h.chunk == chunk) {
                    Some(hit) => hit,
                    None => {
                        let covered: f32 =
                            weights.iter().filter(|(term, _)| self.bm25.holds(chunk, term)).map(|(_, w)| w).sum();
                        let coverage = if total_weight > 0.0 { covered / total_weight } else { 0.0 };
                        hits.push(Hit { chunk, score: 0.0, lexical: None, semantic: None, coverage });
                        let last = hits.len() - 1;
                        &mut hits[last]
                    }
                };
                hit.score += rrf;
                if ranking == 0 {
                    hit.lexical = Some(score);
                } else {
                    hit.semantic = Some(score);
                }
            }
        }
        hits.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then(b.lexical.unwrap_or(0.0).total_cmp(&a.lexical.unwrap_or(0.0)))
                .then(a.chunk.cmp(&b.chunk))
        });
        hits.truncate(config.candidates);
        let asked =
            Query { known_terms: weights.iter().filter(|(term, _)| self.bm25.knows(term)).count(), terms: query };
        let verdict = self.verdict(&hits, &asked, !semantic.is_empty(), config);
        Retrieval { verdict, hits, terms: asked.terms }
    }

    fn answers(&self, hit: &Hit, query: &Query, vectors: bool, config: &RetrievalConfig) -> bool {
        hit.coverage >= config.min_coverage
            && hit.lexical.is_some_and(|score| score >= config.min_lexical)
            && (self.is_about(hit.chunk, &query.terms)
                || (query.known_terms >= 2 && hit.coverage >= config.min_coverage_off_topic)
                || (vectors && config.semantic_vouch.is_some_and(|least| hit.semantic.unwrap_or(0.0) >= least)))
    }

    /// Whether one of `terms` is in the passage's title or headings: what
    /// it is about, not a word it uses in passing ("do you do crowns" is
    /// not answered by "pick the tooth up by the crown").
    fn is_about(&self, chunk: usize, terms_asked: &[String]) -> bool {
        let chunk = &self.chunks[chunk];
        let mut topic = chunk.source.title.clone();
        for heading in &chunk.headings {
            topic.push(' ');
            topic.push_str(heading);
        }
        let topic = terms(&topic);
        terms_asked.iter().any(|term| topic.contains(term))
    }

    fn verdict(&self, hits: &[Hit], query: &Query, vectors: bool, config: &RetrievalConfig) -> Verdict {
        let Some(first) = hits.first().filter(|hit| self.answers(hit, query, vectors, config)) else {
            return Verdict::NotFound;
        };
        let source = &self.chunks[first.chunk].source;
        let rival = hits[1..].iter().find(|hit| self.chunks[hit.chunk].source != *source);
        match rival {
            Some(rival)
                if self.answers(rival, query, vectors, config)
                    && rival.score >= first.score * (1.0 - config.clarify_margin)
                    && rival.coverage >= first.coverage =>
            {
                Verdict::Clarify
            }
            _ => Verdict::Answer,
        }
    }

    /// Each term no passage holds is replaced by the closest one that a
    /// passage does (same first letter, one letter off; two for words of
    /// nine letters or more), as a recogniser mishears: "cavaty" →
    /// "cavity". Words under six letters are left alone: too many short
    /// words are one letter apart ("wife", "wine").
    fn heard_as_known(&self, query: Vec<String>) -> Vec<String> {
        // A word heard as two ("lay rite" for "layrite").
        let mut joined: Vec<String> = Vec::with_capacity(query.len());
        let mut words = query.into_iter().peekable();
        while let Some(word) = words.next() {
            // The two terms as one word, stemmed as one ("lay" + "rite" is "layrit").
            let together = words
                .peek()
                .filter(|_| !self.bm25.knows(&word))
                .map(|next| crate::terms::term(&format!("{word}{next}")))
                .filter(|together| self.bm25.knows(together));
            if let Some(together) = together {
                words.next();
                joined.push(together);
            } else {
                joined.push(word);
            }
        }
        joined
            .into_iter()
            .map(|term| {
                let length = term.chars().count();
                if self.bm25.knows(&term) || length < 6 || term.chars().any(|c| c.is_ascii_digit()) {
                    return term;
                }
                let limit = if length >= 9 { 2 } else { 1 };
                let mut best: Option<(usize, f32, &str)> = None;
                let first = term.chars().next();
                for known in self.bm25.vocabulary() {
                    // A recogniser rarely mishears a word's first sound.
                    if known.chars().count().abs_diff(length) > limit || known.chars().next() != first {
                        continue;
                    }
                    let distance = edit_distance(&term, known, limit);
                    if distance > limit {
                        continue;
                    }
                    let idf = self.bm25.idf(known);
                    let better = best.is_none_or(|(d, i, k)| (distance, -idf, known) < (d, -i, k));
                    if better {
                        best = Some((distance, idf, known));
                    }
                }
                best.map_or(term, |(_, _, known)| known.to_owned())
            })
            .collect()
    }
}

/// The terms a chunk is indexed by. A passage the profile's fields make
/// (a service with its aliases, the hours, the staff with their services)
/// is a list of names, not prose: a word it repeats ("Hot towel shave,
/// also called shave, straight razor shave, wet shave") counts once, or
/// the list would outrank every document that explains the service.
fn passage_terms(chunk: &Chunk) -> Vec<String> {
    let mut passage = terms(&chunk.indexed_text());
    if !matches!(chunk.source.kind, SourceKind::Faq | SourceKind::Document) {
        let mut seen = std::collections::HashSet::new();
        passage.retain(|term| seen.insert(term.clone()));
    }
    passage
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceRef;

    fn chunk(key: &str, text: &str) -> Chunk {
        Chunk::new(
            SourceRef { kind: SourceKind::Document, key: key.into(), title: key.into() },
            Vec::new(),
            text.into(),
        )
    }

    fn index() -> KnowledgeIndex {
        KnowledgeIndex::build(vec![
            chunk("payments", "We accept cash, all major cards, Apple Pay and Google Pay."),
            chunk("parking", "Metered street parking on Bedford Avenue; the L train stops a block away."),
            chunk("kids", "Children under ten get a lollipop and a cape with dinosaurs."),
            chunk("products", "We sell Layrite pomade and Suavecito beard oil at the counter."),
        ])
    }

    #[test]
    fn a_covered_question_is_answered_from_its_passage() {
        let found = index().retrieve("do you guys take apple pay", None, &RetrievalConfig::default());
        assert_eq!(found.verdict, Verdict::Answer, "{found:?}");
        assert_eq!(index().chunks()[found.hits[0].chunk].source.key, "payments");
    }

    #[test]
    fn a_question_about_something_else_is_not_found() {
        for question in ["do you sell gift cards", "can i bring my dog", "is there wifi", ""] {
            let found = index().retrieve(question, None, &RetrievalConfig::default());
            assert_eq!(found.verdict, Verdict::NotFound, "{question}: {found:?}");
        }
    }

    #[test]
    fn a_misheard_word_is_searched_as_the_known_one() {
        let found = index().retrieve("the suavacito beard oil", None, &RetrievalConfig::default());
        assert!(found.terms.contains(&"suavecito".to_owned()), "{:?}", found.terms);
        assert_eq!(index().chunks()[found.hits[0].chunk].source.key, "products");
        let pomade = index().retrieve("do you sell lay rite pomade", None, &RetrievalConfig::default());
        assert_eq!(pomade.verdict, Verdict::Answer, "{pomade:?}");
        assert!(pomade.terms.contains(&crate::terms::term("layrite")), "a word heard as two: {:?}", pomade.terms);
        // Short words are not "corrected": too many are one letter apart.
        let wife = index().retrieve("my wife", None, &RetrievalConfig::default());
        assert_eq!(wife.terms, Vec::<String>::new(), "a stop word");
        let wine = index().retrieve("wine", None, &RetrievalConfig::default());
        assert_eq!(wine.terms, ["wine"]);
    }

    #[test]
    fn two_close_sources_ask_which() {
        let mut chunks = index().chunks().to_vec();
        chunks.push(chunk("kids-cut", "A kids cut for children under ten takes twenty minutes."));
        chunks.push(chunk("kids-party", "A kids party for children under ten takes two hours."));
        let index = KnowledgeIndex::build(chunks);
        let found = index.retrieve("anything for kids under ten", None, &RetrievalConfig::default());
        assert_eq!(found.verdict, Verdict::Clarify, "{found:?}");
    }

    #[test]
    fn a_service_named_with_its_aliases_does_not_outrank_the_passage_that_explains_it() {
        let service = Chunk::new(
            SourceRef { kind: SourceKind::Service, key: "filling".into(), title: "Filling".into() },
            Vec::new(),
            "Filling (also called cavity, cavity filling, tooth filling): 60 minutes, price 220.00 USD.".into(),
        );
        let aftercare = Chunk::new(
            SourceRef { kind: SourceKind::Document, key: "aftercare".into(), title: "Aftercare".into() },
            vec!["After a filling".into()],
            "Your lip and cheek stay numb for two to three hours. Don't eat or drink anything hot until the \
             feeling comes back."
                .into(),
        );
        let mut chunks = index().chunks().to_vec();
        chunks.extend([service, aftercare]);
        let index = KnowledgeIndex::build(chunks);
        let found = index.retrieve("when can i eat after a cavity filling", None, &RetrievalConfig::default());
        assert_eq!(index.chunks()[found.hits[0].chunk].source.key, "aftercare", "{found:?}");
        // Asked for its price, the service comes first.
        let price = index.retrieve("how much is a cavity filling", None, &RetrievalConfig::default());
        assert_eq!(index.chunks()[price.hits[0].chunk].source.key, "filling", "{price:?}");
    }

    #[test]
    fn the_hashing_vectors_break_ties_and_do_not_overturn_the_words() {
        let mut chunks = vec![
            chunk("words", "Tips go to the barber who served you, paid out at the end of the day."),
            chunk("spelling", "Tips are welcome."),
        ];
        for filler in ["a", "b", "c"] {
            chunks.push(chunk(filler, "Nothing in common here."));
        }
        let index = KnowledgeIndex::build(chunks);
        // The vectors put "spelling" first and "words" last of five.
        let rows = vec![
            vec![0.1, 1.0, 0.0],
            vec![1.0, 0.0, 0.0],
            vec![0.9, 0.1, 0.0],
            vec![0.8, 0.2, 0.0],
            vec![0.7, 0.3, 0.0],
        ];
        let model = crate::HashingEmbedder::default();
        let model = crate::Embedder::model_id(&model);
        let index = index.with_vectors(model, rows).unwrap_or_else(|e| panic!("{e}"));
        let question = "do the tips go to the barber";
        let found = index.retrieve(question, Some(&[1.0, 0.0, 0.0]), &RetrievalConfig::for_model(model));
        assert_eq!(index.chunks()[found.hits[0].chunk].source.key, "words", "{found:?}");
        let lexical = index.retrieve(question, None, &RetrievalConfig::for_model(model));
        assert_eq!(index.chunks()[lexical.hits[1].chunk].source.key, "spelling", "second by its words");
    }

    #[test]
    fn vectors_must_match_the_chunks() {
        assert_eq!(
            index().with_vectors("m", vec![vec![1.0]]).err(),
            Some(VectorCountMismatch { vectors: 1, chunks: 4 })
        );
        let embedder = crate::HashingEmbedder::default();
        let rows = index().chunks().iter().map(|c| embedder.embed_one(&c.indexed_text())).collect();
        let with = index().with_vectors(crate::Embedder::model_id(&embedder), rows).unwrap_or_else(|e| panic!("{e}"));
        let q = embedder.embed_one("apple pay");
        let found = with.retrieve("apple pay", Some(&q), &RetrievalConfig::default());
        assert_eq!(with.chunks()[found.hits[0].chunk].source.key, "payments");
        assert!((found.hits[0].score - 1.0).abs() < 1e-6, "first in both rankings: {}", found.hits[0].score);
    }
}
