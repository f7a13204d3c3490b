//! Where a passage comes from.

use std::fmt;

use sha2::{Digest, Sha256};

/// What kind of fact a chunk holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SourceKind {
    Faq,
    Service,
    Hours,
    Closures,
    Address,
    Booking,
    Staff,
    /// A document the owner added.
    Document,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Faq => "faq",
            SourceKind::Service => "service",
            SourceKind::Hours => "hours",
            SourceKind::Closures => "closures",
            SourceKind::Address => "address",
            SourceKind::Booking => "booking",
            SourceKind::Staff => "staff",
            SourceKind::Document => "doc",
        }
    }

    /// Facts a caller must hear from the profile's structured data (prices,
    /// hours, dates, the address), never paraphrased from a passage.
    pub fn is_structured(self) -> bool {
        matches!(self, SourceKind::Service | SourceKind::Hours | SourceKind::Closures | SourceKind::Address)
    }
}

/// A chunk's source: its kind, a key unique within the kind (a document
/// id, an FAQ's position, a service's name) and a title to show.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SourceRef {
    pub kind: SourceKind,
    pub key: String,
    pub title: String,
}

impl SourceRef {
    /// `doc:payments`, `faq:2`, `service:skin fade`, `hours:`: what a call
    /// record and an answer cite.
    pub fn id(&self) -> String {
        format!("{}:{}", self.kind.as_str(), self.key)
    }
}

/// SHA-256 of a chunk's text with its headings: unchanged text keeps its
/// vector when a document is re-indexed.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ContentHash([u8; 32]);

impl ContentHash {
    pub fn of(parts: &[&str]) -> ContentHash {
        let mut hasher = Sha256::new();
        for part in parts {
            hasher.update((part.len() as u64).to_be_bytes());
            hasher.update(part.as_bytes());
        }
        ContentHash(hasher.finalize().into())
    }

    /// Reads the 64 hex digits [`fmt::Display`] writes.
    pub fn from_hex(hex: &str) -> Option<ContentHash> {
        if hex.len() != 64 || !hex.is_ascii() {
            return None;
        }
        let mut bytes = [0_u8; 32];
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
        }
        Some(ContentHash(bytes))
    }
}

impl fmt::Display for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|byte| write!(f, "{byte:02x}"))
    }
}

impl fmt::Debug for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ContentHash({self})")
    }
}

/// A passage a caller may hear, with where it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    pub source: SourceRef,
    /// The headings above the passage, outermost first (the document's
    /// title is the source's, not repeated here).
    pub headings: Vec<String>,
    pub text: String,
    pub hash: ContentHash,
}

impl Chunk {
    pub fn new(source: SourceRef, headings: Vec<String>, text: String) -> Chunk {
        let mut parts: Vec<&str> = headings.iter().map(String::as_str).collect();
        parts.push(&text);
        let hash = ContentHash::of(&parts);
        Chunk { source, headings, text, hash }
    }

    /// What is indexed: the source's title, the headings and the text.
    pub fn indexed_text(&self) -> String {
        let mut text = self.source.title.clone();
        for heading in &self.headings {
            text.push_str(". ");
            text.push_str(heading);
        }
        text.push_str(". ");
        text.push_str(&self.text);
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_changes_with_the_text_or_its_headings_only() {
        let source = SourceRef { kind: SourceKind::Document, key: "payments".into(), title: "Payments".into() };
        let a = Chunk::new(source.clone(), vec!["Cards".into()], "We take all major cards.".into());
        let renamed = SourceRef { title: "How to pay".into(), ..source.clone() };
        assert_eq!(a.hash, Chunk::new(renamed, vec!["Cards".into()], "We take all major cards.".into()).hash);
        assert_ne!(a.hash, Chunk::new(source.clone(), vec!["Cash".into()], "We take all major cards.".into()).hash);
        assert_ne!(a.hash, Chunk::new(source, vec!["Cards".into()], "We take cash.".into()).hash);
        assert_eq!(a.hash.to_string().len(), 64);
        assert_eq!(ContentHash::from_hex(&a.hash.to_string()), Some(a.hash));
        assert_eq!(ContentHash::from_hex("zz"), None);
        assert_eq!(a.source.id(), "doc:payments");
    }
}
