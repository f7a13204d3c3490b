//! The knowledge evaluation: labelled callers' questions (answerable ones
//! with the document that answers each, and unanswerable ones) asked of each
//! demo shop's index, built from its profile and documents, with or without
//! an [`Embedder`]'s vectors. The same run serves every embedder: none
//! (BM25 alone), the offline [`HashingEmbedder`](crate::HashingEmbedder), or
//! a provider's adapter, so figures compare like for like.
//!
//! It reads the fixture files it is pointed at and nothing else, and prints
//! nothing: an [`EvalReport`] is data, its `Display` the table. Behind the
//! `eval` feature, for the YAML parser production code does not need.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use frontdesk_tenant::{ProfileDocument, TenantProfile};
use serde::Deserialize;

use crate::{
    Chunk, Document, EmbedError, Embedder, Hit, KnowledgeIndex, RetrievalConfig, SourceRef, Verdict, document_chunks,
    profile_chunks,
};

/// The most texts one [`Embedder::embed`] call is given (OpenAI's limit per
/// request; an adapter may split further).
pub const MAX_EMBED_INPUTS: usize = 2_048;

/// How many of a question's first hits an outcome keeps.
pub const FIRST_HITS: usize = 4;

/// One labelled question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelledQuestion {
    pub shop: String,
    pub question: String,
    /// The key of the document that answers it (`payments`); `None` when
    /// nothing the shop knows does.
    pub source: Option<String>,
}

/// The labelled questions and, for every shop they name, the chunks of its
/// profile and documents.
#[derive(Debug, Clone)]
pub struct EvalSet {
    questions: Vec<LabelledQuestion>,
    shops: BTreeMap<String, Vec<Chunk>>,
}

/// Why the evaluation could not run.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("{}: {error}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        error: std::io::Error,
    },
    /// A fixture that does not parse: the questions, a profile or a document.
    #[error("{}: {message}", path.display())]
    Invalid { path: PathBuf, message: String },
    #[error("{shop}: {error}")]
    Embed {
        shop: String,
        #[source]
        error: EmbedError,
    },
    /// The embedder gave another number of vectors than it was given texts.
    #[error("{shop}: {vectors} vectors for {texts} texts")]
    VectorCount { shop: String, texts: usize, vectors: usize },
}

#[derive(Deserialize)]
struct QuestionsFile {
    answerable: Vec<AnswerableEntry>,
    unanswerable: Vec<UnanswerableEntry>,
}

#[derive(Deserialize)]
struct AnswerableEntry {
    shop: String,
    q: String,
    /// `<shop>/<document key>`.
    source: String,
}

#[derive(Deserialize)]
struct UnanswerableEntry {
    shop: String,
    q: String,
}

impl EvalSet {
    /// Reads `fixtures/knowledge/questions.yaml`, and for each shop it names
    /// `fixtures/tenants/<shop>.toml` and every file in `fixtures/knowledge/<shop>/`.
    pub fn load(fixtures: &Path) -> Result<EvalSet, EvalError> {
        let questions_path = fixtures.join("knowledge").join("questions.yaml");
        let file: QuestionsFile = serde_yaml_ng::from_str(&read(&questions_path)?)
            .map_err(|e| EvalError::Invalid { path: questions_path.clone(), message: e.to_string() })?;
        let answerable = file.answerable.into_iter().map(|entry| {
            let key = entry.source.split_once('/').map_or(entry.source.as_str(), |(_, key)| key).to_owned();
            LabelledQuestion { shop: entry.shop, question: entry.q, source: Some(key) }
        });
        let unanswerable = file.unanswerable.into_iter().map(|entry| LabelledQuestion {
            shop: entry.shop,
            question: entry.q,
            source: None,
        });
        let questions: Vec<LabelledQuestion> = answerable.chain(unanswerable).collect();
        let mut shops = BTreeMap::new();
        for question in &questions {
            if !shops.contains_key(&question.shop) {
                shops.insert(question.shop.clone(), shop_chunks(fixtures, &question.shop)?);
            }
        }
        Ok(EvalSet { questions, shops })
    }

    /// Answerable questions first, then unanswerable ones, each in file order.
    pub fn questions(&self) -> &[LabelledQuestion] {
        &self.questions
    }

    /// Every shop's chunks, by shop name.
    pub fn shops(&self) -> impl Iterator<Item = (&str, &[Chunk])> {
        self.shops.iter().map(|(shop, chunks)| (shop.as_str(), chunks.as_slice()))
    }
}

