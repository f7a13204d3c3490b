//! Cutting the profile and documents into sourced passages.

use frontdesk_tenant::TenantProfile;

use crate::document::{Document, DocumentFormat};
use crate::source::{Chunk, SourceKind, SourceRef};

/// A passage holds at most this many words (a few hundred tokens): long
/// enough to carry a fact with its context, short enough to be spoken.
pub const MAX_CHUNK_WORDS: usize = 220;

const WEEKDAYS: [(chrono::Weekday, &str); 7] = [
    (chrono::Weekday::Mon, "Monday"),
    (chrono::Weekday::Tue, "Tuesday"),
    (chrono::Weekday::Wed, "Wednesday"),
    (chrono::Weekday::Thu, "Thursday"),
    (chrono::Weekday::Fri, "Friday"),
    (chrono::Weekday::Sat, "Saturday"),
    (chrono::Weekday::Sun, "Sunday"),
];

fn source(kind: SourceKind, key: impl Into<String>, title: impl Into<String>) -> SourceRef {
    SourceRef { kind, key: key.into(), title: title.into() }
}

/// The profile's facts, one chunk each: every FAQ, every service (with its
/// aliases, duration and price), the hours, the closures, the address, the
/// booking rules and the staff.
pub fn profile_chunks(profile: &TenantProfile) -> Vec<Chunk> {
    let mut chunks = Vec::new();
    for (index, faq) in profile.faqs().iter().enumerate() {
        let text = format!("{} {}", faq.question, faq.answer);
        chunks.push(Chunk::new(source(SourceKind::Faq, index.to_string(), &faq.question), Vec::new(), text));
    }
    for service in profile.services() {
        let mut text = service.name().to_owned();
        if !service.aliases().is_empty() {
            text.push_str(&format!(" (also called {})", service.aliases().join(", ")));
        }
        text.push_str(&format!(": {} minutes, price {}.", service.duration_minutes(), service.price()));
        // The title is the name alone: a "Service:" label in every service's
        // passage would match any caller who says "service" (a service dog).
        let title = service.name().to_owned();
        chunks.push(Chunk::new(source(SourceKind::Service, service.name().to_lowercase(), title), Vec::new(), text));
    }
    let days: Vec<String> = WEEKDAYS
        .iter()
        .map(|(day, name)| {
            let ranges = profile.hours().on(*day);
            if ranges.is_empty() {
                format!("{name} closed")
            } else {
                let ranges: Vec<String> = ranges.iter().map(ToString::to_string).collect();
                format!("{name} {}", ranges.join(" and "))
            }
        })
        .collect();
    let hours = format!("Opening hours, when the shop is open: {}.", days.join("; "));
    chunks.push(Chunk::new(source(SourceKind::Hours, "", "Opening hours"), Vec::new(), hours));
    if !profile.closures().is_empty() {
        let dates: Vec<String> = profile.closures().iter().map(|d| d.format("%B %-d, %Y").to_string()).collect();
        let text = format!("The shop is closed on holidays: {}.", dates.join(", "));
        chunks.push(Chunk::new(source(SourceKind::Closures, "", "Closures"), Vec::new(), text));
    }
    if let Some(address) = profile.address() {
        let text = format!("Where to find us, address and location: {address}");
        chunks.push(Chunk::new(source(SourceKind::Address, "", "Address"), Vec::new(), text));
    }
    let rules = profile.booking();
    let text = format!(
        "Booking an appointment: book at least {} minutes ahead and at most {} days ahead. Cancellation policy: cancel or reschedule at least {} hours before the appointment.",
        rules.min_notice_minutes, rules.max_days_ahead, rules.cancellation_notice_hours
    );
    chunks.push(Chunk::new(source(SourceKind::Booking, "", "Booking and cancellation"), Vec::new(), text));
    if !profile.staff().is_empty() {
        let staff: Vec<String> = profile
            .staff()
            .iter()
            .map(|member| match member.services() {
                Some(services) if !services.is_empty() => format!("{} ({})", member.name(), services.join(", ")),
                _ => member.name().to_owned(),
            })
            .collect();
        let text = format!("Who works here, our team and staff: {}.", staff.join(", "));
        chunks.push(Chunk::new(source(SourceKind::Staff, "", "Staff"), Vec::new(), text));
    }
    chunks
}

