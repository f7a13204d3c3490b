use std::fmt;

/// A phone number in E.164 form: `+` then 8 to 15 digits, the first not zero.
///
/// Parsing accepts what people and vendors actually write
/// (`+1 (555) 555-0100`, `+44 20 7946 0958`, `0044 20 7946 0958`,
/// `tel:+15555550100`) and normalises it; it refuses anything without a
/// country code, because guessing a country is how texts go to strangers.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct E164(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneNumberError {
    #[error("phone number must not be empty")]
    Empty,
    #[error("phone number {0:?} contains {1:?}; only digits, spaces, dashes, dots and parentheses are allowed")]
    InvalidCharacter(String, char),
    #[error("phone number {0:?} has no country code; write it as +<country code><number>, e.g. +15555550100")]
    MissingCountryCode(String),
    #[error("phone number {0:?} has {1} digits; E.164 numbers have 8 to 15")]
    WrongLength(String, usize),
    #[error("phone number {0:?} has a country code starting with 0, which does not exist")]
    ZeroCountryCode(String),
}

impl E164 {
    pub fn parse(raw: &str) -> Result<E164, PhoneNumberError> {
        // Numbers already in E.164 form (every number a store reads back,
        // thousands a page) are copied as they are.
        if let Some(digits) = raw.strip_prefix('+')
            && (8..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0')
        {
            return Ok(E164(raw.to_owned()));
        }
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(PhoneNumberError::Empty);
        }
        let without_scheme = trimmed.strip_prefix("tel:").unwrap_or(trimmed);
        let (international, rest) = if let Some(rest) = without_scheme.strip_prefix('+') {
            (true, rest)
        } else if let Some(rest) = without_scheme.strip_prefix("00") {
            (true, rest)
        } else {
            (false, without_scheme)
        };
        let mut digits = String::with_capacity(16);
        for ch in rest.chars() {
            match ch {
                '0'..='9' => digits.push(ch),
                ' ' | '-' | '.' | '(' | ')' | '\u{a0}' => {}
                other => return Err(PhoneNumberError::InvalidCharacter(raw.to_owned(), other)),
            }
        }
        if !international {
            return Err(PhoneNumberError::MissingCountryCode(raw.to_owned()));
        }
        if !(8..=15).contains(&digits.len()) {
            return Err(PhoneNumberError::WrongLength(raw.to_owned(), digits.len()));
        }
        if digits.starts_with('0') {
            return Err(PhoneNumberError::ZeroCountryCode(raw.to_owned()));
        }
        Ok(E164(format!("+{digits}")))
    }

    /// `+15555550100`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The last four digits, for logs and read-backs that must not expose the
    /// whole number.
    pub fn last_four(&self) -> &str {
        &self.0[self.0.len() - 4..]
    }
}

impl fmt::Display for E164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for E164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "E164({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(raw: &str, expected: &str) {
        assert_eq!(E164::parse(raw).map(|n| n.as_str().to_owned()), Ok(expected.to_owned()), "input {raw:?}");
    }

    #[test]
    fn normalises_what_people_write() {
        check("+1 (555) 555-0100", "+15555550100");
        check("+15555550100", "+15555550100");
        check("  +44 20 7946 0958 ", "+442079460958");
        check("0044 20 7946 0958", "+442079460958");
        check("tel:+1.555.555.0100", "+15555550100");
    }

    #[test]
    fn rejects_garbage_with_a_reason() {
        assert_eq!(E164::parse(""), Err(PhoneNumberError::Empty));
        assert_eq!(E164::parse("555-555-0100"), Err(PhoneNumberError::MissingCountryCode("555-555-0100".into())));
        assert_eq!(
            E164::parse("+1 555 CALL NOW"),
            Err(PhoneNumberError::InvalidCharacter("+1 555 CALL NOW".into(), 'C'))
        );
        assert_eq!(E164::parse("+1234"), Err(PhoneNumberError::WrongLength("+1234".into(), 4)));
        assert_eq!(
            E164::parse("+1234567890123456"),
            Err(PhoneNumberError::WrongLength("+1234567890123456".into(), 16))
        );
        assert_eq!(E164::parse("+0123456789"), Err(PhoneNumberError::ZeroCountryCode("+0123456789".into())));
        assert!(E164::parse("+1 555 555 0100 ext 2").is_err());
    }

    #[test]
    fn last_four() {
        assert_eq!(E164::parse("+15555550123").map(|n| n.last_four().to_owned()), Ok("0123".to_owned()));
    }
}