fn read(path: &Path) -> Result<String, EvalError> {
    std::fs::read_to_string(path).map_err(|error| EvalError::Read { path: path.to_owned(), error })
}

/// A shop's profile chunks and every document in its folder, in file-name order.
fn shop_chunks(fixtures: &Path, shop: &str) -> Result<Vec<Chunk>, EvalError> {
    let profile_path = fixtures.join("tenants").join(format!("{shop}.toml"));
    let invalid = |path: &Path, message: String| EvalError::Invalid { path: path.to_owned(), message };
    let document =
        ProfileDocument::from_toml(&read(&profile_path)?).map_err(|e| invalid(&profile_path, e.to_string()))?;
    let profile = TenantProfile::parse(&document).map_err(|e| invalid(&profile_path, e.to_string()))?;
    let mut chunks = profile_chunks(&profile);
    let folder = fixtures.join("knowledge").join(shop);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
        .map_err(|error| EvalError::Read { path: folder.clone(), error })?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .collect();
    files.sort();
    for path in files {
        let Some(format) = path.extension().and_then(|e| e.to_str()) else { continue };
        let Some(id) = path.file_stem().and_then(|s| s.to_str()) else { continue };
        let text = read(&path)?;
        let title = html_title(&text).unwrap_or_else(|| first_line_title(&text, id));
        let document =
            Document::parse(id, &title, format, &text).map_err(|problems| invalid(&path, format!("{problems:?}")))?;
        chunks.extend(document_chunks(&document));
    }
    Ok(chunks)
}

/// The first line that is not markup, without Markdown's `#`s.
fn first_line_title(text: &str, id: &str) -> String {
    text.lines()
        .map(|line| line.trim().trim_start_matches('#').trim())
        .find(|line| !line.is_empty() && !line.starts_with('<'))
        .unwrap_or(id)
        .to_owned()
}

fn html_title(text: &str) -> Option<String> {
    let start = text.find("<h1")?;
    let open_end = start + text[start..].find('>')? + 1;
    let close = open_end + text[open_end..].find("</h1>")?;
    Some(text[open_end..close].trim().to_owned())
}

/// Asks every question of its shop's index. With an `embedder`, each shop's
/// chunks are embedded in calls of at most [`MAX_EMBED_INPUTS`] texts and
/// each question in a call of its own (as a caller's question is), and the
/// thresholds are [`RetrievalConfig::for_model`] of its model; without one,
/// BM25 alone with the default thresholds.
pub async fn evaluate(set: &EvalSet, embedder: Option<&dyn Embedder>) -> Result<EvalReport, EvalError> {
    let config = embedder.map_or_else(RetrievalConfig::default, |e| RetrievalConfig::for_model(e.model_id()));
    let mut indexes: BTreeMap<&str, KnowledgeIndex> = BTreeMap::new();
    let mut tokens: BTreeMap<String, u64> = BTreeMap::new();
    for (shop, chunks) in set.shops() {
        let index = KnowledgeIndex::build(chunks.to_vec());
        let index = match embedder {
            None => index,
            Some(embedder) => {
                let texts: Vec<String> = chunks.iter().map(Chunk::indexed_text).collect();
                let (rows, spent) = embed_in_batches(embedder, &texts)
                    .await
                    .map_err(|error| EvalError::Embed { shop: shop.to_owned(), error })?;
                *tokens.entry(shop.to_owned()).or_default() += spent;
                index.with_vectors(embedder.model_id(), rows).map_err(|mismatch| EvalError::VectorCount {
                    shop: shop.to_owned(),
                    texts: mismatch.chunks,
                    vectors: mismatch.vectors,
                })?
            }
        };
        tokens.entry(shop.to_owned()).or_default();
        indexes.insert(shop, index);
    }
    let mut outcomes = Vec::with_capacity(set.questions.len());
    for question in &set.questions {
        let shop = question.shop.as_str();
        // Every question's shop was loaded with the set.
        let Some(index) = indexes.get(shop) else { continue };
        let vector = match embedder {
            None => None,
            Some(embedder) => {
                let embedded = embedder
                    .embed(std::slice::from_ref(&question.question))
                    .await
                    .map_err(|error| EvalError::Embed { shop: shop.to_owned(), error })?;
                *tokens.entry(shop.to_owned()).or_default() += embedded.tokens;
                let count = embedded.vectors.len();
                let mut vectors = embedded.vectors.into_iter();
                match (vectors.next(), count) {
                    (Some(vector), 1) => Some(vector),
                    _ => return Err(EvalError::VectorCount { shop: shop.to_owned(), texts: 1, vectors: count }),
                }
            }
        };
        let found = index.retrieve(&question.question, vector.as_deref(), &config);
        let first_hits = found
            .hits
            .iter()
            .take(FIRST_HITS)
            .map(|hit| {
                let chunk = &index.chunks()[hit.chunk];
                RankedPassage { hit: hit.clone(), source: chunk.source.clone(), headings: chunk.headings.clone() }
            })
            .collect();
        outcomes.push(QuestionOutcome {
            question: question.clone(),
            verdict: found.verdict,
            terms: found.terms,
            first_hits,
        });
    }
    Ok(EvalReport { model: embedder.map(|e| e.model_id().to_owned()), config, outcomes, tokens })
}

