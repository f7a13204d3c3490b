use std::fmt;

/// A tenant's slug: `fresh-cuts`, `bright-smile`.
///
/// Lowercase ASCII letters, digits and single dashes; 2 to 63 characters;
/// starts with a letter or digit and does not end with a dash. It appears in
/// URLs, log fields and database keys, so it is kept boring on purpose.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TenantId(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TenantIdError {
    #[error("tenant id must not be empty")]
    Empty,
    #[error("tenant id {0:?} is too long (at most 63 characters)")]
    TooLong(String),
    #[error("tenant id {0:?} is too short (at least 2 characters)")]
    TooShort(String),
    #[error(
        "tenant id {0:?} may contain only lowercase letters, digits and dashes, must start with a letter or digit and must not end with a dash or contain \"--\""
    )]
    InvalidCharacters(String),
}

impl TenantId {
    pub const MAX_LEN: usize = 63;

    pub fn parse(raw: &str) -> Result<TenantId, TenantIdError> {
        if raw.is_empty() {
            return Err(TenantIdError::Empty);
        }
        if raw.len() > Self::MAX_LEN {
            return Err(TenantIdError::TooLong(raw.to_owned()));
        }
        if raw.len() < 2 {
            return Err(TenantIdError::TooShort(raw.to_owned()));
        }
        let allowed = raw.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        let well_formed = allowed && !raw.starts_with('-') && !raw.ends_with('-') && !raw.contains("--");
        if !well_formed {
            return Err(TenantIdError::InvalidCharacters(raw.to_owned()));
        }
        Ok(TenantId(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TenantId({})", self.0)
    }
}

impl AsRef<str> for TenantId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(raw: &str, expected: Result<&str, TenantIdError>) {
        let actual = TenantId::parse(raw);
        assert_eq!(actual.as_ref().map(TenantId::as_str), expected.as_ref().map(|s| *s), "input {raw:?}");
    }

    #[test]
    fn accepts_slugs() {
        check("fresh-cuts", Ok("fresh-cuts"));
        check("bright-smile-2", Ok("bright-smile-2"));
        check("a1", Ok("a1"));
        check("9lives", Ok("9lives"));
    }

    #[test]
    fn rejects_everything_else() {
        check("", Err(TenantIdError::Empty));
        check("a", Err(TenantIdError::TooShort("a".into())));
        check(&"a".repeat(64), Err(TenantIdError::TooLong("a".repeat(64))));
        for bad in ["Fresh-Cuts", "fresh cuts", "-fresh", "fresh-", "fresh--cuts", "fresh_cuts", "frésh", "../etc"] {
            check(bad, Err(TenantIdError::InvalidCharacters(bad.into())));
        }
    }
}
