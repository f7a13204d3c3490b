//! Twilio's webhook signature (`X-Twilio-Signature`): base64 HMAC-SHA1 of
//! the URL Twilio requested followed by the sorted form parameters, keyed
//! with the account's auth token.
//!
//! The URL is signed as bytes, so it is never parsed and re-serialised here:
//! percent-encoding, userinfo and the query stay exactly as given, and the
//! port variants Twilio sometimes signs are made by editing the authority
//! text alone.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::digest::Key;
use hmac::{Hmac, KeyInit, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

type HmacSha1 = Hmac<Sha1>;

/// The query parameter Twilio adds to the URL of a webhook with a JSON body.
const BODY_HASH_PARAMETER: &str = "bodySHA256";

/// Checks that a webhook came from Twilio. Holds the auth token of the
/// account the webhook is for; `Debug` never shows it.
#[derive(Clone)]
pub struct RequestValidator {
    auth_token: SecretString,
}

impl RequestValidator {
    /// Takes the token as text (`&str`, `&String`, `String`, or a secret's
    /// `expose_secret()`) and keeps it as a secret.
    pub fn new(auth_token: impl AsRef<str>) -> RequestValidator {
        RequestValidator { auth_token: SecretString::from(auth_token.as_ref()) }
    }

    /// The signature Twilio would send for a form POST to `url` with
    /// `params` (pass no params for a GET or a JSON body: they are in the
    /// URL). Names sort by code point; each name's values sort and
    /// duplicates count once; nothing is URL-encoded.
    pub fn compute_signature(&self, url: &str, params: &[(String, String)]) -> String {
        let mut values_by_name: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for (name, value) in params {
            values_by_name.entry(name.as_str()).or_default().insert(value.as_str());
        }
        let mut mac = self.keyed_mac();
        mac.update(url.as_bytes());
        for (name, values) in &values_by_name {
            for value in values {
                mac.update(name.as_bytes());
                mac.update(value.as_bytes());
            }
        }
        BASE64.encode(mac.finalize().into_bytes())
    }

    /// Whether `signature` (the `X-Twilio-Signature` header; empty when it
    /// was missing) signs a form POST to `url` with `params`.
    ///
    /// `url` must be the URL as Twilio requested it, rebuilt from the public
    /// base URL rather than from what a proxy passes on. Because Twilio signs
    /// sometimes with and sometimes without the port, the URL is also tried
    /// with any explicit port removed and with the scheme's default port
    /// added (443 for `https`, 80 for anything else).
    pub fn validate(&self, url: &str, params: &[(String, String)], signature: &str) -> bool {
        let mut valid = false;
        // Every candidate is checked, so the time taken does not reveal which one matched.
        for candidate in url_candidates(url) {
            valid |= constant_time_eq(&self.compute_signature(&candidate, params), signature);
        }
        valid
    }

    /// Whether `signature` signs a webhook whose body is JSON (or anything
    /// but a form): `url` must carry `bodySHA256=<hex sha256 of raw_body>`,
    /// and the signature covers that URL with no parameters. A URL without
    /// `bodySHA256` is refused.
    pub fn validate_with_body(&self, url: &str, raw_body: &[u8], signature: &str) -> bool {
        let Some(claimed_hash) = query_value(url, BODY_HASH_PARAMETER) else {
            return false;
        };
        let body_matches = constant_time_eq(&body_sha256_hex(raw_body), claimed_hash);
        let signature_matches = self.validate(url, &[], signature);
        body_matches & signature_matches
    }

    fn keyed_mac(&self) -> HmacSha1 {
        HmacSha1::new(&hmac_key(self.auth_token.expose_secret().as_bytes()))
    }
}

impl fmt::Debug for RequestValidator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestValidator").field("auth_token", &"[redacted]").finish()
    }
}

/// Lowercase hex SHA-256 of a raw request body, as Twilio puts it in
/// `bodySHA256`.
pub fn body_sha256_hex(raw_body: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(raw_body);
    let mut hex = String::with_capacity(digest.len() * 2);
    for byte in digest {
        hex.push(char::from(HEX[usize::from(byte >> 4)]));
        hex.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    hex
}

/// The HMAC block key for `secret` (RFC 2104: hashed when longer than a
/// block, then zero-padded). HMAC takes keys of any length; building the
/// block key ourselves lets us use the infallible constructor instead of
/// unwrapping an error that cannot happen.
fn hmac_key(secret: &[u8]) -> Key<HmacSha1> {
    let mut key = Key::<HmacSha1>::default();
    let hashed;
    let source: &[u8] = if secret.len() > key.len() {
        hashed = Sha1::digest(secret);
        hashed.as_slice()
    } else {
        secret
    };
    for (slot, byte) in key.iter_mut().zip(source) {
        *slot = *byte;
    }
    key
}

fn constant_time_eq(expected: &str, given: &str) -> bool {
    expected.as_bytes().ct_eq(given.as_bytes()).into()
}

/// The URL exactly, without an explicit port, and with the default port;
/// duplicates removed.
fn url_candidates(url: &str) -> Vec<String> {
    let mut candidates = vec![url.to_owned()];
    if let Some(parts) = AuthorityParts::split(url) {
        for candidate in [parts.without_port(), parts.with_default_port()] {
            if !candidates.contains(&candidate) {
                candidates.push(candidate);
            }
        }
    }
    candidates
}

/// A URL cut around the port of its authority:
/// `{before_port}{port_text}{after_authority}`, where `port_text` is `""`
/// or `":"` followed by digits.
struct AuthorityParts<'a> {
    scheme: &'a str,
    before_port: &'a str,
    port_text: &'a str,
    after_authority: &'a str,
}

