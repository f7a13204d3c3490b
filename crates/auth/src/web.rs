//! Signing in to the web pages: shop owners by a code texted to the shop's
//! owner phone, operators by e-mail and password; both end with a session
//! kept in the store behind a cookie.
//!
//! - **Owner sign-in**: [`WebLogins::start_owner_login`] makes a challenge:
//!   a link token (32 random bytes) and a 6-digit code, both stored only as
//!   SHA-256 digests, valid [`LOGIN_LIFETIME`], spent once. At most
//!   [`MAX_LOGINS_PER_WINDOW`] challenges per shop per window; a code is
//!   refused after [`MAX_CODE_ATTEMPTS`] wrong tries. The link's page only
//!   shows a button (link scanners open links); the token is spent when the
//!   button is pressed ([`WebLogins::sign_in_with_link`]).
//! - **Operator sign-in**: argon2id password hashes
//!   ([`WebLogins::add_operator`], [`WebLogins::sign_in_operator`]); a wrong
//!   e-mail and a wrong password are refused alike, after the same work.
//! - **Sessions**: a random token in the cookie, its digest in the store;
//!   [`SESSION_IDLE`] without a request or [`SESSION_LIFETIME`] after
//!   signing in ends it; signing out ends one, "everywhere" all of a
//!   principal's.
//!
//! An owner session only ever carries its own tenant ([`Principal::Owner`]);
//! the pages check it on every request.

use std::fmt;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use frontdesk_core::TenantId;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A challenge (link and code) is good for this long.
pub const LOGIN_LIFETIME: Duration = Duration::minutes(15);
/// Challenges a shop may request per [`LOGIN_WINDOW`].
pub const MAX_LOGINS_PER_WINDOW: u32 = 5;
pub const LOGIN_WINDOW: Duration = Duration::minutes(15);
/// Wrong codes before a challenge is spent for good.
pub const MAX_CODE_ATTEMPTS: u32 = 5;
/// A session unused this long is over.
pub const SESSION_IDLE: Duration = Duration::hours(12);
/// A session is over this long after signing in, used or not.
pub const SESSION_LIFETIME: Duration = Duration::days(14);

/// A secret handed out once (in a cookie or a link): 32 random bytes as
/// URL-safe text. Only its [`TokenDigest`] is stored.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretToken(String);

impl SecretToken {
    /// 32 bytes from the operating system's generator.
    pub fn generate() -> Result<SecretToken, WebAuthError> {
        let mut bytes = [0_u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| WebAuthError::Random(e.to_string()))?;
        Ok(SecretToken(bytes.iter().map(|b| format!("{b:02x}")).collect()))
    }

    /// A token as it came back (cookie, form); anything not shaped like one
    /// of ours is `None`.
    pub fn parse(raw: &str) -> Option<SecretToken> {
        let raw = raw.trim();
        (raw.len() == 64 && raw.bytes().all(|b| b.is_ascii_hexdigit())).then(|| SecretToken(raw.to_ascii_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn digest(&self) -> TokenDigest {
        TokenDigest::of(&self.0)
    }
}

impl fmt::Debug for SecretToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretToken(…)")
    }
}

/// SHA-256 of a secret, hex: what the store keeps.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TokenDigest(String);

impl TokenDigest {
    pub fn of(secret: &str) -> TokenDigest {
        TokenDigest(Sha256::digest(secret.as_bytes()).iter().map(|b| format!("{b:02x}")).collect())
    }

    /// As stored (a store reading its own column back).
    pub fn from_stored(hex: String) -> TokenDigest {
        TokenDigest(hex)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Constant-time comparison.
    pub fn matches(&self, other: &TokenDigest) -> bool {
        self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
    }
}

/// An operator's e-mail address, lower-cased.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OperatorEmail(String);

impl OperatorEmail {
    pub fn parse(raw: &str) -> Result<OperatorEmail, WebAuthError> {
        let email = raw.trim().to_lowercase();
        let valid = email.len() <= 254
            && email.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.')
            })
            && !email.chars().any(|c| c.is_whitespace() || c.is_control());
        if valid {
            Ok(OperatorEmail(email))
        } else {
            Err(WebAuthError::Invalid(format!("{raw:?} is not an e-mail address")))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Who a session is for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Principal {
    /// A shop's owner: that shop's pages only.
    Owner(TenantId),
    /// A person running the platform.
    Operator(OperatorEmail),
}

impl Principal {
    /// As stored: `owner:<slug>` or `operator:<email>`.
    pub fn key(&self) -> String {
        match self {
            Principal::Owner(tenant) => format!("owner:{tenant}"),
            Principal::Operator(email) => format!("operator:{}", email.as_str()),
        }
    }

    pub fn from_key(raw: &str) -> Option<Principal> {
        if let Some(slug) = raw.strip_prefix("owner:") {
            return TenantId::parse(slug).ok().map(Principal::Owner);
        }
        raw.strip_prefix("operator:").and_then(|email| OperatorEmail::parse(email).ok()).map(Principal::Operator)
    }
}

/// An owner sign-in in progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginChallenge {
    pub id: uuid::Uuid,
    pub tenant: TenantId,
    pub link: TokenDigest,
    pub code: TokenDigest,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// Wrong codes tried so far.
    pub attempts: u32,
    pub spent_at: Option<DateTime<Utc>>,
}

/// A signed-in browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebSession {
    pub token: TokenDigest,
    pub principal: Principal,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, thiserror::Error)]
