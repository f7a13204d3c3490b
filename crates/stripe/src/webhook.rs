//! Stripe's webhook signature (`Stripe-Signature`): lowercase hex
//! HMAC-SHA256 of `"{t}.{raw body}"`, keyed with the endpoint's whole
//! signing secret (`whsec_…`, used as UTF-8 text, not base64-decoded).
//!
//! The body is checked as the bytes Stripe sent: re-serialising parsed JSON
//! would change whitespace and key order, and the signature with it.
//!
//! Hex case: only lowercase `v1` values can match. Stripe sends lowercase,
//! and stripe-python and stripe-node compare the hex text, so an uppercase
//! signature fails there too; accepting it here would only make the two
//! disagree.

use std::fmt;
use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// How old a signed timestamp may be, as in stripe-python's
/// `Webhook.construct_event` and stripe-node's `webhooks.constructEvent`.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);

/// Why a [`WebhookVerifier`] could not be built (a startup error). The
/// secret itself is never part of the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookSecretError {
    #[error("the Stripe webhook signing secret is empty (expected the endpoint's whsec_… secret)")]
    Empty,
    /// Usually a newline picked up from a file or an environment variable;
    /// every signature would fail to match.
    #[error("the Stripe webhook signing secret contains whitespace (a trailing newline from a file?)")]
    Whitespace,
}

/// Why a webhook was not accepted. Every case means: answer 400 and do not
/// act on the body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    #[error("malformed Stripe-Signature header: {0}")]
    MalformedHeader(String),
    #[error("the Stripe-Signature header has no timestamp (t=…)")]
    NoTimestamp,
    #[error("the Stripe-Signature header has no v1 signature (only v1, HMAC-SHA256, is accepted)")]
    NoV1Signature,
    #[error(
        "no v1 signature in the Stripe-Signature header matches the body \
         (wrong signing secret, or the body was changed on the way)"
    )]
    NoSignatureMatches,
    #[error(
        "the Stripe-Signature timestamp is {age_seconds} s old, more than the {tolerance_seconds} s allowed \
         (a replayed request, or this server's clock is wrong)"
    )]
    TimestampTooOld { age_seconds: i64, tolerance_seconds: i64 },
}

/// Checks that a webhook came from Stripe. Holds the HMAC state keyed with
/// one endpoint's signing secret; `Debug` never shows it.
#[derive(Clone)]
pub struct WebhookVerifier {
    keyed_mac: HmacSha256,
    tolerance_seconds: i64,
}

impl WebhookVerifier {
    /// Takes the signing secret as text (`&str`, `String`, or a secret's
    /// `expose_secret()`), whole, `whsec_` included. Allows
    /// [`DEFAULT_TOLERANCE`].
    pub fn new(signing_secret: impl AsRef<str>) -> Result<WebhookVerifier, WebhookSecretError> {
        let secret = signing_secret.as_ref();
        if secret.is_empty() {
            return Err(WebhookSecretError::Empty);
        }
        if secret.chars().any(char::is_whitespace) {
            return Err(WebhookSecretError::Whitespace);
        }
        // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
        let keyed_mac = HmacSha256::new_from_slice(secret.as_bytes()).map_err(|_| WebhookSecretError::Empty)?;
        Ok(WebhookVerifier { keyed_mac, tolerance_seconds: seconds(DEFAULT_TOLERANCE) })
    }

    /// Accepts timestamps up to `tolerance` old instead of
    /// [`DEFAULT_TOLERANCE`].
    pub fn with_tolerance(mut self, tolerance: Duration) -> WebhookVerifier {
        self.tolerance_seconds = seconds(tolerance);
        self
    }

    /// Checks `signature_header` (the `Stripe-Signature` header) against
    /// `raw_body` (the request body exactly as received) at `now_unix`
    /// (seconds since the epoch, from the app's clock).
    ///
    /// Valid when any `v1` signature matches (several appear while a secret
    /// is rolled) and the timestamp is at most the tolerance old. Future
    /// timestamps are accepted, as the Stripe SDKs do. The signature is
    /// checked before the timestamp, so a stale but genuine request says
    /// [`WebhookError::TimestampTooOld`] and a forged one never does.
    pub fn verify(&self, signature_header: &str, raw_body: &[u8], now_unix: i64) -> Result<(), WebhookError> {
        let header = SignatureHeader::parse(signature_header)?;
        let signed = self.mac_of(header.timestamp, raw_body);
        let mut matched = false;
        // Every candidate is checked, so the time taken does not reveal which one matched.
        for candidate in &header.v1_signatures {
            if let Some(bytes) = decode_lowercase_hex(candidate) {
                matched |= signed.clone().verify_slice(&bytes).is_ok();
            }
        }
        if !matched {
            return Err(WebhookError::NoSignatureMatches);
        }
        let age_seconds = now_unix.saturating_sub(header.timestamp);
        if age_seconds > self.tolerance_seconds {
            return Err(WebhookError::TimestampTooOld { age_seconds, tolerance_seconds: self.tolerance_seconds });
        }
        Ok(())
    }