impl<'a> AuthorityParts<'a> {
    fn split(url: &'a str) -> Option<AuthorityParts<'a>> {
        let scheme_end = url.find("://")?;
        let scheme = &url[..scheme_end];
        let authority_start = scheme_end + "://".len();
        let authority_len = url[authority_start..].find(['/', '?', '#']).unwrap_or(url.len() - authority_start);
        let authority_end = authority_start + authority_len;
        let authority = &url[authority_start..authority_end];
        // Userinfo ends at the last '@'; a password may contain ':' but the
        // host and port come after it.
        let host_start = authority.rfind('@').map_or(0, |at| at + 1);
        let host_and_port = &authority[host_start..];
        // An IPv6 literal has colons of its own: the port can only follow ']'.
        let search_from = if host_and_port.starts_with('[') { host_and_port.find(']')? } else { 0 };
        let port_start = match host_and_port[search_from..].rfind(':') {
            Some(colon) if host_and_port[search_from + colon + 1..].bytes().all(|b| b.is_ascii_digit()) => {
                search_from + colon
            }
            Some(_) => return None,
            None => host_and_port.len(),
        };
        let port_start_in_url = authority_start + host_start + port_start;
        Some(AuthorityParts {
            scheme,
            before_port: &url[..port_start_in_url],
            port_text: &url[port_start_in_url..authority_end],
            after_authority: &url[authority_end..],
        })
    }

    fn without_port(&self) -> String {
        format!("{}{}", self.before_port, self.after_authority)
    }

    /// Unchanged when a port is given; `host:` (a colon with no digits)
    /// counts as no port.
    fn with_default_port(&self) -> String {
        if self.port_text.len() > 1 {
            return format!("{}{}{}", self.before_port, self.port_text, self.after_authority);
        }
        let default_port = if self.scheme.eq_ignore_ascii_case("https") { 443 } else { 80 };
        format!("{}:{default_port}{}", self.before_port, self.after_authority)
    }
}

/// The raw value of the first `name=` parameter in the URL's query.
fn query_value<'a>(url: &'a str, name: &str) -> Option<&'a str> {
    let without_fragment = url.split('#').next().unwrap_or(url);
    let (_, query) = without_fragment.split_once('?')?;
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (key == name).then_some(value)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_candidates(url: &str, expected: &[&str]) {
        assert_eq!(url_candidates(url), expected, "candidates for {url:?}");
    }

    #[test]
    fn port_variants_edit_only_the_authority() {
        check_candidates(
            "https://mycompany.com/myapp.php?foo=1&bar=2",
            &["https://mycompany.com/myapp.php?foo=1&bar=2", "https://mycompany.com:443/myapp.php?foo=1&bar=2"],
        );
        check_candidates(
            "https://mycompany.com:1234/myapp.php?foo=1",
            &["https://mycompany.com:1234/myapp.php?foo=1", "https://mycompany.com/myapp.php?foo=1"],
        );
        check_candidates("http://h.example?x=a:b@c", &["http://h.example?x=a:b@c", "http://h.example:80?x=a:b@c"]);
        check_candidates(
            "https://user:pa:ss@h.example:443/p",
            &["https://user:pa:ss@h.example:443/p", "https://user:pa:ss@h.example/p"],
        );
        check_candidates("wss://h.example/media", &["wss://h.example/media", "wss://h.example:80/media"]);
        check_candidates("https://[::1]:8443/p", &["https://[::1]:8443/p", "https://[::1]/p"]);
        check_candidates("https://[::1]/p", &["https://[::1]/p", "https://[::1]:443/p"]);
        check_candidates(
            "https://h.example:/p",
            &["https://h.example:/p", "https://h.example/p", "https://h.example:443/p"],
        );
        check_candidates("HTTPS://h.example#frag", &["HTTPS://h.example#frag", "HTTPS://h.example:443#frag"]);
        // Not a URL we can cut: only the exact text is tried.
        check_candidates("/relative/path", &["/relative/path"]);
        check_candidates("https://h.example:port/p", &["https://h.example:port/p"]);
    }

    #[test]
    fn block_key_matches_the_hmac_crate_for_short_and_long_keys() {
        for secret in ["", "12345", &"k".repeat(64), &"long".repeat(40)] {
            let ours = HmacSha1::new(&hmac_key(secret.as_bytes())).chain_update(b"message").finalize().into_bytes();
            let Ok(reference) = HmacSha1::new_from_slice(secret.as_bytes()) else {
                panic!("HMAC accepts any key length");
            };
            assert_eq!(
                ours,
                reference.chain_update(b"message").finalize().into_bytes(),
                "key of {} bytes",
                secret.len()
            );
        }
    }

    #[test]
    fn query_value_reads_the_raw_value() {
        assert_eq!(query_value("https://h/p?a=1&bodySHA256=ab%20c#x", "bodySHA256"), Some("ab%20c"));
        assert_eq!(query_value("https://h/p?bodySHA256", "bodySHA256"), Some(""));
        assert_eq!(query_value("https://h/p?xbodySHA256=1", "bodySHA256"), None);
        assert_eq!(query_value("https://h/p#?bodySHA256=1", "bodySHA256"), None);
    }
}
