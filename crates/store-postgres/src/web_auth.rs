//! `WebAuthStore` on PostgreSQL: owners' sign-in challenges, browsers' sessions
//! and operators' password hashes. Every spend and count is one statement
//! (`UPDATE … WHERE … RETURNING`), so of two concurrent attempts one wins
//! without a transaction around a read and a write.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use frontdesk_auth::web::{
    LoginChallenge, OperatorEmail, Principal, TokenDigest, WebAuthStore, WebAuthStoreError, WebSession,
};
use frontdesk_core::TenantId;

use crate::PostgresStore;

fn unexpected(context: &'static str) -> impl FnOnce(sqlx::Error) -> WebAuthStoreError {
    move |error| WebAuthStoreError::Unexpected(crate::unexpected(context)(error))
}

fn corrupt(what: String) -> WebAuthStoreError {
    WebAuthStoreError::Unexpected(anyhow::anyhow!("unreadable sign-in row: {what}"))
}

fn sql(statement: String) -> sqlx::AssertSqlSafe<String> {
    // Only ever called with the column lists and fixed SQL text.
    sqlx::AssertSqlSafe(statement)
}

const CHALLENGE_COLUMNS: &str =
    "challenge_id, tenant_id, link_digest, code_digest, created_at, expires_at, attempts, spent_at";

#[derive(sqlx::FromRow)]
struct ChallengeRow {
    challenge_id: uuid::Uuid,
    tenant_id: String,
    link_digest: String,
    code_digest: String,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    attempts: i32,
    spent_at: Option<DateTime<Utc>>,
}

impl TryFrom<ChallengeRow> for LoginChallenge {
    type Error = WebAuthStoreError;
    fn try_from(row: ChallengeRow) -> Result<LoginChallenge, WebAuthStoreError> {
        let id = row.challenge_id;
        let tenant = TenantId::parse(&row.tenant_id)
            .map_err(|e| corrupt(format!("login challenge {id}: tenant {:?}: {e}", row.tenant_id)))?;
        let attempts = u32::try_from(row.attempts)
            .map_err(|_| corrupt(format!("login challenge {id}: {} attempts", row.attempts)))?;
        Ok(LoginChallenge {
            id,
            tenant,
            link: TokenDigest::from_stored(row.link_digest),
            code: TokenDigest::from_stored(row.code_digest),
            created_at: row.created_at,
            expires_at: row.expires_at,
            attempts,
            spent_at: row.spent_at,
        })
    }
}

const SESSION_COLUMNS: &str = "token_digest, principal, created_at, last_seen_at, expires_at";

#[derive(sqlx::FromRow)]
struct SessionRow {
    token_digest: String,
    principal: String,
    created_at: DateTime<Utc>,
    last_seen_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
}

impl TryFrom<SessionRow> for WebSession {
    type Error = WebAuthStoreError;
    fn try_from(row: SessionRow) -> Result<WebSession, WebAuthStoreError> {
        let principal = Principal::from_key(&row.principal)
            .ok_or_else(|| corrupt(format!("session of unknown principal {:?}", row.principal)))?;
        Ok(WebSession {
            token: TokenDigest::from_stored(row.token_digest),
            principal,
            created_at: row.created_at,
            last_seen_at: row.last_seen_at,
            expires_at: row.expires_at,
        })
    }
}