pub enum WebAuthStoreError {
    #[error("the sign-in store is unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// Where challenges, sessions and operator passwords live (both stores,
/// one contract suite). Every "spend" is atomic: of two concurrent
/// attempts, one wins.
#[async_trait]
pub trait WebAuthStore: Send + Sync {
    async fn put_login_challenge(&self, challenge: &LoginChallenge) -> Result<(), WebAuthStoreError>;
    /// The unspent, unexpired challenge with this link digest.
    async fn login_challenge_by_link(
        &self,
        link: &TokenDigest,
        now: DateTime<Utc>,
    ) -> Result<Option<LoginChallenge>, WebAuthStoreError>;
    /// The newest unspent, unexpired challenge of `tenant`.
    async fn latest_login_challenge(
        &self,
        tenant: &TenantId,
        now: DateTime<Utc>,
    ) -> Result<Option<LoginChallenge>, WebAuthStoreError>;
    /// How many challenges `tenant` was sent since `since`.
    async fn login_challenges_since(&self, tenant: &TenantId, since: DateTime<Utc>) -> Result<u32, WebAuthStoreError>;
    /// Spends the challenge if it is still unspent; `false` if someone
    /// else spent it first.
    async fn spend_login_challenge(&self, id: uuid::Uuid, now: DateTime<Utc>) -> Result<bool, WebAuthStoreError>;
    /// Counts a wrong code; at `max_attempts` the challenge is spent.
    /// Returns the attempts so far.
    async fn record_wrong_code(
        &self,
        id: uuid::Uuid,
        max_attempts: u32,
        now: DateTime<Utc>,
    ) -> Result<u32, WebAuthStoreError>;

    async fn create_session(&self, session: &WebSession) -> Result<(), WebAuthStoreError>;
    /// The live session with this digest (before its `expires_at`, seen
    /// after `now - idle`), marked seen `now`; `None` otherwise.
    async fn touch_session(
        &self,
        token: &TokenDigest,
        now: DateTime<Utc>,
        idle: Duration,
    ) -> Result<Option<WebSession>, WebAuthStoreError>;
    async fn end_session(&self, token: &TokenDigest) -> Result<(), WebAuthStoreError>;
    /// Ends every session of `principal`; returns how many.
    async fn end_sessions_of(&self, principal: &Principal) -> Result<u64, WebAuthStoreError>;

    /// Adds the operator or replaces their password hash.
    async fn put_operator(
        &self,
        email: &OperatorEmail,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<(), WebAuthStoreError>;
    async fn operator_password_hash(&self, email: &OperatorEmail) -> Result<Option<String>, WebAuthStoreError>;
}

#[derive(Debug, thiserror::Error)]
pub enum WebAuthError {
    #[error("{0}")]
    Invalid(String),
    #[error("too many sign-in attempts; wait a few minutes and try again")]
    TooMany,
    #[error("that code or link is wrong, spent or expired")]
    Refused,
    #[error("no secure random numbers: {0}")]
    Random(String),
    #[error(transparent)]
    Store(#[from] WebAuthStoreError),
}

/// What [`WebLogins::start_owner_login`] hands out: sent to the owner's
/// phone, never stored.
#[derive(Debug)]
pub struct OwnerLogin {
    pub link: SecretToken,
    pub code: String,
    pub expires_at: DateTime<Utc>,
}

/// A new session: the cookie's token, and whose it is.
#[derive(Debug)]
pub struct SignedIn {
    pub token: SecretToken,
    pub session: WebSession,
}

/// The sign-in use cases over a [`WebAuthStore`].
pub struct WebLogins {
    store: std::sync::Arc<dyn WebAuthStore>,
}

impl WebLogins {
    pub fn new(store: std::sync::Arc<dyn WebAuthStore>) -> WebLogins {
        WebLogins { store }
    }

