//! Admin API tokens: HS256 JWTs carrying a [`Scope`].
//!
//! `adminctl` mints them, the gateway verifies them; both use this crate so
//! the claim names and limits cannot drift apart. Time comes from the caller
//! (a `Clock` in the gateway) so expiry is testable without sleeping.
//!
//! Claims: `sub` (who), `scope` (`admin` or `tenant:<slug>`), `iat`, `exp`
//! (seconds since the epoch). A token that lives longer than
//! [`MAX_TOKEN_LIFETIME`] is refused even when correctly signed, so a leaked
//! token is useless within a quarter of an hour.

pub mod web;

use std::fmt;

use chrono::{DateTime, Duration, Utc};
use frontdesk_core::TenantId;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// Tokens living longer than this are refused.
pub const MAX_TOKEN_LIFETIME: Duration = Duration::minutes(15);

/// How far clocks may disagree before `iat`/`exp` checks bite.
pub const CLOCK_LEEWAY: Duration = Duration::seconds(30);

/// What a token may touch.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scope {
    /// The operator: every tenant and the platform.
    Admin,
    /// One shop: only its own tenant's resources.
    Tenant(TenantId),
}

impl Scope {
    pub fn parse(raw: &str) -> Result<Scope, ScopeError> {
        if raw == "admin" {
            return Ok(Scope::Admin);
        }
        match raw.strip_prefix("tenant:") {
            Some(slug) => TenantId::parse(slug).map(Scope::Tenant).map_err(|e| ScopeError(format!("{raw:?}: {e}"))),
            None => Err(ScopeError(format!("{raw:?} is not a scope; use \"admin\" or \"tenant:<slug>\""))),
        }
    }

    /// Whether this scope may read and change `tenant`.
    pub fn allows_tenant(&self, tenant: &TenantId) -> bool {
        match self {
            Scope::Admin => true,
            Scope::Tenant(own) => own == tenant,
        }
    }

    pub fn is_admin(&self) -> bool {
        matches!(self, Scope::Admin)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Admin => f.write_str("admin"),
            Scope::Tenant(tenant) => write!(f, "tenant:{tenant}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid scope {0}")]
pub struct ScopeError(String);

/// A verified token's claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminClaims {
    pub subject: String,
    pub scope: Scope,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// Why a token was refused. Every variant means 401 except `UnknownScope`,
/// which is a genuine token that grants nothing (403).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the token is not a well-formed JWT: {0}")]
    Malformed(String),
    #[error("the token's signature does not match")]
    BadSignature,
    #[error("the token is not signed with HS256")]
    WrongAlgorithm,
    #[error("the token expired at {0}")]
    Expired(DateTime<Utc>),
    #[error("the token was issued in the future ({0})")]
    IssuedInFuture(DateTime<Utc>),
    #[error("the token lives {0} seconds; at most 900 (15 minutes) are accepted")]
    LifetimeTooLong(i64),
    #[error("the token's scope grants nothing: {0}")]
    UnknownScope(ScopeError),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MintError {
    #[error("a token's lifetime must be between 1 and 900 seconds, not {0}")]
    InvalidLifetime(i64),
    #[error("the subject must not be empty")]
    EmptySubject,
    #[error("signing failed: {0}")]
    Signing(String),
}

#[derive(Debug, Serialize, Deserialize)]
struct WireClaims {
    sub: String,
    scope: String,
    iat: i64,
    exp: i64,
}

/// The HS256 secret, shared by minting and verifying.
pub struct TokenSecret {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl TokenSecret {
    pub fn new(secret: &[u8]) -> TokenSecret {
        TokenSecret { encoding: EncodingKey::from_secret(secret), decoding: DecodingKey::from_secret(secret) }
    }

    pub fn mint(
        &self,
        subject: &str,
        scope: &Scope,
        lifetime: Duration,
        now: DateTime<Utc>,
    ) -> Result<String, MintError> {
        if subject.trim().is_empty() {
            return Err(MintError::EmptySubject);
        }
        if lifetime <= Duration::zero() || lifetime > MAX_TOKEN_LIFETIME {
            return Err(MintError::InvalidLifetime(lifetime.num_seconds()));
        }
        let claims = WireClaims {
            sub: subject.to_owned(),
            scope: scope.to_string(),
            iat: now.timestamp(),
            exp: (now + lifetime).timestamp(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| MintError::Signing(e.to_string()))
    }

    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<AdminClaims, TokenError> {
        let mut validation = Validation::new(Algorithm::HS256);
        // Expiry is checked below against the caller's clock.
        validation.validate_exp = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        let data =
            jsonwebtoken::decode::<WireClaims>(token, &self.decoding, &validation).map_err(|error| {
                match error.kind() {
                    ErrorKind::InvalidSignature => TokenError::BadSignature,
                    ErrorKind::InvalidAlgorithm | ErrorKind::MissingAlgorithm | ErrorKind::InvalidAlgorithmName => {
                        TokenError::WrongAlgorithm
                    }
                    _ => TokenError::Malformed(error.to_string()),
                }
            })?;
        let claims = data.claims;
        let timestamp = |seconds: i64| {
            DateTime::from_timestamp(seconds, 0)
                .ok_or_else(|| TokenError::Malformed(format!("timestamp {seconds} out of range")))
        };
        let issued_at = timestamp(claims.iat)?;
        let expires_at = timestamp(claims.exp)?;
        if claims.exp - claims.iat > MAX_TOKEN_LIFETIME.num_seconds() {
            return Err(TokenError::LifetimeTooLong(claims.exp - claims.iat));
        }
        if expires_at <= issued_at {
            return Err(TokenError::Malformed("exp is not after iat".to_owned()));
        }
        if issued_at > now + CLOCK_LEEWAY {
            return Err(TokenError::IssuedInFuture(issued_at));
        }
        if expires_at + CLOCK_LEEWAY <= now {
            return Err(TokenError::Expired(expires_at));
        }
        if claims.sub.trim().is_empty() {
            return Err(TokenError::Malformed("sub is empty".to_owned()));
        }
        let scope = Scope::parse(&claims.scope).map_err(TokenError::UnknownScope)?;
        Ok(AdminClaims { subject: claims.sub, scope, issued_at, expires_at })
    }
}

impl fmt::Debug for TokenSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenSecret([REDACTED])")
    }
}