/// A document's passages: split on headings, then paragraphs, each at most
/// [`MAX_CHUNK_WORDS`] words (a longer paragraph is split between
/// sentences), each carrying the headings above it.
pub fn document_chunks(document: &Document) -> Vec<Chunk> {
    let blocks = match document.format {
        DocumentFormat::Markdown => markdown_blocks(&document.text),
        DocumentFormat::Text => text_blocks(&document.text, &document.title),
        DocumentFormat::Html => html_blocks(&document.text),
    };
    let source = source(SourceKind::Document, document.id.as_str(), &document.title);
    let mut chunks = Vec::new();
    let mut path: Vec<(u8, String)> = Vec::new();
    let mut pending: Vec<String> = Vec::new();
    let flush = |path: &[(u8, String)], pending: &mut Vec<String>, chunks: &mut Vec<Chunk>| {
        if pending.is_empty() {
            return;
        }
        let headings = path.iter().map(|(_, h)| h.clone()).collect();
        chunks.push(Chunk::new(source.clone(), headings, pending.join("\n")));
        pending.clear();
    };
    for block in blocks {
        match block {
            Block::Heading(level, text) => {
                flush(&path, &mut pending, &mut chunks);
                // The document's own title is the source's title, not a heading.
                if level == 1 && same_words(&text, &document.title) {
                    continue;
                }
                path.retain(|(l, _)| *l < level);
                path.push((level, text));
            }
            Block::Paragraph(text) => {
                for piece in split_long(&text) {
                    let words = |parts: &[String]| parts.iter().map(|p| p.split_whitespace().count()).sum::<usize>();
                    if !pending.is_empty() && words(&pending) + piece.split_whitespace().count() > MAX_CHUNK_WORDS {
                        flush(&path, &mut pending, &mut chunks);
                    }
                    pending.push(piece);
                }
            }
        }
    }
    flush(&path, &mut pending, &mut chunks);
    chunks
}

fn same_words(a: &str, b: &str) -> bool {
    frontdesk_tenant::normalize_phrase(a) == frontdesk_tenant::normalize_phrase(b)
}

#[derive(Debug, PartialEq, Eq)]
enum Block {
    /// Level 1 (the title) to 6.
    Heading(u8, String),
    Paragraph(String),
}

/// Paragraphs separated by blank lines; `#` headings; list items each their
/// own line; emphasis, code marks and link targets dropped.
fn markdown_blocks(text: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut paragraph: Vec<String> = Vec::new();
    let end = |paragraph: &mut Vec<String>, blocks: &mut Vec<Block>| {
        if !paragraph.is_empty() {
            blocks.push(Block::Paragraph(paragraph.join(" ")));
            paragraph.clear();
        }
    };
    for line in text.lines() {
        let line = line.trim();
        let hashes = line.chars().take_while(|c| *c == '#').count();
        if (1..=6).contains(&hashes) && line[hashes..].starts_with(' ') {
            end(&mut paragraph, &mut blocks);
            blocks.push(Block::Heading(hashes as u8, plain_markdown(line[hashes..].trim())));
        } else if line.is_empty() || line.chars().all(|c| matches!(c, '-' | '*' | '_' | '=')) {
            end(&mut paragraph, &mut blocks);
        } else if let Some(item) = list_item(line) {
            // A list item ends the sentence before it.
            if let Some(last) = paragraph.last_mut()
                && !last.ends_with(['.', ':', ';', '!', '?'])
            {
                last.push(';');
            }
            paragraph.push(plain_markdown(item));
        } else {
            paragraph.push(plain_markdown(line));
        }
    }
    end(&mut paragraph, &mut blocks);
    blocks
}

fn list_item(line: &str) -> Option<&str> {
    if let Some(rest) = line.strip_prefix("- ").or_else(|| line.strip_prefix("* ")).or_else(|| line.strip_prefix("+ "))
    {
        return Some(rest.trim());
    }
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    (digits > 0 && line[digits..].starts_with(". ")).then(|| line[digits + 2..].trim())
}

