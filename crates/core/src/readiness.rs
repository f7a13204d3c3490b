use async_trait::async_trait;

/// A dependency that can say whether it is ready to serve traffic
/// (database reachable, migrations applied, …). `GET /readyz` asks every one.
#[async_trait]
pub trait Readiness: Send + Sync {
    /// A short name for reports: `"database"`.
    fn component(&self) -> &'static str;

    /// `Ok(())` when ready; otherwise why not, in words an operator can act on.
    async fn check_ready(&self) -> Result<(), NotReady>;
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NotReady(pub String);
