/// Percent-encodes everything but RFC 3986 unreserved characters, as
/// Google's own clients do for path segments and query values: calendar ids
/// are e-mail addresses (`@` becomes `%40`), A1 ranges carry quotes, `!` and
/// spaces (a space becomes `%20`, never `+`).
pub fn percent_encode(raw: &str) -> String {
    let mut encoded = String::with_capacity(raw.len());
    for byte in raw.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_unreserved_characters_stay_as_they_are() {
        let check = |raw: &str, expected: &str| assert_eq!(percent_encode(raw), expected, "input {raw:?}");
        check("primary", "primary");
        check("shop@group.calendar.google.com", "shop%40group.calendar.google.com");
        check("a/b?c#d e", "a%2Fb%3Fc%23d%20e");
        check("'Bob''s Sheet'!A1:B2", "%27Bob%27%27s%20Sheet%27%21A1%3AB2");
        check("é", "%C3%A9");
        check("abc-._~", "abc-._~");
    }
}