/// `**bold**`, `_it_`, `` `code` `` and `[text](url)` as plain text.
fn plain_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        match (after.find("]("), after.find(']')) {
            (Some(close), Some(first_close)) if close == first_close => {
                let target = &after[close + 2..];
                let Some(end) = target.find(')') else { break };
                out.push_str(&rest[..open]);
                out.push_str(&after[..close]);
                rest = &target[end + 1..];
            }
            _ => {
                out.push_str(&rest[..=open]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out.chars().filter(|c| !matches!(c, '*' | '`')).collect::<String>().replace(" _", " ").replace("_ ", " ")
}

/// Plain text: paragraphs separated by blank lines; a short line ending in
/// a colon is a heading; a first line equal to the title is skipped.
fn text_blocks(text: &str, title: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    for (index, paragraph) in text.split("\n\n").enumerate() {
        let lines: Vec<&str> = paragraph.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
        let mut lines = lines.as_slice();
        if index == 0 && lines.first().is_some_and(|first| same_words(first, title)) {
            lines = &lines[1..];
        }
        while let Some((first, rest)) = lines.split_first() {
            if first.ends_with(':') && first.split_whitespace().count() <= 8 {
                blocks.push(Block::Heading(2, first.trim_end_matches(':').to_owned()));
                lines = rest;
            } else {
                break;
            }
        }
        if !lines.is_empty() {
            blocks.push(Block::Paragraph(lines.join(" ")));
        }
    }
    blocks
}

/// HTML: `<h1>`–`<h6>` are headings; `<p>`, `<li>`, `<br>`, `<div>`, `<tr>`
/// end a paragraph; scripts, styles and comments are dropped; the common
/// entities are decoded.
fn html_blocks(html: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut current = String::new();
    let mut heading: Option<u8> = None;
    let mut rest = html;
    let end = |current: &mut String, heading: Option<u8>, blocks: &mut Vec<Block>| {
        let text = decode_entities(current).split_whitespace().collect::<Vec<_>>().join(" ");
        if !text.is_empty() {
            blocks.push(match heading {
                Some(level) => Block::Heading(level, text),
                None => Block::Paragraph(text),
            });
        }
        current.clear();
    };
    while let Some(open) = rest.find('<') {
        current.push_str(&rest[..open]);
        rest = &rest[open..];
        if let Some(comment) = rest.strip_prefix("<!--") {
            rest = comment.find("-->").map_or("", |close| &comment[close + 3..]);
            continue;
        }
        let Some(close) = rest.find('>') else {
            rest = "";
            break;
        };
        let tag = rest[1..close].trim().to_ascii_lowercase();
        rest = &rest[close + 1..];
        let name: String = tag.trim_start_matches('/').chars().take_while(char::is_ascii_alphanumeric).collect();
        if matches!(name.as_str(), "script" | "style") && !tag.starts_with('/') {
            let closing = format!("</{name}");
            let lower = rest.to_ascii_lowercase();
            rest = lower.find(&closing).map_or("", |at| {
                let after = &rest[at..];
                after.find('>').map_or("", |gt| &after[gt + 1..])
            });
            continue;
        }
        let level = match name.as_bytes() {
            [b'h', digit @ b'1'..=b'6'] => Some(digit - b'0'),
            _ => None,
        };
        let breaks = level.is_some()
            || matches!(
                name.as_str(),
                "p" | "li" | "br" | "div" | "tr" | "section" | "article" | "ul" | "ol" | "table"
            );
        if breaks {
            end(&mut current, heading, &mut blocks);
            heading = if tag.starts_with('/') { None } else { level };
        } else {
            current.push(' ');
        }
    }
    current.push_str(rest);
    end(&mut current, heading, &mut blocks);
    blocks
}

fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let Some(semi) = after.find(';').filter(|semi| *semi <= 8) else {
            out.push('&');
            rest = after;
            continue;
        };
        let entity = &after[..semi];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" | "#39" => Some('\''),
            "nbsp" => Some(' '),
            "mdash" => Some('—'),
            "ndash" => Some('–'),
            _ => entity
                .strip_prefix("#x")
                .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|dec| dec.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &after[semi + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// A paragraph longer than a chunk, cut between sentences (a sentence
/// longer than a chunk between words).
fn split_long(paragraph: &str) -> Vec<String> {
    if paragraph.split_whitespace().count() <= MAX_CHUNK_WORDS {
        return vec![paragraph.to_owned()];
    }
    let mut pieces = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    for word in paragraph.split_whitespace() {
        current.push(word);
        let sentence_end = word.ends_with(['.', '!', '?']);
        if current.len() >= MAX_CHUNK_WORDS || (sentence_end && current.len() >= MAX_CHUNK_WORDS * 3 / 4) {
            pieces.push(current.join(" "));
            current.clear();
        }
    }
    if !current.is_empty() {
        pieces.push(current.join(" "));
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(format: &str, text: &str) -> Document {
        Document::parse("payments", "Paying at Fresh Cuts", format, text).unwrap_or_else(|e| panic!("{e:?}"))
    }

    fn summary(chunks: &[Chunk]) -> Vec<(Vec<String>, String)> {
        chunks.iter().map(|c| (c.headings.clone(), c.text.clone())).collect()
    }

    fn owned(headings: &[&str], text: &str) -> (Vec<String>, String) {
        (headings.iter().map(|h| (*h).to_owned()).collect(), text.to_owned())
    }

    #[test]
    fn markdown_is_cut_on_headings_with_their_path() {
        let text = "# Paying at Fresh Cuts\n\nIntro line.\n\n## Cards\n\nWe take **Visa** and [Amex](https://amex.com).\n- Apple Pay\n- Google Pay\n\n### Tips\n\nTips in `cash` please.\n\n## Cash\n\nExact change helps.\n";
        let chunks = document_chunks(&doc("markdown", text));
        assert_eq!(
            summary(&chunks),
            [
                owned(&[], "Intro line."),
                owned(&["Cards"], "We take Visa and Amex. Apple Pay; Google Pay"),
                owned(&["Cards", "Tips"], "Tips in cash please."),
                owned(&["Cash"], "Exact change helps."),
            ]
        );
        assert!(chunks.iter().all(|c| c.source.id() == "doc:payments" && c.source.title == "Paying at Fresh Cuts"));
    }

    #[test]
    fn html_loses_its_tags_scripts_and_styles() {
        let html = "<html><head><style>p { color: red }</style><script>var x = '<p>no</p>';</script></head><body><h1>Paying at Fresh Cuts</h1><!-- hidden --><h2>Cards &amp; phones</h2><p>We take <b>Visa</b>&nbsp;and Apple&#39;s Pay.</p><ul><li>Cash</li><li>Checks &lt;$50</li></ul></body></html>";
        assert_eq!(
            summary(&document_chunks(&doc("html", html))),
            [owned(&["Cards & phones"], "We take Visa and Apple's Pay.\nCash\nChecks <$50")]
        );
    }

    #[test]
    fn plain_text_headings_end_in_a_colon() {
        let text = "Paying at Fresh Cuts\n\nCards:\nWe take Visa.\n\nCash is fine too.\n\nTips:\nThank you!";
        assert_eq!(
            summary(&document_chunks(&doc("text", text))),
            [owned(&["Cards"], "We take Visa.\nCash is fine too."), owned(&["Tips"], "Thank you!")]
        );
    }

    #[test]
    fn long_sections_are_cut_between_sentences_under_the_limit() {
        let sentence = "Every client gets a hot towel and a neck shave after the cut is done. ";
        let text = format!("## Extras\n\n{}", sentence.repeat(60));
        let chunks = document_chunks(&doc("markdown", &text));
        assert!(chunks.len() >= 4, "{}", chunks.len());
        for chunk in &chunks {
            assert!(chunk.text.split_whitespace().count() <= MAX_CHUNK_WORDS, "{}", chunk.text);
            assert!(chunk.text.ends_with('.'), "cut between sentences: {}", chunk.text);
            assert_eq!(chunk.headings, ["Extras"]);
        }
    }
}