/// `texts` through `embedder` in calls of at most [`MAX_EMBED_INPUTS`]: the
/// vectors in order, and the tokens counted.
async fn embed_in_batches(embedder: &dyn Embedder, texts: &[String]) -> Result<(Vec<Vec<f32>>, u64), EmbedError> {
    let mut vectors = Vec::with_capacity(texts.len());
    let mut tokens = 0;
    for batch in texts.chunks(MAX_EMBED_INPUTS) {
        let embedded = embedder.embed(batch).await?;
        tokens += embedded.tokens;
        vectors.extend(embedded.vectors);
    }
    Ok((vectors, tokens))
}

/// One of a question's first hits, with the passage's source.
#[derive(Debug, Clone, PartialEq)]
pub struct RankedPassage {
    pub hit: Hit,
    pub source: SourceRef,
    pub headings: Vec<String>,
}

/// What one question got.
#[derive(Debug, Clone, PartialEq)]
pub struct QuestionOutcome {
    pub question: LabelledQuestion,
    pub verdict: Verdict,
    /// The question's terms as searched.
    pub terms: Vec<String>,
    /// At most [`FIRST_HITS`], best first.
    pub first_hits: Vec<RankedPassage>,
}

impl QuestionOutcome {
    /// The source of the first hit, if anything matched.
    pub fn first_source(&self) -> Option<&SourceRef> {
        self.first_hits.first().map(|passage| &passage.source)
    }

    /// An answerable question whose first hit is from the document that answers it.
    pub fn right_first(&self) -> bool {
        match (&self.question.source, self.first_source()) {
            (Some(expected), Some(first)) => first.key == *expected,
            _ => false,
        }
    }

    pub fn answered(&self) -> bool {
        self.verdict == Verdict::Answer
    }

    /// What went wrong, if anything: an answerable question whose first hit
    /// is from another source (or nothing), or an unanswerable one not
    /// answered with "not found".
    pub fn miss(&self) -> Option<Miss> {
        let wrong = match self.question.source {
            Some(_) => !self.right_first(),
            None => self.verdict != Verdict::NotFound,
        };
        wrong.then(|| Miss {
            shop: self.question.shop.clone(),
            question: self.question.question.clone(),
            got: self.first_source().map(SourceRef::id),
            expected: self.question.source.clone(),
            verdict: self.verdict,
        })
    }
}

/// The question, how it was searched, and (when the first hit is wrong)
/// the first hits with their scores: what a calibration needs to see.
impl fmt::Display for QuestionOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let top = self.first_hits.first().map(|passage| &passage.hit);
        let coverage = top.map_or(0.0, |hit| hit.coverage);
        let lexical = top.and_then(|hit| hit.lexical).unwrap_or(0.0);
        let (verdict, question, terms) = (self.verdict, &self.question.question, &self.terms);
        if self.question.source.is_none() {
            return write!(f, "U cov {coverage:.2} lex {lexical:.2} {verdict:?} {question:?} {terms:?}");
        }
        let mark = if self.right_first() { "ok " } else { "BAD" };
        write!(f, "A {mark} cov {coverage:.2} lex {lexical:.2} {verdict:?} {question:?} {terms:?}")?;
        if !self.right_first() {
            for passage in &self.first_hits {
                let hit = &passage.hit;
                write!(
                    f,
                    "\n      {:.3} lex {:5.2} sem {:.2} cov {:.2} {} {:?}",
                    hit.score,
                    hit.lexical.unwrap_or(0.0),
                    hit.semantic.unwrap_or(0.0),
                    hit.coverage,
                    passage.source.id(),
                    passage.headings
                )?;
            }
        }
        Ok(())
    }
}

