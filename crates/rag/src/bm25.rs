//! BM25 over a tenant's chunks (k1 = 1.2, b = 0.75).

use std::collections::HashMap;

const K1: f32 = 1.2;
const B: f32 = 0.75;

/// An inverted index of term frequencies per passage. Terms are interned:
/// each passage keeps its distinct terms as sorted ids.
#[derive(Debug, Clone, Default)]
pub struct Bm25Index {
    ids: HashMap<String, u32>,
    /// term id → (passage, occurrences in it)
    postings: Vec<Vec<(u32, u32)>>,
    /// passage → its distinct term ids, sorted
    passage_terms: Vec<Vec<u32>>,
    lengths: Vec<u32>,
    average_length: f32,
}

impl Bm25Index {
    /// One entry per passage, in order: its terms.
    pub fn build(passages: &[Vec<String>]) -> Bm25Index {
        let mut index = Bm25Index::default();
        for (passage, terms) in passages.iter().enumerate() {
            index.lengths.push(terms.len() as u32);
            let mut counts: HashMap<u32, u32> = HashMap::new();
            for term in terms {
                let next = index.ids.len() as u32;
                let id = *index.ids.entry(term.clone()).or_insert(next);
                if id == next {
                    index.postings.push(Vec::new());
                }
                *counts.entry(id).or_default() += 1;
            }
            let mut distinct: Vec<u32> = counts.keys().copied().collect();
            distinct.sort_unstable();
            for &id in &distinct {
                index.postings[id as usize].push((passage as u32, counts[&id]));
            }
            index.passage_terms.push(distinct);
        }
        let total: u64 = index.lengths.iter().map(|&l| u64::from(l)).sum();
        index.average_length = if index.lengths.is_empty() { 0.0 } else { total as f32 / index.lengths.len() as f32 };
        index.ids.shrink_to_fit();
        index
    }

    /// Whether any passage holds `term`.
    pub fn knows(&self, term: &str) -> bool {
        self.ids.contains_key(term)
    }

    /// Whether `passage` holds `term`.
    pub fn holds(&self, passage: usize, term: &str) -> bool {
        match (self.ids.get(term), self.passage_terms.get(passage)) {
            (Some(id), Some(terms)) => terms.binary_search(id).is_ok(),
            _ => false,
        }
    }

    /// Every term of the index.
    pub fn vocabulary(&self) -> impl Iterator<Item = &str> {
        self.ids.keys().map(String::as_str)
    }

    /// How rare a term is: ln(1 + (N − n + 0.5) / (n + 0.5)); a term no
    /// passage holds is as rare as can be.
    pub fn idf(&self, term: &str) -> f32 {
        let n = self.ids.get(term).map_or(0, |&id| self.postings[id as usize].len()) as f32;
        let total = self.lengths.len() as f32;
        (1.0 + (total - n + 0.5) / (n + 0.5)).ln()
    }

    /// Passages that share a term with the query, best first, with their scores.
    pub fn search(&self, query: &[String]) -> Vec<(usize, f32)> {
        let mut scores: HashMap<u32, f32> = HashMap::new();
        let mut seen: Vec<u32> = Vec::new();
        for term in query {
            let Some(&id) = self.ids.get(term) else { continue };
            if seen.contains(&id) {
                continue;
            }
            seen.push(id);
            let idf = self.idf(term);
            for &(passage, count) in &self.postings[id as usize] {
                let tf = count as f32;
                let length = self.lengths[passage as usize] as f32;
                let norm = K1 * (1.0 - B + B * length / self.average_length.max(1.0));
                *scores.entry(passage).or_default() += idf * tf * (K1 + 1.0) / (tf + norm);
            }
        }
        let mut ranked: Vec<(usize, f32)> = scores.into_iter().map(|(p, s)| (p as usize, s)).collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked
    }

    /// About how much memory the index holds, in bytes.
    pub fn memory_bytes(&self) -> usize {
        let vocabulary: usize = self.ids.keys().map(|term| term.len() + 48).sum();
        let postings: usize = self.postings.iter().map(|p| p.len() * 8 + 24).sum();
        let passages: usize = self.passage_terms.iter().map(|t| t.len() * 4 + 24).sum();
        vocabulary + postings + passages + self.lengths.len() * 4
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(text: &str) -> Vec<String> {
        text.split(' ').map(str::to_owned).collect()
    }

    #[test]
    fn rarer_and_repeated_terms_rank_higher_and_length_is_normalised() {
        let index = Bm25Index::build(&[
            terms("haircut price haircut"),
            terms("beard trim price"),
            terms("parking street meter price and more words that dilute the passage a lot"),
        ]);
        let ranked = index.search(&terms("haircut price"));
        assert_eq!(ranked.iter().map(|r| r.0).collect::<Vec<_>>(), [0, 1, 2]);
        assert!(index.idf("haircut") > index.idf("price"));
        assert!(index.idf("unknown") > index.idf("haircut"));
        assert!(index.holds(1, "beard") && !index.holds(0, "beard") && !index.holds(0, "unknown"));
        assert!(index.search(&terms("nothing shared")).is_empty());
        assert!(Bm25Index::build(&[]).search(&terms("x")).is_empty());
    }
}
