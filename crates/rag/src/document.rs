//! A document an owner adds to the shop's knowledge, parsed at the edge.

use std::fmt;

/// Largest document accepted (its text, in bytes).
pub const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;
const MAX_TITLE_CHARS: usize = 200;
const MAX_ID_CHARS: usize = 100;

/// How a document's text is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocumentFormat {
    Text,
    Markdown,
    /// Tags stripped; scripts, styles and comments dropped.
    Html,
}

impl DocumentFormat {
    pub fn parse(raw: &str) -> Result<DocumentFormat, DocumentError> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "text" | "txt" | "plain" => Ok(DocumentFormat::Text),
            "markdown" | "md" => Ok(DocumentFormat::Markdown),
            "html" | "htm" => Ok(DocumentFormat::Html),
            "pdf" => Err(DocumentError::Pdf),
            _ => Err(DocumentError::Format(raw.to_owned())),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DocumentFormat::Text => "text",
            DocumentFormat::Markdown => "markdown",
            DocumentFormat::Html => "html",
        }
    }
}

/// A document's id within its shop: `payments`, `aftercare-2026`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DocumentId(String);

impl DocumentId {
    pub fn parse(raw: &str) -> Result<DocumentId, DocumentError> {
        let ok = !raw.is_empty()
            && raw.chars().count() <= MAX_ID_CHARS
            && raw.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.'))
            && !raw.starts_with(['-', '.']);
        if ok { Ok(DocumentId(raw.to_owned())) } else { Err(DocumentError::Id(raw.to_owned())) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DocumentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a document was refused; each names the field to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    #[error("{0:?} is not a document id (1 to 100 of a-z, 0-9, '-', '_', '.')")]
    Id(String),
    #[error("must be 1 to 200 characters without control characters")]
    Title,
    #[error("{0:?} is not one of markdown, text, html")]
    Format(String),
    #[error(
        "PDF is not accepted (no well-kept pure-Rust extractor reads PDFs reliably); paste the text, or save it as HTML or Markdown"
    )]
    Pdf,
    #[error("is empty")]
    Empty,
    #[error("is {0} bytes; the limit is 1 MB")]
    TooLarge(usize),
    #[error("contains a control character other than newline and tab")]
    ControlCharacter,
}

impl DocumentError {
    /// The request field the problem is about.
    pub fn field(&self) -> &'static str {
        match self {
            DocumentError::Id(_) => "id",
            DocumentError::Title => "title",
            DocumentError::Format(_) | DocumentError::Pdf => "format",
            DocumentError::Empty | DocumentError::TooLarge(_) | DocumentError::ControlCharacter => "text",
        }
    }
}

/// A validated document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub id: DocumentId,
    pub title: String,
    pub format: DocumentFormat,
    pub text: String,
}

impl Document {
    /// Checks every field; all problems are returned at once.
    pub fn parse(id: &str, title: &str, format: &str, text: &str) -> Result<Document, Vec<DocumentError>> {
        let mut problems = Vec::new();
        let id = DocumentId::parse(id).map_err(|e| problems.push(e)).ok();
        let title = title.trim();
        let title_ok =
            !title.is_empty() && title.chars().count() <= MAX_TITLE_CHARS && !title.chars().any(char::is_control);
        if !title_ok {
            problems.push(DocumentError::Title);
        }
        let format = DocumentFormat::parse(format).map_err(|e| problems.push(e)).ok();
        if text.len() > MAX_DOCUMENT_BYTES {
            problems.push(DocumentError::TooLarge(text.len()));
        } else if text.trim().is_empty() {
            problems.push(DocumentError::Empty);
        } else if text.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\t' | '\r')) {
            problems.push(DocumentError::ControlCharacter);
        }
        match (id, format) {
            (Some(id), Some(format)) if problems.is_empty() => {
                // Card numbers never reach the index, a provider or the store.
                let text = frontdesk_language::redact_card_numbers(&text.replace("\r\n", "\n"));
                Ok(Document { id, title: title.to_owned(), format, text })
            }
            _ => Err(problems),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_problem_is_reported_with_its_field() {
        let problems = Document::parse("Bad Id", "", "docx", "").err().unwrap_or_default();
        let fields: Vec<&str> = problems.iter().map(DocumentError::field).collect();
        assert_eq!(fields, ["id", "title", "format", "text"]);
        let large = "x".repeat(MAX_DOCUMENT_BYTES + 1);
        assert_eq!(Document::parse("a", "A", "text", &large), Err(vec![DocumentError::TooLarge(large.len())]));
        assert_eq!(Document::parse("a", "A", "pdf", "text"), Err(vec![DocumentError::Pdf]));
        assert_eq!(Document::parse("a", "A", "text", "nul\u{0}"), Err(vec![DocumentError::ControlCharacter]));
        let card = Document::parse("a", "A", "text", "Test card 4111 1111 1111 1111 works.").map(|d| d.text);
        assert_eq!(card, Ok("Test card [card number removed] works.".to_owned()));
        let ok = Document::parse("payments", " Payments ", "Markdown", "# Payments\r\nCards.");
        assert_eq!(
            ok.map(|d| (d.title, d.format, d.text)),
            Ok(("Payments".into(), DocumentFormat::Markdown, "# Payments\nCards.".into()))
        );
    }
}