/// A question the retrieval got wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Miss {
    pub shop: String,
    pub question: String,
    /// The first hit's source id (`doc:payments`), if anything matched.
    pub got: Option<String>,
    /// The document that answers it; `None` for an unanswerable question.
    pub expected: Option<String>,
    pub verdict: Verdict,
}

impl fmt::Display for Miss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Miss { shop, question, got, expected, verdict } = self;
        let got = got.as_deref().unwrap_or("nothing");
        match expected {
            Some(expected) => write!(f, "{shop}: {question:?} → {got} (expected {expected}; {verdict:?})"),
            None => write!(f, "{shop}: {question:?} → {got} ({verdict:?})"),
        }
    }
}

/// The figures of a set of outcomes (one shop's, or all).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Figures {
    pub answerable: usize,
    /// Answerable questions whose first hit is from the right document.
    pub right_first: usize,
    /// Answerable questions answered (verdict Answer)…
    pub answered: usize,
    /// …and of those, answered from the right document.
    pub answered_right: usize,
    pub unanswerable: usize,
    /// Unanswerable questions not met with "not found".
    pub unanswerable_answered: Vec<Miss>,
    /// Answerable questions whose first hit is from another source.
    pub wrong_first: Vec<Miss>,
    /// What embedding the chunks and the questions cost (0 offline).
    pub tokens: u64,
}

impl Figures {
    fn of<'a>(outcomes: impl IntoIterator<Item = &'a QuestionOutcome>, tokens: u64) -> Figures {
        let mut figures = Figures { tokens, ..Figures::default() };
        for outcome in outcomes {
            let miss = outcome.miss();
            if outcome.question.source.is_some() {
                let right = outcome.right_first();
                figures.answerable += 1;
                figures.right_first += usize::from(right);
                if outcome.answered() {
                    figures.answered += 1;
                    figures.answered_right += usize::from(right);
                }
                figures.wrong_first.extend(miss);
            } else {
                figures.unanswerable += 1;
                figures.unanswerable_answered.extend(miss);
            }
        }
        figures
    }

    pub fn right_first_percent(&self) -> f64 {
        percent(self.right_first, self.answerable)
    }

    pub fn answered_percent(&self) -> f64 {
        percent(self.answered, self.answerable)
    }

    /// One line of figures named `name`, then a line per miss.
    pub fn summary(&self, name: &str) -> String {
        let mut text = format!(
            "{name}: right source first {}/{} ({:.1} %), answered {} ({:.1} %, {} of them right), unanswerable answered {}/{}",
            self.right_first,
            self.answerable,
            self.right_first_percent(),
            self.answered,
            self.answered_percent(),
            self.answered_right,
            self.unanswerable_answered.len(),
            self.unanswerable,
        );
        for miss in &self.wrong_first {
            text.push_str(&format!("\n  wrong first: {miss}"));
        }
        for miss in &self.unanswerable_answered {
            text.push_str(&format!("\n  answered but should not be: {miss}"));
        }
        text
    }
}

fn percent(part: usize, whole: usize) -> f64 {
    100.0 * part as f64 / whole.max(1) as f64
}

/// Every question's outcome, and what embedding cost per shop.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalReport {
    /// The embedding model's id; `None` for BM25 alone.
    pub model: Option<String>,
    /// The thresholds the verdicts were made with.
    pub config: RetrievalConfig,
    /// In the order of [`EvalSet::questions`].
    pub outcomes: Vec<QuestionOutcome>,
    /// Tokens the embedder counted, per shop (chunks and questions).
    pub tokens: BTreeMap<String, u64>,
}

impl EvalReport {
    /// One shop's figures.
    pub fn shop(&self, shop: &str) -> Figures {
        let outcomes = self.outcomes.iter().filter(|o| o.question.shop == shop);
        Figures::of(outcomes, self.tokens.get(shop).copied().unwrap_or(0))
    }

    /// Every shop's figures, by shop name.
    pub fn shops(&self) -> Vec<(String, Figures)> {
        self.tokens.keys().map(|shop| (shop.clone(), self.shop(shop))).collect()
    }

    /// All questions' figures (misses in question order).
    pub fn overall(&self) -> Figures {
        Figures::of(&self.outcomes, self.tokens.values().sum())
    }
}

