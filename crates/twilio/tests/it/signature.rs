//! Webhook signatures, with the vectors from protocols.md §1 (twilio-python
//! and twilio-node tests, plus the computed `'` case).

use frontdesk_twilio::{RequestValidator, body_sha256_hex};

const TOKEN: &str = "12345";
const URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";
const URL_443: &str = "https://mycompany.com:443/myapp.php?foo=1&bar=2";
const SIGNATURE: &str = "RSOYDt4T1cUTdK1PDd93/VVr8B8=";
const JSON_BODY: &str = r#"{"property": "value", "boolean": true}"#;
const JSON_BODY_HASH: &str = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620";
const EMPTY_OBJECT_HASH: &str = "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";

fn validator() -> RequestValidator {
    RequestValidator::new(TOKEN)
}

fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(name, value)| ((*name).to_owned(), (*value).to_owned())).collect()
}

/// The default parameters of the SDK tests.
fn call_params() -> Vec<(String, String)> {
    params(&[
        ("CallSid", "CA1234567890ABCDE"),
        ("Caller", "+14158675309"),
        ("Digits", "1234"),
        ("From", "+14158675309"),
        ("To", "+18005551212"),
    ])
}

/// `url` with `params` signs to `expected`, and a request to exactly that URL validates.
fn check(url: &str, params: &[(String, String)], expected: &str) {
    let validator = validator();
    assert_eq!(validator.compute_signature(url, params), expected, "signature of {url}");
    assert!(validator.validate(url, params, expected), "validate {url}");
}

#[test]
fn form_post_vectors() {
    check(URL, &call_params(), SIGNATURE);
    check(URL_443, &call_params(), "kvajT1Ptam85bY51eRf/AJRuM3w=");
    check("http://mycompany.com:80/myapp.php?foo=1&bar=2", &call_params(), "0ZXoZLH/DfblKGATFgpif+LLRf4=");
    check("http://mycompany.com:1234/myapp.php?foo=1&bar=2", &call_params(), "Zmvh+3yNM1Phv2jhDCwEM3q5ebU=");
}

#[test]
fn parameter_order_does_not_matter() {
    let mut reversed = call_params();
    reversed.reverse();
    check(URL, &reversed, SIGNATURE);
}

#[test]
fn repeated_values_are_sorted_and_counted_once() {
    let repeated = params(&[
        ("Sid", "CA123"),
        ("SidAccount", "AC123"),
        ("Digits", "5678"),
        ("Digits", "1234"),
        ("Digits", "1234"),
    ]);
    check(URL, &repeated, "IK+Dwps556ElfBT0I3Rgjkr1wJU=");
}

#[test]
fn list_parameters_sign_the_same_in_either_order() {
    let expected = "83O6e2vORAoJHUNzJjDWN1jz+BA=";
    check(
        URL,
        &params(&[("MessagingBinding.Address", "+1325xxxxxxx"), ("MessagingBinding.Address", "+1415xxxxxxx")]),
        expected,
    );
    check(
        URL,
        &params(&[("MessagingBinding.Address", "+1415xxxxxxx"), ("MessagingBinding.Address", "+1325xxxxxxx")]),
        expected,
    );
}

#[test]
fn signed_with_or_without_the_default_port_both_validate() {
    let validator = validator();
    // Twilio signed with :443, we rebuilt the URL without it, and the reverse.
    assert!(validator.validate(URL, &call_params(), "kvajT1Ptam85bY51eRf/AJRuM3w="));
    assert!(validator.validate(URL_443, &call_params(), SIGNATURE));
    assert!(validator.validate(
        "http://mycompany.com/myapp.php?foo=1&bar=2",
        &call_params(),
        "0ZXoZLH/DfblKGATFgpif+LLRf4="
    ));
    let signed_without_port = validator.compute_signature("http://mycompany.com/myapp.php?foo=1&bar=2", &call_params());
    assert!(validator.validate("http://mycompany.com:80/myapp.php?foo=1&bar=2", &call_params(), &signed_without_port));
}

#[test]
fn a_non_default_port_validates_against_the_portless_signature() {
    assert!(validator().validate("https://mycompany.com:1234/myapp.php?foo=1&bar=2", &call_params(), SIGNATURE));
}