#[async_trait]
impl WebAuthStore for PostgresStore {
    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %challenge.tenant))]
    async fn put_login_challenge(&self, challenge: &LoginChallenge) -> Result<(), WebAuthStoreError> {
        sqlx::query(
            "INSERT INTO login_challenges
                 (challenge_id, tenant_id, link_digest, code_digest, created_at, expires_at, attempts, spent_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(challenge.id)
        .bind(challenge.tenant.as_str())
        .bind(challenge.link.as_str())
        .bind(challenge.code.as_str())
        .bind(challenge.created_at)
        .bind(challenge.expires_at)
        .bind(i32::try_from(challenge.attempts).unwrap_or(i32::MAX))
        .bind(challenge.spent_at)
        .execute(&self.pool)
        .await
        .map_err(|error| match &error {
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                WebAuthStoreError::Unexpected(anyhow::anyhow!("no tenant {} to sign in to", challenge.tenant))
            }
            _ => unexpected("writing login challenge")(error),
        })?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn login_challenge_by_link(
        &self,
        link: &TokenDigest,
        now: DateTime<Utc>,
    ) -> Result<Option<LoginChallenge>, WebAuthStoreError> {
        let row: Option<ChallengeRow> = sqlx::query_as(sql(format!(
            "SELECT {CHALLENGE_COLUMNS} FROM login_challenges
             WHERE link_digest = $1 AND spent_at IS NULL AND expires_at > $2"
        )))
        .bind(link.as_str())
        .bind(now)
        .fetch_optional(&self.pool)
        .await
        .map_err(unexpected("reading login challenge by link"))?;
        row.map(LoginChallenge::try_from).transpose()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %tenant))]
    async fn latest_login_challenge(
        &self,
        tenant: &TenantId,
        now: DateTime<Utc>,
    ) -> Result<Option<LoginChallenge>, WebAuthStoreError> {
        let row: Option<ChallengeRow> = sqlx::query_as(sql(format!(
            "SELECT {CHALLENGE_COLUMNS} FROM login_challenges
             WHERE tenant_id = $1 AND spent_at IS NULL AND expires_at > $2
             ORDER BY created_at DESC, challenge_id DESC LIMIT 1"
        )))
        .bind(tenant.as_str())
        .bind(now)
        .fetch_optional(&self.pool)
        .await
        .map_err(unexpected("reading latest login challenge"))?;
        row.map(LoginChallenge::try_from).transpose()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %tenant))]
    async fn login_challenges_since(&self, tenant: &TenantId, since: DateTime<Utc>) -> Result<u32, WebAuthStoreError> {
        let count: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM login_challenges WHERE tenant_id = $1 AND created_at >= $2")
                .bind(tenant.as_str())
                .bind(since)
                .fetch_one(&self.pool)
                .await
                .map_err(unexpected("counting login challenges"))?;
        Ok(u32::try_from(count).unwrap_or(u32::MAX))
    }

    #[tracing::instrument(level = "debug", skip_all, fields(challenge_id = %id))]
    async fn spend_login_challenge(&self, id: uuid::Uuid, now: DateTime<Utc>) -> Result<bool, WebAuthStoreError> {
        let spent =
            sqlx::query("UPDATE login_challenges SET spent_at = $2 WHERE challenge_id = $1 AND spent_at IS NULL")
                .bind(id)
                .bind(now)
                .execute(&self.pool)
                .await
                .map_err(unexpected("spending login challenge"))?;
        Ok(spent.rows_affected() == 1)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(challenge_id = %id))]
    async fn record_wrong_code(
        &self,
        id: uuid::Uuid,
        max_attempts: u32,
        now: DateTime<Utc>,
    ) -> Result<u32, WebAuthStoreError> {
        // The right-hand sides read the row as it was, so `attempts + 1` is
        // the count this wrong code makes.
        let attempts: Option<i32> = sqlx::query_scalar(
            "UPDATE login_challenges SET attempts = attempts + 1,
                 spent_at = CASE WHEN spent_at IS NULL AND attempts + 1 >= $2 THEN $3 ELSE spent_at END
             WHERE challenge_id = $1
             RETURNING attempts",
        )
        .bind(id)
        .bind(i32::try_from(max_attempts).unwrap_or(i32::MAX))
        .bind(now)
        .fetch_optional(&self.pool)
        .await
        .map_err(unexpected("counting a wrong code"))?;
        // An unknown challenge has had no attempts.
        attempts.map_or(Ok(0), |n| u32::try_from(n).map_err(|_| corrupt(format!("login challenge {id}: {n} attempts"))))
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn create_session(&self, session: &WebSession) -> Result<(), WebAuthStoreError> {
        sqlx::query(
            "INSERT INTO web_sessions (token_digest, principal, created_at, last_seen_at, expires_at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(session.token.as_str())
        .bind(session.principal.key())
        .bind(session.created_at)
        .bind(session.last_seen_at)
        .bind(session.expires_at)
        .execute(&self.pool)
        .await
        .map_err(unexpected("creating session"))?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn touch_session(
        &self,
        token: &TokenDigest,
        now: DateTime<Utc>,
        idle: Duration,
    ) -> Result<Option<WebSession>, WebAuthStoreError> {
        // An idle time reaching back before 1970: no session is idle that long.
        let seen_after = now.checked_sub_signed(idle).unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
        let row: Option<SessionRow> = sqlx::query_as(sql(format!(
            "UPDATE web_sessions SET last_seen_at = $2
             WHERE token_digest = $1 AND expires_at > $2 AND last_seen_at > $3
             RETURNING {SESSION_COLUMNS}"
        )))
        .bind(token.as_str())
        .bind(now)
        .bind(seen_after)
        .fetch_optional(&self.pool)
        .await
        .map_err(unexpected("touching session"))?;
        if let Some(row) = row {
            return WebSession::try_from(row).map(Some);
        }
        // Over (or never there): nothing will make it live again.
        sqlx::query("DELETE FROM web_sessions WHERE token_digest = $1 AND (expires_at <= $2 OR last_seen_at <= $3)")
            .bind(token.as_str())
            .bind(now)
            .bind(seen_after)
            .execute(&self.pool)
            .await
            .map_err(unexpected("deleting a session that is over"))?;
        Ok(None)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn end_session(&self, token: &TokenDigest) -> Result<(), WebAuthStoreError> {
        sqlx::query("DELETE FROM web_sessions WHERE token_digest = $1")
            .bind(token.as_str())
            .execute(&self.pool)
            .await
            .map_err(unexpected("ending session"))?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn end_sessions_of(&self, principal: &Principal) -> Result<u64, WebAuthStoreError> {
        let ended = sqlx::query("DELETE FROM web_sessions WHERE principal = $1")
            .bind(principal.key())
            .execute(&self.pool)
            .await
            .map_err(unexpected("ending every session of a principal"))?;
        Ok(ended.rows_affected())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn put_operator(
        &self,
        email: &OperatorEmail,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<(), WebAuthStoreError> {
        sqlx::query(
            "INSERT INTO operators (email, password_hash, created_at, updated_at) VALUES ($1, $2, $3, $3)
             ON CONFLICT (email) DO UPDATE SET password_hash = excluded.password_hash, updated_at = excluded.updated_at",
        )
        .bind(email.as_str())
        .bind(password_hash)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(unexpected("writing operator"))?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn operator_password_hash(&self, email: &OperatorEmail) -> Result<Option<String>, WebAuthStoreError> {
        sqlx::query_scalar("SELECT password_hash FROM operators WHERE email = $1")
            .bind(email.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(unexpected("reading operator"))
    }
}