    /// A link and a code for `tenant`'s owner (the caller texts them to the
    /// shop's owner phone).
    pub async fn start_owner_login(&self, tenant: &TenantId, now: DateTime<Utc>) -> Result<OwnerLogin, WebAuthError> {
        if self.store.login_challenges_since(tenant, now - LOGIN_WINDOW).await? >= MAX_LOGINS_PER_WINDOW {
            return Err(WebAuthError::TooMany);
        }
        let link = SecretToken::generate()?;
        let mut bytes = [0_u8; 4];
        getrandom::fill(&mut bytes).map_err(|e| WebAuthError::Random(e.to_string()))?;
        let code = format!("{:06}", u32::from_le_bytes(bytes) % 1_000_000);
        let expires_at = now + LOGIN_LIFETIME;
        let challenge = LoginChallenge {
            id: uuid::Uuid::now_v7(),
            tenant: tenant.clone(),
            link: link.digest(),
            code: code_digest(tenant, &code),
            created_at: now,
            expires_at,
            attempts: 0,
            spent_at: None,
        };
        self.store.put_login_challenge(&challenge).await?;
        Ok(OwnerLogin { link, code, expires_at })
    }

    /// The owner pressed "Sign in" on the link's page.
    pub async fn sign_in_with_link(&self, link: &SecretToken, now: DateTime<Utc>) -> Result<SignedIn, WebAuthError> {
        let challenge = self.store.login_challenge_by_link(&link.digest(), now).await?.ok_or(WebAuthError::Refused)?;
        if !self.store.spend_login_challenge(challenge.id, now).await? {
            return Err(WebAuthError::Refused);
        }
        self.open_session(Principal::Owner(challenge.tenant), now).await
    }

    /// The owner typed the code on the sign-in page.
    pub async fn sign_in_with_code(
        &self,
        tenant: &TenantId,
        code: &str,
        now: DateTime<Utc>,
    ) -> Result<SignedIn, WebAuthError> {
        let challenge = self.store.latest_login_challenge(tenant, now).await?.ok_or(WebAuthError::Refused)?;
        let typed: String = code.chars().filter(char::is_ascii_digit).collect();
        if typed.len() != 6 || !challenge.code.matches(&code_digest(tenant, &typed)) {
            self.store.record_wrong_code(challenge.id, MAX_CODE_ATTEMPTS, now).await?;
            return Err(WebAuthError::Refused);
        }
        if !self.store.spend_login_challenge(challenge.id, now).await? {
            return Err(WebAuthError::Refused);
        }
        self.open_session(Principal::Owner(challenge.tenant), now).await
    }

    /// Adds an operator (or sets a new password).
    pub async fn add_operator(
        &self,
        email: &OperatorEmail,
        password: &str,
        now: DateTime<Utc>,
    ) -> Result<(), WebAuthError> {
        if password.chars().count() < 12 {
            return Err(WebAuthError::Invalid("the password needs at least 12 characters".to_owned()));
        }
        let hash = hash_password(password)?;
        self.store.put_operator(email, &hash, now).await?;
        Ok(())
    }

    /// An operator's e-mail and password; a wrong one of either is refused
    /// the same way, after the same work.
    pub async fn sign_in_operator(
        &self,
        email: &OperatorEmail,
        password: &str,
        now: DateTime<Utc>,
    ) -> Result<SignedIn, WebAuthError> {
        let stored = self.store.operator_password_hash(email).await?;
        // Without an account, a dummy hash is checked so the time spent
        // does not tell whether the e-mail is known.
        let hash = stored.clone().unwrap_or_else(|| DUMMY_HASH.clone());
        // Argon2 takes tens of milliseconds of CPU: off the async threads, so
        // a burst of sign-in attempts never stalls calls on the same process.
        let password = password.to_owned();
        let verified = tokio::task::spawn_blocking(move || verify_password(&password, &hash)).await.unwrap_or(false);
        if !verified || stored.is_none() {
            return Err(WebAuthError::Refused);
        }
        self.open_session(Principal::Operator(email.clone()), now).await
    }