    /// The `v1` signature Stripe would send for `raw_body` at `timestamp`:
    /// lowercase hex.
    pub fn sign(&self, timestamp: i64, raw_body: &[u8]) -> String {
        encode_lowercase_hex(&self.mac_of(timestamp, raw_body).finalize().into_bytes())
    }

    /// A whole `Stripe-Signature` header (`t=…,v1=…`) for `raw_body` at
    /// `timestamp`, as stripe-node's `generateTestHeaderString` makes: for
    /// testing the apps that receive webhooks.
    pub fn signature_header(&self, timestamp: i64, raw_body: &[u8]) -> String {
        format!("t={timestamp},v1={}", self.sign(timestamp, raw_body))
    }

    /// The MAC fed with `"{timestamp}.{raw_body}"`. The timestamp is
    /// re-printed from its integer, as the SDKs do.
    fn mac_of(&self, timestamp: i64, raw_body: &[u8]) -> HmacSha256 {
        let mut mac = self.keyed_mac.clone();
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(raw_body);
        mac
    }
}

impl fmt::Debug for WebhookVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookVerifier").field("tolerance_seconds", &self.tolerance_seconds).finish_non_exhaustive()
    }
}

/// The parts of a `Stripe-Signature` header we use.
#[derive(Debug)]
struct SignatureHeader<'a> {
    timestamp: i64,
    v1_signatures: Vec<&'a str>,
}

impl<'a> SignatureHeader<'a> {
    /// Splits on `,`, then each item once on `=`. Unknown schemes (`v0`, a
    /// future `v2`) are skipped, as the SDKs do; an item without `=`, a
    /// second `t` or a `t` that is not an integer makes the header malformed.
    fn parse(header: &'a str) -> Result<SignatureHeader<'a>, WebhookError> {
        if header.trim().is_empty() {
            return Err(WebhookError::MalformedHeader("the header is empty".to_owned()));
        }
        let mut timestamp = None;
        let mut v1_signatures = Vec::new();
        for item in header.split(',') {
            let Some((scheme, value)) = item.split_once('=') else {
                return Err(WebhookError::MalformedHeader(format!("{:?} is not a key=value item", excerpt(item))));
            };
            match scheme {
                "t" => {
                    let parsed = value.parse::<i64>().map_err(|_| {
                        WebhookError::MalformedHeader(format!("the timestamp {:?} is not an integer", excerpt(value)))
                    })?;
                    if timestamp.replace(parsed).is_some() {
                        return Err(WebhookError::MalformedHeader("more than one timestamp (t=…)".to_owned()));
                    }
                }
                "v1" => v1_signatures.push(value),
                _ => {}
            }
        }
        let timestamp = timestamp.ok_or(WebhookError::NoTimestamp)?;
        if v1_signatures.is_empty() {
            return Err(WebhookError::NoV1Signature);
        }
        Ok(SignatureHeader { timestamp, v1_signatures })
    }
}

/// At most 40 characters of attacker-controlled text, for error messages.
fn excerpt(text: &str) -> String {
    text.chars().take(40).collect()
}

fn seconds(duration: Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX)
}

/// `None` unless `text` is an even number of lowercase hex digits.
fn decode_lowercase_hex(text: &str) -> Option<Vec<u8>> {
    fn nibble(digit: u8) -> Option<u8> {
        match digit {
            b'0'..=b'9' => Some(digit - b'0'),
            b'a'..=b'f' => Some(digit - b'a' + 10),
            _ => None,
        }
    }
    if !text.len().is_multiple_of(2) {
        return None;
    }
    text.as_bytes().chunks_exact(2).map(|pair| Some((nibble(pair[0])? << 4) | nibble(pair[1])?)).collect()
}

