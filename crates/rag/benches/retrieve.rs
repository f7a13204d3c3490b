//! Retrieval speed and memory for a tenant with 5,000 chunks: BM25 alone and
//! fused with 256-dimension vectors. Prints p50/p99 latency, CPU time per
//! question (this process's user + system time from /proc, so a noisy
//! machine does not inflate it) and the index's memory.
//!
//! `cargo bench -p frontdesk-rag --bench retrieve`

use std::time::Instant;

use frontdesk_rag::{Chunk, HashingEmbedder, KnowledgeIndex, RetrievalConfig, SourceKind, SourceRef};

const CHUNKS: usize = 5_000;
const QUESTIONS: usize = 2_000;

/// Words of a shop's documents, to make passages of realistic length and
/// vocabulary (about 3,000 distinct words).
fn vocabulary() -> Vec<String> {
    let base = [
        "appointment",
        "cancel",
        "parking",
        "payment",
        "card",
        "cash",
        "insurance",
        "child",
        "beard",
        "fade",
        "shave",
        "towel",
        "pomade",
        "wax",
        "gel",
        "wheelchair",
        "ramp",
        "door",
        "street",
        "train",
        "bus",
        "price",
        "tip",
        "deposit",
        "refund",
        "policy",
        "late",
        "minutes",
        "hours",
        "weekend",
        "holiday",
        "gift",
        "product",
        "shampoo",
        "conditioner",
        "scissors",
        "clipper",
        "razor",
        "lineup",
        "taper",
        "crew",
        "buzz",
        "braid",
        "color",
        "dye",
        "clean",
        "filling",
        "crown",
        "implant",
        "whitening",
        "xray",
        "emergency",
        "pain",
        "swelling",
        "numb",
        "floss",
        "brush",
        "plan",
        "monthly",
        "discount",
        "student",
        "senior",
        "veteran",
        "family",
        "friend",
    ];
    let mut words: Vec<String> = base.iter().map(|w| (*w).to_owned()).collect();
    for i in 0..3_000 {
        words.push(format!("{}{}", base[i % base.len()], i / base.len()));
    }
    words
}

/// A deterministic pseudo-random sequence (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 as usize
    }
}

fn process_cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after_name = stat.rfind(')').map_or("", |at| &stat[at + 1..]);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks: u64 = fields.get(11).and_then(|f| f.parse().ok()).unwrap_or(0)
        + fields.get(12).and_then(|f| f.parse().ok()).unwrap_or(0);
    ticks as f64 / 100.0
}

fn main() {
    let words = vocabulary();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let chunks: Vec<Chunk> = (0..CHUNKS)
        .map(|i| {
            let length = 60 + rng.next() % 160;
            let text: Vec<&str> = (0..length).map(|_| words[rng.next() % words.len()].as_str()).collect();
            let source = SourceRef {
                kind: SourceKind::Document,
                key: format!("doc-{}", i / 10),
                title: format!("Document {}", i / 10),
            };
            Chunk::new(source, vec![format!("Section {}", i % 10)], text.join(" "))
        })
        .collect();
    let questions: Vec<String> = (0..QUESTIONS)
        .map(|_| {
            let length = 3 + rng.next() % 6;
            let mut q: Vec<&str> = vec!["do", "you", "have"];
            q.extend((0..length).map(|_| words[rng.next() % words.len()].as_str()));
            q.join(" ")
        })
        .collect();
    let embedder = HashingEmbedder::default();
    let started = Instant::now();
    let lexical = KnowledgeIndex::build(chunks.clone());
    println!("built the BM25 index of {CHUNKS} chunks in {:.0} ms", started.elapsed().as_secs_f64() * 1000.0);
    let rows = chunks.iter().map(|c| embedder.embed_one(&c.indexed_text())).collect();
    let fused = KnowledgeIndex::build(chunks).with_vectors("hashing", rows).unwrap_or_else(|e| panic!("{e}"));
    let config = RetrievalConfig::default();
    for (name, index, vectors) in [("BM25", &lexical, false), ("BM25 + 256-dim vectors", &fused, true)] {
        let query_vectors: Vec<Vec<f32>> =
            if vectors { questions.iter().map(|q| embedder.embed_one(q)).collect() } else { Vec::new() };
        // Warm up, then measure.
        for q in questions.iter().take(100) {
            std::hint::black_box(index.retrieve(q, None, &config));
        }
        let mut latencies: Vec<f64> = Vec::with_capacity(questions.len());
        let cpu_before = process_cpu_seconds();
        for (i, q) in questions.iter().enumerate() {
            let vector = query_vectors.get(i).map(Vec::as_slice);
            let started = Instant::now();
            std::hint::black_box(index.retrieve(q, vector, &config));
            latencies.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        let cpu = process_cpu_seconds() - cpu_before;
        latencies.sort_by(f64::total_cmp);
        let at = |p: f64| latencies[((latencies.len() - 1) as f64 * p).round() as usize];
        println!(
            "{name}: {QUESTIONS} questions over {CHUNKS} chunks: p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms; CPU {:.3} ms per question; index about {:.1} MiB",
            at(0.5),
            at(0.99),
            at(1.0),
            cpu * 1000.0 / QUESTIONS as f64,
            index.memory_bytes() as f64 / (1024.0 * 1024.0),
        );
    }
}
