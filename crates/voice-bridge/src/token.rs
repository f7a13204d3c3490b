//! The short-lived token that admits one call's Media Stream.
//!
//! Twilio's signature on the WebSocket upgrade proves the request came
//! from Twilio, but not that it is for a call we answered with a stream
//! (any call on the account could be pointed at `/twilio/stream`). The
//! voice webhook therefore mints a token for its call, valid for a couple
//! of minutes, and puts it in the stream's URL path (Twilio accepts no
//! query string on a `<Stream>` URL); the upgrade is refused without a
//! valid one, and the stream's `start` must name the same call. It also
//! names the call's shop, so a stream that reaches another gateway process
//! than the webhook's finds the call under its own tenant.
//!
//! Token: `{call_sid}.{tenant}.{expires_unix}.{mac}`, the MAC being base64url
//! HMAC-SHA256 over `{call_sid}.{tenant}.{expires_unix}` under a key derived from the
//! gateway's secret (domain-separated, so nothing else signed with that
//! secret is ever a stream token), compared in constant time.

use chrono::{DateTime, Duration, Utc};
use frontdesk_core::TenantId;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// How long a minted token admits its stream: Twilio connects right
/// after the webhook's answer, so a short life is plenty.
pub const STREAM_TOKEN_LIFETIME: Duration = Duration::minutes(2);

const KEY_CONTEXT: &[u8] = b"frontdesk/twilio-media-stream-token/v2";

/// Why a token does not admit a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StreamTokenError {
    #[error("the stream token is malformed")]
    Malformed,
    #[error("the stream token's signature does not match")]
    BadSignature,
    #[error("the stream token has expired")]
    Expired,
}

/// What a genuine token admits: one call of one shop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamTicket {
    pub call_sid: String,
    pub tenant: TenantId,
}

/// Mints and checks stream tokens with one gateway secret.
#[derive(Clone)]
pub struct StreamTokens {
    key: [u8; 32],
}

impl std::fmt::Debug for StreamTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StreamTokens(..)")
    }
}

fn hmac(key: &[u8]) -> Hmac<Sha256> {
    // HMAC takes a key of any length.
    <Hmac<Sha256> as KeyInit>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC accepts any key length"))
}

impl StreamTokens {
    pub fn new(secret: &[u8]) -> StreamTokens {
        let mut mac = hmac(secret);
        mac.update(KEY_CONTEXT);
        StreamTokens { key: mac.finalize().into_bytes().into() }
    }

    fn mac(&self, call_sid: &str, tenant: &str, expires: i64) -> Hmac<Sha256> {
        let mut mac = hmac(&self.key);
        mac.update(call_sid.as_bytes());
        mac.update(b".");
        mac.update(tenant.as_bytes());
        mac.update(b".");
        mac.update(expires.to_string().as_bytes());
        mac
    }

    /// A token for `call_sid` of `tenant`, valid until `now` +
    /// [`STREAM_TOKEN_LIFETIME`]. A call sid is letters and digits (`CA…`)
    /// and a slug lowercase letters, digits and dashes, so neither holds
    /// the separator.
    pub fn mint(&self, call_sid: &str, tenant: &TenantId, now: DateTime<Utc>) -> String {
        let expires = (now + STREAM_TOKEN_LIFETIME).timestamp();
        let mac = URL_SAFE_NO_PAD.encode(self.mac(call_sid, tenant.as_str(), expires).finalize().into_bytes());
        format!("{call_sid}.{tenant}.{expires}.{mac}")
    }

    /// The call and shop the token admits, if it is genuine and not expired
    /// at `now`.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<StreamTicket, StreamTokenError> {
        let mut parts = token.split('.');
        let (Some(call_sid), Some(tenant), Some(expires), Some(mac), None) =
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(StreamTokenError::Malformed);
        };
        if call_sid.is_empty() || !call_sid.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(StreamTokenError::Malformed);
        }
        let tenant = TenantId::parse(tenant).map_err(|_| StreamTokenError::Malformed)?;
        let expires: i64 = expires.parse().map_err(|_| StreamTokenError::Malformed)?;
        let mac = URL_SAFE_NO_PAD.decode(mac.as_bytes()).map_err(|_| StreamTokenError::Malformed)?;
        // Constant-time comparison (hmac's `verify_slice`).
        self.mac(call_sid, tenant.as_str(), expires).verify_slice(&mac).map_err(|_| StreamTokenError::BadSignature)?;
        if now.timestamp() >= expires {
            return Err(StreamTokenError::Expired);
        }
        Ok(StreamTicket { call_sid: call_sid.to_owned(), tenant })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 7, 10, 0, 0).single().unwrap_or_default()
    }

    fn tenant(slug: &str) -> TenantId {
        TenantId::parse(slug).unwrap_or_else(|e| panic!("{e}"))
    }

    fn ticket(call_sid: &str, slug: &str) -> StreamTicket {
        StreamTicket { call_sid: call_sid.to_owned(), tenant: tenant(slug) }
    }

    #[test]
    fn a_minted_token_admits_its_call_of_its_shop_until_it_expires() {
        let tokens = StreamTokens::new(b"gateway secret");
        let token = tokens.mint("CA123", &tenant("fresh-cuts"), now());
        assert!(token.starts_with("CA123.fresh-cuts."), "{token}");
        assert_eq!(tokens.verify(&token, now()), Ok(ticket("CA123", "fresh-cuts")));
        assert_eq!(tokens.verify(&token, now() + Duration::seconds(119)), Ok(ticket("CA123", "fresh-cuts")));
        assert_eq!(tokens.verify(&token, now() + Duration::seconds(120)), Err(StreamTokenError::Expired));
    }

    #[test]
    fn forged_or_altered_tokens_are_refused() {
        let tokens = StreamTokens::new(b"gateway secret");
        let token = tokens.mint("CA123", &tenant("fresh-cuts"), now());
        let other_secret = StreamTokens::new(b"another secret").mint("CA123", &tenant("fresh-cuts"), now());
        assert_eq!(tokens.verify(&other_secret, now()), Err(StreamTokenError::BadSignature));
        let other_call = token.replacen("CA123", "CA999", 1);
        assert_eq!(tokens.verify(&other_call, now()), Err(StreamTokenError::BadSignature));
        let other_shop = token.replacen(".fresh-cuts.", ".other-shop.", 1);
        assert_eq!(tokens.verify(&other_shop, now()), Err(StreamTokenError::BadSignature));
        let parts: Vec<&str> = token.split('.').collect();
        let later: i64 = parts[2].parse::<i64>().unwrap_or_default() + 3600;
        let extended = format!("{}.{}.{later}.{}", parts[0], parts[1], parts[3]);
        assert_eq!(tokens.verify(&extended, now()), Err(StreamTokenError::BadSignature));
        let malformed = [
            "",
            "CA123",
            "CA123.fresh-cuts.1",
            "CA123.fresh-cuts.x.abc",
            "CA.t1.1.2.3",
            "C/A.t1.1.AAAA",
            "CA1.t1.1.!!",
            "CA1.Fresh_Cuts.1.AAAA",
            "CA1.../...1.AAAA",
            "CA1.1.AAAA",
        ];
        for malformed in malformed {
            assert_eq!(tokens.verify(malformed, now()), Err(StreamTokenError::Malformed), "{malformed}");
        }
    }
}