fn encode_lowercase_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        text.push(char::from(DIGITS[usize::from(byte >> 4)]));
        text.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test_secret";
    const SHORT_BODY: &str = r#"{"id":"evt_test_webhook","object":"event"}"#;
    const SHORT_BODY_AT_1700000000: &str = "d95c6b7477fbd7e9f90b1b0ef5f9c7ac25abca5382460e0d988c2b2a5b71b990";
    /// stripe-python's test body: exactly these five lines, no trailing newline.
    const PYTHON_BODY: &str = "{\n  \"id\": \"evt_test_webhook\",\n  \"object\": \"event\",\n  \"data\": { \"object\": { \"id\": \"rdr_123\", \"object\": \"terminal.reader\" } }\n}";
    const PYTHON_BODY_AT_12345: &str = "07b1ede164afb7b5de91267ffa656f568c65d6e0783ce0ac55ee094643578eda";
    const PYTHON_BODY_AT_1700000000: &str = "3bfab77baf5f7b6991a46c9b53b6547d7afc56148b10468fcad9f35c1992ffbd";

    fn verifier() -> WebhookVerifier {
        WebhookVerifier::new(SECRET).expect("test secret is valid")
    }

    fn check(header: &str, body: &str, now: i64, expected: Result<(), WebhookError>) {
        assert_eq!(verifier().verify(header, body.as_bytes(), now), expected, "header {header:?} at {now}");
    }

    #[test]
    fn signs_the_reference_vectors() {
        assert_eq!(PYTHON_BODY.lines().count(), 5);
        let cases = [
            (1_700_000_000, SHORT_BODY, SHORT_BODY_AT_1700000000),
            (12345, PYTHON_BODY, PYTHON_BODY_AT_12345),
            (1_700_000_000, PYTHON_BODY, PYTHON_BODY_AT_1700000000),
        ];
        for (timestamp, body, expected) in cases {
            assert_eq!(verifier().sign(timestamp, body.as_bytes()), expected, "t={timestamp}");
        }
    }

    #[test]
    fn accepts_the_reference_vectors_within_tolerance() {
        check(&format!("t=1700000000,v1={SHORT_BODY_AT_1700000000}"), SHORT_BODY, 1_700_000_000, Ok(()));
        check(&format!("t=1700000000,v1={PYTHON_BODY_AT_1700000000}"), PYTHON_BODY, 1_700_000_300, Ok(()));
        check(&format!("t=12345,v1={PYTHON_BODY_AT_12345}"), PYTHON_BODY, 12345 + 10, Ok(()));
    }

    #[test]
    fn the_secret_is_the_whole_string_not_base64() {
        // "test_secret" alone, or its base64 decoding, would give another MAC.
        let without_prefix = WebhookVerifier::new("test_secret").expect("valid");
        assert_ne!(without_prefix.sign(1_700_000_000, SHORT_BODY.as_bytes()), SHORT_BODY_AT_1700000000);
    }

    #[test]
    fn rejects_a_different_secret() {
        let other = WebhookVerifier::new("whsec_other_secret").expect("valid");
        let header = format!("t=1700000000,v1={SHORT_BODY_AT_1700000000}");
        assert_eq!(other.verify(&header, SHORT_BODY.as_bytes(), 1_700_000_000), Err(WebhookError::NoSignatureMatches));
    }

    #[test]
    fn rejects_a_tampered_body_or_timestamp() {
        let header = format!("t=1700000000,v1={SHORT_BODY_AT_1700000000}");
        let tampered = SHORT_BODY.replace("evt_test_webhook", "evt_test_webhooK");
        check(&header, &tampered, 1_700_000_000, Err(WebhookError::NoSignatureMatches));
        let moved_timestamp = format!("t=1700000001,v1={SHORT_BODY_AT_1700000000}");
        check(&moved_timestamp, SHORT_BODY, 1_700_000_001, Err(WebhookError::NoSignatureMatches));
        check(&header, &format!("{SHORT_BODY}\n"), 1_700_000_000, Err(WebhookError::NoSignatureMatches));
    }

    #[test]
    fn rejects_stale_timestamps_after_checking_the_signature() {
        let header = format!("t=1700000000,v1={SHORT_BODY_AT_1700000000}");
        check(&header, SHORT_BODY, 1_700_000_300, Ok(()));
        check(
            &header,
            SHORT_BODY,
            1_700_000_301,
            Err(WebhookError::TimestampTooOld { age_seconds: 301, tolerance_seconds: 300 }),
        );
        // A forged signature is reported as such, however old.
        let forged = format!("t=1700000000,v1={}", "0".repeat(64));
        check(&forged, SHORT_BODY, 1_800_000_000, Err(WebhookError::NoSignatureMatches));
    }

    #[test]
    fn tolerance_is_configurable() {
        let header = format!("t=1700000000,v1={SHORT_BODY_AT_1700000000}");
        let strict = verifier().with_tolerance(Duration::from_secs(10));
        assert_eq!(strict.verify(&header, SHORT_BODY.as_bytes(), 1_700_000_010), Ok(()));
        assert_eq!(
            strict.verify(&header, SHORT_BODY.as_bytes(), 1_700_000_011),
            Err(WebhookError::TimestampTooOld { age_seconds: 11, tolerance_seconds: 10 })
        );
    }

    #[test]
    fn accepts_future_timestamps_as_the_sdks_do() {
        let header = format!("t=1700000000,v1={SHORT_BODY_AT_1700000000}");
        check(&header, SHORT_BODY, 1_699_990_000, Ok(()));
    }

    #[test]
    fn any_v1_may_match_while_a_secret_is_rolled() {
        let old_secret_signature =
            WebhookVerifier::new("whsec_old").expect("valid").sign(1_700_000_000, SHORT_BODY.as_bytes());
        let header = format!("t=1700000000,v1={old_secret_signature},v1={SHORT_BODY_AT_1700000000}");
        check(&header, SHORT_BODY, 1_700_000_000, Ok(()));
        let header = format!("t=1700000000,v1=not-hex,v1={SHORT_BODY_AT_1700000000},v0=abc");
        check(&header, SHORT_BODY, 1_700_000_000, Ok(()));
        // The timestamp may come last.
        let header = format!("v1={SHORT_BODY_AT_1700000000},t=1700000000");
        check(&header, SHORT_BODY, 1_700_000_000, Ok(()));
    }

    #[test]
    fn v0_alone_is_not_enough() {
        // v0 is the scheme of test-mode "fake" events; it is never trusted.
        let header = format!("t=1700000000,v0={SHORT_BODY_AT_1700000000}");
        check(&header, SHORT_BODY, 1_700_000_000, Err(WebhookError::NoV1Signature));
    }

    #[test]
    fn uppercase_hex_does_not_match() {
        let header = format!("t=1700000000,v1={}", SHORT_BODY_AT_1700000000.to_uppercase());
        check(&header, SHORT_BODY, 1_700_000_000, Err(WebhookError::NoSignatureMatches));
    }

    #[test]
    fn truncated_or_extended_signatures_do_not_match() {
        let truncated = &SHORT_BODY_AT_1700000000[..62];
        check(
            &format!("t=1700000000,v1={truncated}"),
            SHORT_BODY,
            1_700_000_000,
            Err(WebhookError::NoSignatureMatches),
        );
        let extended = format!("{SHORT_BODY_AT_1700000000}00");
        check(&format!("t=1700000000,v1={extended}"), SHORT_BODY, 1_700_000_000, Err(WebhookError::NoSignatureMatches));
        check("t=1700000000,v1=", SHORT_BODY, 1_700_000_000, Err(WebhookError::NoSignatureMatches));
    }

    #[test]
    fn classifies_garbage_headers() {
        let malformed = |text: &str| Err(WebhookError::MalformedHeader(text.to_owned()));
        let signature = SHORT_BODY_AT_1700000000;
        let cases: Vec<(String, Result<(), WebhookError>)> = vec![
            (String::new(), malformed("the header is empty")),
            ("   ".into(), malformed("the header is empty")),
            ("garbage".into(), malformed("\"garbage\" is not a key=value item")),
            (
                format!("t=1700000000;v1={signature}"),
                malformed("the timestamp \"1700000000;v1=d95c6b7477fbd7e9f90b1b0ef5\" is not an integer"),
            ),
            (format!("t=soon,v1={signature}"), malformed("the timestamp \"soon\" is not an integer")),
            (format!("t=1700000000,t=1700000000,v1={signature}"), malformed("more than one timestamp (t=…)")),
            (format!("t=1700000000, v1={signature}"), Err(WebhookError::NoV1Signature)),
            (format!("v1={signature}"), Err(WebhookError::NoTimestamp)),
            ("t=1700000000".into(), Err(WebhookError::NoV1Signature)),
            ("t=1700000000,x=1".into(), Err(WebhookError::NoV1Signature)),
        ];
        for (header, expected) in cases {
            check(&header, SHORT_BODY, 1_700_000_000, expected);
        }
    }

    #[test]
    fn secrets_must_be_usable() {
        assert_eq!(WebhookVerifier::new("").err(), Some(WebhookSecretError::Empty));
        assert_eq!(WebhookVerifier::new("whsec_test_secret\n").err(), Some(WebhookSecretError::Whitespace));
        assert!(WebhookVerifier::new(String::from(SECRET)).is_ok());
    }

    #[test]
    fn debug_hides_the_secret() {
        let text = format!("{:?}", verifier());
        assert_eq!(text, "WebhookVerifier { tolerance_seconds: 300, .. }");
    }

    #[test]
    fn the_test_header_verifies() {
        let header = verifier().signature_header(1_700_000_000, SHORT_BODY.as_bytes());
        assert_eq!(header, format!("t=1700000000,v1={SHORT_BODY_AT_1700000000}"));
        check(&header, SHORT_BODY, 1_700_000_000, Ok(()));
    }

    #[test]
    fn hex_round_trips() {
        assert_eq!(encode_lowercase_hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
        assert_eq!(decode_lowercase_hex("000fa5ff"), Some(vec![0x00, 0x0f, 0xa5, 0xff]));
        for bad in ["0", "0g", "AB", "+1", " 1"] {
            assert_eq!(decode_lowercase_hex(bad), None, "{bad:?}");
        }
    }
}
