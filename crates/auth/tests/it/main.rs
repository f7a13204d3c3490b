//! Token verification against tokens built by hand (not by the crate under
//! test), so a bug shared by `mint` and `verify` cannot hide.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, TimeZone, Utc};
use frontdesk_auth::{MintError, Scope, TokenError, TokenSecret};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::{Sha256, Sha512};

const SECRET: &[u8] = b"an-admin-secret-of-at-least-32-bytes!";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).single().unwrap_or_default()
}

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

/// A JWT signed with HMAC-SHA256 (or SHA-512 for `HS512`), built by hand.
fn hand_made(header: Value, claims: Value, secret: &[u8]) -> String {
    let signing_input = format!("{}.{}", b64(&header), b64(&claims));
    let signature = if header["alg"] == "HS512" {
        let mut mac = <Hmac<Sha512> as KeyInit>::new_from_slice(secret).unwrap_or_else(|e| panic!("{e}"));
        mac.update(signing_input.as_bytes());
        mac.finalize().into_bytes().to_vec()
    } else {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret).unwrap_or_else(|e| panic!("{e}"));
        mac.update(signing_input.as_bytes());
        mac.finalize().into_bytes().to_vec()
    };
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

fn claims(scope: &str, iat: DateTime<Utc>, lifetime_seconds: i64) -> Value {
    json!({"sub": "ops@example.com", "scope": scope, "iat": iat.timestamp(), "exp": iat.timestamp() + lifetime_seconds})
}

fn verify(token: &str) -> Result<Scope, TokenError> {
    TokenSecret::new(SECRET).verify(token, now()).map(|c| c.scope)
}

#[test]
fn accepts_independently_minted_tokens() {
    let token = hand_made(json!({"alg": "HS256", "typ": "JWT"}), claims("admin", now(), 60), SECRET);
    assert_eq!(verify(&token), Ok(Scope::Admin));
    let token = hand_made(json!({"alg": "HS256"}), claims("tenant:fresh-cuts", now(), 900), SECRET);
    assert!(matches!(verify(&token), Ok(Scope::Tenant(t)) if t.as_str() == "fresh-cuts"));
}

#[test]
fn minted_tokens_round_trip() {
    let secret = TokenSecret::new(SECRET);
    let token = secret.mint("adminctl", &Scope::Admin, Duration::seconds(60), now());
    let claims = token.map_err(|e| e.to_string()).and_then(|t| secret.verify(&t, now()).map_err(|e| e.to_string()));
    assert!(
        matches!(&claims, Ok(c) if c.subject == "adminctl" && c.expires_at == now() + Duration::seconds(60)),
        "{claims:?}"
    );
    assert_eq!(secret.mint("x", &Scope::Admin, Duration::minutes(16), now()), Err(MintError::InvalidLifetime(960)));
    assert_eq!(secret.mint("x", &Scope::Admin, Duration::zero(), now()), Err(MintError::InvalidLifetime(0)));
    assert_eq!(secret.mint(" ", &Scope::Admin, Duration::seconds(5), now()), Err(MintError::EmptySubject));
}

#[test]
fn refuses_every_kind_of_bad_token() {
    let header = json!({"alg": "HS256", "typ": "JWT"});
    let good = hand_made(header.clone(), claims("admin", now(), 60), SECRET);
    let tampered = {
        let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
        parts[1] = b64(&claims("admin", now(), 600));
        parts.join(".")
    };
    let unsigned = format!("{}.{}.", b64(&json!({"alg": "none", "typ": "JWT"})), b64(&claims("admin", now(), 60)));
    type Expectation = fn(&TokenError) -> bool;
    let cases: Vec<(&str, String, Expectation)> = vec![
        ("garbage", "not-a-jwt".to_owned(), |e| matches!(e, TokenError::Malformed(_))),
        ("empty", String::new(), |e| matches!(e, TokenError::Malformed(_))),
        ("tampered", tampered, |e| matches!(e, TokenError::BadSignature)),
        ("wrong secret", hand_made(header.clone(), claims("admin", now(), 60), b"another-secret"), |e| {
            matches!(e, TokenError::BadSignature)
        }),
        ("alg none", unsigned, |e| matches!(e, TokenError::Malformed(_) | TokenError::WrongAlgorithm)),
        ("HS512", hand_made(json!({"alg": "HS512"}), claims("admin", now(), 60), SECRET), |e| {
            matches!(e, TokenError::WrongAlgorithm)
        }),
        ("RS256 header", hand_made(json!({"alg": "RS256"}), claims("admin", now(), 60), SECRET), |e| {
            matches!(e, TokenError::WrongAlgorithm)
        }),
        ("expired", hand_made(header.clone(), claims("admin", now() - Duration::hours(1), 60), SECRET), |e| {
            matches!(e, TokenError::Expired(_))
        }),
        ("16 minutes", hand_made(header.clone(), claims("admin", now(), 960), SECRET), |e| {
            matches!(e, TokenError::LifetimeTooLong(960))
        }),
        ("from the future", hand_made(header.clone(), claims("admin", now() + Duration::hours(1), 60), SECRET), |e| {
            matches!(e, TokenError::IssuedInFuture(_))
        }),
        (
            "missing exp",
            hand_made(header.clone(), json!({"sub": "x", "scope": "admin", "iat": now().timestamp()}), SECRET),
            |e| matches!(e, TokenError::Malformed(_)),
        ),
        ("unknown scope", hand_made(header.clone(), claims("superuser", now(), 60), SECRET), |e| {
            matches!(e, TokenError::UnknownScope(_))
        }),
        ("bad tenant scope", hand_made(header, claims("tenant:Not A Slug", now(), 60), SECRET), |e| {
            matches!(e, TokenError::UnknownScope(_))
        }),
    ];
    for (name, token, expected) in cases {
        let result = verify(&token);
        assert!(matches!(&result, Err(e) if expected(e)), "{name}: {result:?}");
    }
}

#[test]
fn scopes() {
    let fresh = frontdesk_core::TenantId::parse("fresh-cuts").unwrap_or_else(|e| panic!("{e}"));
    let other = frontdesk_core::TenantId::parse("bright-smile").unwrap_or_else(|e| panic!("{e}"));
    assert!(Scope::Admin.allows_tenant(&fresh));
    assert!(Scope::Tenant(fresh.clone()).allows_tenant(&fresh));
    assert!(!Scope::Tenant(fresh.clone()).allows_tenant(&other));
    assert_eq!(Scope::parse("tenant:fresh-cuts").map(|s| s.to_string()), Ok("tenant:fresh-cuts".to_owned()));
    assert!(Scope::parse("tenant:").is_err());
    assert!(Scope::parse("Admin").is_err());
}