#[test]
fn json_body_vectors() {
    assert_eq!(body_sha256_hex(JSON_BODY.as_bytes()), JSON_BODY_HASH);
    assert_eq!(body_sha256_hex(b"{}"), EMPTY_OBJECT_HASH);

    let appended = format!("{URL}&bodySHA256={JSON_BODY_HASH}");
    check(&appended, &[], "a9nBmqA0ju/hNViExpshrM61xv4=");
    assert!(validator().validate_with_body(&appended, JSON_BODY.as_bytes(), "a9nBmqA0ju/hNViExpshrM61xv4="));

    let only_hash = format!("https://mycompany.com/myapp.php?bodySHA256={JSON_BODY_HASH}");
    check(&only_hash, &[], "y77kIzt2vzLz71DgmJGsen2scGs=");
    assert!(validator().validate_with_body(&only_hash, JSON_BODY.as_bytes(), "y77kIzt2vzLz71DgmJGsen2scGs="));

    let signed_with_port = format!("{URL_443}&bodySHA256={EMPTY_OBJECT_HASH}");
    check(&signed_with_port, &[], "Ldidvp12m26NI7eqEvxnEpkd9Hc=");
    let requested_without_port = format!("{URL}&bodySHA256={EMPTY_OBJECT_HASH}");
    assert!(validator().validate_with_body(&requested_without_port, b"{}", "Ldidvp12m26NI7eqEvxnEpkd9Hc="));
}

#[test]
fn json_body_must_match_its_hash() {
    let url = format!("{URL}&bodySHA256={JSON_BODY_HASH}");
    let signature = "a9nBmqA0ju/hNViExpshrM61xv4=";
    assert!(!validator().validate_with_body(&url, br#"{"property": "value", "boolean": false}"#, signature));
    assert!(!validator().validate_with_body(&url, b"", signature));
    // A correctly signed URL without the hash is refused: the body would be unchecked.
    assert!(!validator().validate_with_body(URL, JSON_BODY.as_bytes(), SIGNATURE));
    assert!(!validator().validate_with_body(&url, JSON_BODY.as_bytes(), ""));
}

#[test]
fn userinfo_is_signed_as_given() {
    let with_password = "https://user:pass@mycompany.com/myapp.php?foo=1&bar=2";
    let with_password_443 = "https://user:pass@mycompany.com:443/myapp.php?foo=1&bar=2";
    check(with_password, &call_params(), "CukzLTc1tT5dXEDIHm/tKBanW10=");
    check(with_password_443, &call_params(), "ZQFR1PTIZXF2MXB8ZnKCvnnA+rI=");
    assert!(validator().validate(with_password, &call_params(), "ZQFR1PTIZXF2MXB8ZnKCvnnA+rI="));
    assert!(validator().validate(with_password_443, &call_params(), "CukzLTc1tT5dXEDIHm/tKBanW10="));
    check("https://user@mycompany.com/myapp.php?foo=1&bar=2", &call_params(), "2YRLlVAflCqxaNicjMpJcSTgzSs=");
}

#[test]
fn the_query_is_signed_byte_for_byte() {
    check(&format!("{URL}&Body=It%27s+amazing"), &call_params(), "TfZzewPq8wqrGlMfyAud8+/IvJ0=");
    check(&format!("{URL}&Body=It's+amazing"), &call_params(), "dsq4Ehbj6cs+KdTkpF5sSSplOWw=");
    // Nothing is re-encoded: the two spellings are different signed bytes.
    assert!(!validator().validate(&format!("{URL}&Body=It's+amazing"), &call_params(), "TfZzewPq8wqrGlMfyAud8+/IvJ0="));
}

#[test]
fn forgeries_are_refused() {
    let validator = validator();
    assert!(!RequestValidator::new("54321").validate(URL, &call_params(), SIGNATURE), "wrong token");

    let mut tampered = call_params();
    tampered[2].1 = "9999".to_owned();
    assert!(!validator.validate(URL, &tampered, SIGNATURE), "tampered param");

    let mut extra = call_params();
    extra.push(("Extra".to_owned(), "1".to_owned()));
    assert!(!validator.validate(URL, &extra, SIGNATURE), "added param");

    assert!(!validator.validate(URL, &call_params(), ""), "missing signature");
    assert!(!validator.validate(URL, &call_params(), &SIGNATURE.to_lowercase()), "case changed");
    assert!(!validator.validate(URL, &call_params(), &SIGNATURE[..SIGNATURE.len() - 1]), "truncated");
    assert!(
        !validator.validate("https://mycompany.com/other.php?foo=1&bar=2", &call_params(), SIGNATURE),
        "other path"
    );
    assert!(!validator.validate("https://evil.example/myapp.php?foo=1&bar=2", &call_params(), SIGNATURE), "other host");
    assert!(
        !validator.validate("http://mycompany.com/myapp.php?foo=1&bar=2", &call_params(), SIGNATURE),
        "other scheme"
    );
}

#[test]
fn built_from_any_string_form_of_the_token() {
    let owned = TOKEN.to_owned();
    for validator in [RequestValidator::new(TOKEN), RequestValidator::new(&owned), RequestValidator::new(owned.clone())]
    {
        assert!(validator.validate(URL, &call_params(), SIGNATURE));
    }
}

#[test]
fn debug_never_shows_the_token() {
    let debug = format!("{:?}", RequestValidator::new("super-secret-auth-token"));
    assert!(!debug.contains("super-secret-auth-token"), "{debug}");
    assert!(debug.contains("redacted"), "{debug}");
}