    /// The session behind a cookie, if it is still live.
    pub async fn session(&self, token: &SecretToken, now: DateTime<Utc>) -> Result<Option<WebSession>, WebAuthError> {
        Ok(self.store.touch_session(&token.digest(), now, SESSION_IDLE).await?)
    }

    pub async fn sign_out(&self, token: &SecretToken) -> Result<(), WebAuthError> {
        Ok(self.store.end_session(&token.digest()).await?)
    }

    /// Ends every session of this principal (this browser's too).
    pub async fn sign_out_everywhere(&self, principal: &Principal) -> Result<u64, WebAuthError> {
        Ok(self.store.end_sessions_of(principal).await?)
    }

    async fn open_session(&self, principal: Principal, now: DateTime<Utc>) -> Result<SignedIn, WebAuthError> {
        let token = SecretToken::generate()?;
        let session = WebSession {
            token: token.digest(),
            principal,
            created_at: now,
            last_seen_at: now,
            expires_at: now + SESSION_LIFETIME,
        };
        self.store.create_session(&session).await?;
        Ok(SignedIn { token, session })
    }
}

/// A code's digest, bound to its shop (the same code of two shops differs).
fn code_digest(tenant: &TenantId, code: &str) -> TokenDigest {
    TokenDigest::of(&format!("{tenant}:{code}"))
}

/// An argon2id hash of a password that is no one's (checked when the
/// e-mail is unknown, so both take the same work).
static DUMMY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| hash_password("no one's password, only for timing").unwrap_or_default());

fn hash_password(password: &str) -> Result<String, WebAuthError> {
    use argon2::password_hash::PasswordHasher;
    let mut salt = [0_u8; 16];
    getrandom::fill(&mut salt).map_err(|e| WebAuthError::Random(e.to_string()))?;
    let hash: argon2::password_hash::phc::PasswordHash = argon2::Argon2::default()
        .hash_password_with_salt(password.as_bytes(), &salt)
        .map_err(|e| WebAuthError::Invalid(format!("the password cannot be hashed: {e}")))?;
    Ok(hash.to_string())
}

fn verify_password(password: &str, hash: &str) -> bool {
    use argon2::password_hash::PasswordVerifier;
    argon2::password_hash::phc::PasswordHash::new(hash)
        .is_ok_and(|parsed| argon2::Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// The [`WebAuthStore`] in memory: for tests and embedders.
#[derive(Default)]
pub struct MemoryWebAuthStore {
    state: std::sync::Mutex<MemoryState>,
}

#[derive(Default)]
struct MemoryState {
    challenges: Vec<LoginChallenge>,
    sessions: std::collections::HashMap<TokenDigest, WebSession>,
    operators: std::collections::HashMap<OperatorEmail, String>,
}

impl MemoryWebAuthStore {
    fn lock(&self) -> std::sync::MutexGuard<'_, MemoryState> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn live(challenge: &LoginChallenge, now: DateTime<Utc>) -> bool {
    challenge.spent_at.is_none() && challenge.expires_at > now
}

#[async_trait]
impl WebAuthStore for MemoryWebAuthStore {
    async fn put_login_challenge(&self, challenge: &LoginChallenge) -> Result<(), WebAuthStoreError> {
        self.lock().challenges.push(challenge.clone());
        Ok(())
    }

    async fn login_challenge_by_link(
        &self,
        link: &TokenDigest,
        now: DateTime<Utc>,
    ) -> Result<Option<LoginChallenge>, WebAuthStoreError> {
        Ok(self.lock().challenges.iter().find(|c| c.link == *link && live(c, now)).cloned())
    }

    async fn latest_login_challenge(
        &self,
        tenant: &TenantId,
        now: DateTime<Utc>,
    ) -> Result<Option<LoginChallenge>, WebAuthStoreError> {
        let state = self.lock();
        Ok(state
            .challenges
            .iter()
            .filter(|c| c.tenant == *tenant && live(c, now))
            .max_by_key(|c| c.created_at)
            .cloned())
    }

    async fn login_challenges_since(&self, tenant: &TenantId, since: DateTime<Utc>) -> Result<u32, WebAuthStoreError> {
        let count = self.lock().challenges.iter().filter(|c| c.tenant == *tenant && c.created_at >= since).count();
        Ok(u32::try_from(count).unwrap_or(u32::MAX))
    }

    async fn spend_login_challenge(&self, id: uuid::Uuid, now: DateTime<Utc>) -> Result<bool, WebAuthStoreError> {
        let mut state = self.lock();
        match state.challenges.iter_mut().find(|c| c.id == id && c.spent_at.is_none()) {
            Some(challenge) => {
                challenge.spent_at = Some(now);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    async fn record_wrong_code(
        &self,
        id: uuid::Uuid,
        max_attempts: u32,
        now: DateTime<Utc>,
    ) -> Result<u32, WebAuthStoreError> {
        let mut state = self.lock();
        let Some(challenge) = state.challenges.iter_mut().find(|c| c.id == id) else { return Ok(0) };
        challenge.attempts += 1;
        if challenge.attempts >= max_attempts && challenge.spent_at.is_none() {
            challenge.spent_at = Some(now);
        }
        Ok(challenge.attempts)
    }

    async fn create_session(&self, session: &WebSession) -> Result<(), WebAuthStoreError> {
        self.lock().sessions.insert(session.token.clone(), session.clone());
        Ok(())
    }

    async fn touch_session(
        &self,
        token: &TokenDigest,
        now: DateTime<Utc>,
        idle: Duration,
    ) -> Result<Option<WebSession>, WebAuthStoreError> {
        let mut state = self.lock();
        let Some(session) = state.sessions.get_mut(token) else { return Ok(None) };
        if session.expires_at <= now || session.last_seen_at + idle <= now {
            state.sessions.remove(token);
            return Ok(None);
        }
        session.last_seen_at = now;
        Ok(Some(session.clone()))
    }

    async fn end_session(&self, token: &TokenDigest) -> Result<(), WebAuthStoreError> {
        self.lock().sessions.remove(token);
        Ok(())
    }

    async fn end_sessions_of(&self, principal: &Principal) -> Result<u64, WebAuthStoreError> {
        let mut state = self.lock();
        let before = state.sessions.len();
        state.sessions.retain(|_, session| session.principal != *principal);
        Ok((before - state.sessions.len()) as u64)
    }

    async fn put_operator(
        &self,
        email: &OperatorEmail,
        password_hash: &str,
        _now: DateTime<Utc>,
    ) -> Result<(), WebAuthStoreError> {
        self.lock().operators.insert(email.clone(), password_hash.to_owned());
        Ok(())
    }

    async fn operator_password_hash(&self, email: &OperatorEmail) -> Result<Option<String>, WebAuthStoreError> {
        Ok(self.lock().operators.get(email).cloned())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn at(minutes: i64) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-23T10:00:00Z").map(|t| t.with_timezone(&Utc)).unwrap_or_default()
            + Duration::minutes(minutes)
    }

    fn shop(slug: &str) -> TenantId {
        TenantId::parse(slug).unwrap_or_else(|e| panic!("{e}"))
    }

    fn logins() -> WebLogins {
        WebLogins::new(Arc::new(MemoryWebAuthStore::default()))
    }

    #[tokio::test]
    async fn a_link_signs_in_once_within_fifteen_minutes_and_only_as_its_own_shop() {
        let logins = logins();
        let login = logins.start_owner_login(&shop("fresh-cuts"), at(0)).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(login.code.len(), 6);
        let signed = logins.sign_in_with_link(&login.link, at(14)).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(signed.session.principal, Principal::Owner(shop("fresh-cuts")));
        assert!(matches!(logins.sign_in_with_link(&login.link, at(14)).await, Err(WebAuthError::Refused)), "spent");
        let late = logins.start_owner_login(&shop("fresh-cuts"), at(20)).await.unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(logins.sign_in_with_link(&late.link, at(36)).await, Err(WebAuthError::Refused)), "expired");
        // The cookie's session is live; signing out ends it.
        let session = logins.session(&signed.token, at(15)).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(session.map(|s| s.principal), Some(Principal::Owner(shop("fresh-cuts"))));
        logins.sign_out(&signed.token).await.unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(logins.session(&signed.token, at(16)).await, Ok(None)));
    }

    #[tokio::test]
    async fn a_code_works_for_its_own_shop_and_five_wrong_ones_spend_it() {
        let logins = logins();
        let login = logins.start_owner_login(&shop("fresh-cuts"), at(0)).await.unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(
            logins.sign_in_with_code(&shop("bright-smile"), &login.code, at(1)).await,
            Err(WebAuthError::Refused)
        ));
        let spaced = format!("{} {}", &login.code[..3], &login.code[3..]);
        let signed = logins.sign_in_with_code(&shop("fresh-cuts"), &spaced, at(1)).await;
        assert!(signed.is_ok(), "typed with a space: {signed:?}");

        let login = logins.start_owner_login(&shop("fresh-cuts"), at(2)).await.unwrap_or_else(|e| panic!("{e}"));
        let wrong = if login.code == "000000" { "111111" } else { "000000" };
        for _ in 0..MAX_CODE_ATTEMPTS {
            assert!(matches!(
                logins.sign_in_with_code(&shop("fresh-cuts"), wrong, at(3)).await,
                Err(WebAuthError::Refused)
            ));
        }
        let right = logins.sign_in_with_code(&shop("fresh-cuts"), &login.code, at(3)).await;
        assert!(matches!(right, Err(WebAuthError::Refused)), "spent after five wrong codes");
    }

    #[tokio::test]
    async fn a_shop_gets_five_challenges_per_quarter_hour() {
        let logins = logins();
        for n in 0..MAX_LOGINS_PER_WINDOW {
            assert!(logins.start_owner_login(&shop("fresh-cuts"), at(i64::from(n))).await.is_ok());
        }
        assert!(matches!(logins.start_owner_login(&shop("fresh-cuts"), at(6)).await, Err(WebAuthError::TooMany)));
        assert!(logins.start_owner_login(&shop("bright-smile"), at(6)).await.is_ok(), "per shop");
        assert!(logins.start_owner_login(&shop("fresh-cuts"), at(16)).await.is_ok(), "the window moves on");
    }

    #[tokio::test]
    async fn sessions_end_when_idle_too_long_or_too_old_and_everywhere_at_once() {
        let logins = logins();
        let email = OperatorEmail::parse("Ops@Frontdesk.example").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(email.as_str(), "ops@frontdesk.example");
        assert!(matches!(logins.add_operator(&email, "short", at(0)).await, Err(WebAuthError::Invalid(_))));
        logins.add_operator(&email, "correct horse battery", at(0)).await.unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(
            logins.sign_in_operator(&email, "wrong horse battery", at(0)).await,
            Err(WebAuthError::Refused)
        ));
        let stranger = OperatorEmail::parse("who@else.example").unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(
            logins.sign_in_operator(&stranger, "correct horse battery", at(0)).await,
            Err(WebAuthError::Refused)
        ));

        let first =
            logins.sign_in_operator(&email, "correct horse battery", at(0)).await.unwrap_or_else(|e| panic!("{e}"));
        let idle_minutes = SESSION_IDLE.num_minutes();
        assert!(logins.session(&first.token, at(idle_minutes - 1)).await.ok().flatten().is_some());
        assert!(
            logins.session(&first.token, at(2 * idle_minutes - 2)).await.ok().flatten().is_some(),
            "seen, so still live"
        );
        assert!(logins.session(&first.token, at(4 * idle_minutes)).await.ok().flatten().is_none(), "idle too long");

        let second =
            logins.sign_in_operator(&email, "correct horse battery", at(0)).await.unwrap_or_else(|e| panic!("{e}"));
        let mut minute = 0;
        while minute + idle_minutes / 2 < SESSION_LIFETIME.num_minutes() {
            minute += idle_minutes / 2;
            assert!(logins.session(&second.token, at(minute)).await.ok().flatten().is_some(), "minute {minute}");
        }
        assert!(
            logins.session(&second.token, at(SESSION_LIFETIME.num_minutes())).await.ok().flatten().is_none(),
            "too old"
        );

        let a = logins.sign_in_operator(&email, "correct horse battery", at(1)).await.unwrap_or_else(|e| panic!("{e}"));
        let b = logins.sign_in_operator(&email, "correct horse battery", at(1)).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(logins.sign_out_everywhere(&Principal::Operator(email.clone())).await.ok(), Some(2));
        for token in [a.token, b.token] {
            assert!(logins.session(&token, at(2)).await.ok().flatten().is_none());
        }
    }

    #[test]
    fn tokens_and_principals_read_back_and_nothing_else_does() {
        let token = SecretToken::generate().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(SecretToken::parse(token.as_str()), Some(token.clone()));
        assert!(SecretToken::parse("not-a-token").is_none());
        assert!(!format!("{token:?}").contains(token.as_str()), "never in logs");
        assert_ne!(token.digest().as_str(), token.as_str());
        for principal in [
            Principal::Owner(shop("fresh-cuts")),
            Principal::Operator(OperatorEmail::parse("ops@frontdesk.example").unwrap_or_else(|e| panic!("{e}"))),
        ] {
            assert_eq!(Principal::from_key(&principal.key()), Some(principal));
        }
        assert!(Principal::from_key("admin").is_none());
        assert!(OperatorEmail::parse("no at sign").is_err());
    }
}
