//! Free text people type or say into the system (names, greetings, answers):
//! one rule for every field, so both stores accept exactly the same text
//! (PostgreSQL refuses a NUL byte that SQLite would store).

/// What a free-text field accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextRule {
    /// Characters at most, after trimming.
    pub max_chars: usize,
    /// Line breaks and tabs are allowed (a greeting, an answer), or not (a name).
    pub multiline: bool,
}

impl TextRule {
    /// A name or a short label: one line.
    pub const NAME: TextRule = TextRule { max_chars: 200, multiline: false };
    /// A person's name on a booking.
    pub const PERSON: TextRule = TextRule { max_chars: 100, multiline: false };
    /// A paragraph (a greeting, an address, an FAQ answer).
    pub const PARAGRAPH: TextRule = TextRule { max_chars: 2000, multiline: true };

    /// The trimmed text, or why it is refused ("must not be blank", "is too
    /// long (…)", "contains a control character (U+0000)").
    pub fn check(self, raw: &str) -> Result<String, String> {
        let text = raw.trim();
        if text.is_empty() {
            return Err("must not be blank".to_owned());
        }
        let chars = text.chars().count();
        if chars > self.max_chars {
            return Err(format!("is too long ({chars} characters; at most {})", self.max_chars));
        }
        let allowed = |c: char| self.multiline && matches!(c, '\n' | '\r' | '\t');
        if let Some(bad) = text.chars().find(|c| c.is_control() && !allowed(*c)) {
            return Err(format!("contains a control character (U+{:04X})", u32::from(bad)));
        }
        Ok(text.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::TextRule;

    #[test]
    fn one_rule_for_free_text() {
        let name = TextRule::NAME;
        assert_eq!(name.check("  Fresh Cuts "), Ok("Fresh Cuts".to_owned()));
        assert_eq!(name.check(" \t "), Err("must not be blank".to_owned()));
        assert_eq!(name.check("Fresh\u{0}Cuts"), Err("contains a control character (U+0000)".to_owned()));
        assert_eq!(name.check("Fresh\nCuts"), Err("contains a control character (U+000A)".to_owned()));
        assert!(name.check(&"x".repeat(201)).is_err_and(|e| e.contains("at most 200")));
        assert!(name.check(&"é".repeat(200)).is_ok(), "characters, not bytes");
        let paragraph = TextRule::PARAGRAPH;
        assert_eq!(paragraph.check("Line one\nLine\ttwo"), Ok("Line one\nLine\ttwo".to_owned()));
        assert!(paragraph.check("bell\u{7}").is_err());
        assert!(TextRule::PERSON.check(&"a".repeat(60_000)).is_err());
    }
}