/// The table: a row per shop and one for all, then every miss.
impl fmt::Display for EvalReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.model {
            None => writeln!(f, "knowledge evaluation: BM25 alone")?,
            Some(model) => writeln!(f, "knowledge evaluation: BM25 + vectors of {model}")?,
        }
        writeln!(
            f,
            "{:<14} {:>18} {:>13} {:>17} {:>21} {:>10}",
            "shop", "right source first", "answered", "from right source", "unanswerable answered", "tokens"
        )?;
        let overall = self.overall();
        let rows = self.shops().into_iter().chain(std::iter::once(("all".to_owned(), overall.clone())));
        for (shop, figures) in rows {
            writeln!(
                f,
                "{:<14} {:>18} {:>13} {:>17} {:>21} {:>10}",
                shop,
                format!("{}/{} ({:.1} %)", figures.right_first, figures.answerable, figures.right_first_percent()),
                format!("{} ({:.1} %)", figures.answered, figures.answered_percent()),
                format!("{}/{}", figures.answered_right, figures.answered),
                format!("{}/{}", figures.unanswerable_answered.len(), figures.unanswerable),
                thousands(figures.tokens),
            )?;
        }
        for miss in &overall.wrong_first {
            writeln!(f, "  wrong first: {miss}")?;
        }
        for miss in &overall.unanswerable_answered {
            writeln!(f, "  answered but should not be: {miss}")?;
        }
        Ok(())
    }
}

/// `12345` → `12,345`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut text = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            text.push(',');
        }
        text.push(digit);
    }
    text
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use async_trait::async_trait;

    use super::*;
    use crate::{Embedded, HashingEmbedder};

    /// The hashing embedder, recording how many texts each call was given.
    struct Recording {
        inner: HashingEmbedder,
        calls: Mutex<Vec<usize>>,
    }

    #[async_trait]
    impl Embedder for Recording {
        fn model_id(&self) -> &str {
            self.inner.model_id()
        }

        fn dims(&self) -> usize {
            self.inner.dims()
        }

        async fn embed(&self, texts: &[String]) -> Result<Embedded, EmbedError> {
            self.calls.lock().unwrap_or_else(|e| e.into_inner()).push(texts.len());
            let embedded = self.inner.embed(texts).await?;
            Ok(Embedded { tokens: texts.len() as u64, ..embedded })
        }
    }

    #[tokio::test]
    async fn chunks_are_embedded_in_calls_of_at_most_2048_texts_in_order() {
        let embedder = Recording { inner: HashingEmbedder::new(16), calls: Mutex::new(Vec::new()) };
        let texts: Vec<String> = (0..4_100).map(|i| format!("passage number {i}")).collect();
        let (vectors, tokens) = embed_in_batches(&embedder, &texts).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(*embedder.calls.lock().unwrap_or_else(|e| e.into_inner()), [2_048, 2_048, 4]);
        assert_eq!(tokens, 4_100);
        let expected: Vec<Vec<f32>> = texts.iter().map(|t| embedder.inner.embed_one(t)).collect();
        assert!(vectors == expected, "the vectors are in the texts' order");
    }

    #[test]
    fn misses_and_figures_read_as_the_evaluation_prints_them() {
        let miss = Miss {
            shop: "fresh-cuts".into(),
            question: "can i bring my dog".into(),
            got: Some("doc:policies".into()),
            expected: None,
            verdict: Verdict::Answer,
        };
        assert_eq!(miss.to_string(), r#"fresh-cuts: "can i bring my dog" → doc:policies (Answer)"#);
        let wrong = Miss { got: None, expected: Some("kids".into()), verdict: Verdict::NotFound, ..miss.clone() };
        assert_eq!(wrong.to_string(), r#"fresh-cuts: "can i bring my dog" → nothing (expected kids; NotFound)"#);
        let figures = Figures {
            answerable: 3,
            right_first: 2,
            answered: 1,
            answered_right: 1,
            unanswerable: 2,
            unanswerable_answered: vec![miss],
            wrong_first: vec![wrong],
            tokens: 0,
        };
        assert_eq!(
            figures.summary("BM25"),
            "BM25: right source first 2/3 (66.7 %), answered 1 (33.3 %, 1 of them right), unanswerable answered 1/2\n  \
             wrong first: fresh-cuts: \"can i bring my dog\" → nothing (expected kids; NotFound)\n  \
             answered but should not be: fresh-cuts: \"can i bring my dog\" → doc:policies (Answer)"
        );
        assert_eq!(
            [thousands(0), thousands(999), thousands(1_000), thousands(1_234_567)],
            ["0", "999", "1,000", "1,234,567"]
        );
    }
}
