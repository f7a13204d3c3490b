//! The phone path's connections: lent and returned without a round trip.
//!
//! sqlx's pool pings every connection it takes back (`Sync`, then wait for
//! the server's `ReadyForQuery`): one more network round trip for every
//! statement, and a fifth of a phone turn's CPU on PostgreSQL. The
//! statements a phone turn runs (the call, its turn, the day's blocks, the
//! hold and the booking, the caps read at a call's start) borrow a
//! connection from this small set instead. A connection goes back only when
//! its statement finished ([`Lent::finished`]); one dropped on an error or
//! a cancelled request is closed, so no half-read reply is ever handed to
//! the next borrower. One left unused for a while is pinged before it is
//! lent again, as the main pool does.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{ConnectOptions, Connection};
use tokio::sync::{Semaphore, SemaphorePermit};

/// A connection unused this long is pinged before it is lent.
const IDLE_BEFORE_PING: Duration = crate::IDLE_BEFORE_PING;

/// Up to `max` connections of one database, opened when first needed.
pub(crate) struct LeanConnections {
    options: PgConnectOptions,
    idle: Mutex<Vec<(PgConnection, Instant)>>,
    permits: Semaphore,
    wait: Duration,
}

/// A borrowed connection: dereferences to the connection, goes back to the
/// set by [`Lent::finished`], and is closed if dropped without it.
pub(crate) struct Lent<'a> {
    conn: Option<PgConnection>,
    owner: &'a LeanConnections,
    _permit: SemaphorePermit<'a>,
}

impl LeanConnections {
    pub(crate) fn new(options: PgConnectOptions, max: usize, wait: Duration) -> LeanConnections {
        LeanConnections { options, idle: Mutex::new(Vec::new()), permits: Semaphore::new(max.max(1)), wait }
    }

    /// A connection: the most recently returned one, or a new one. Waits up
    /// to the set's timeout while all are lent.
    pub(crate) async fn get(&self) -> Result<Lent<'_>, sqlx::Error> {
        let permit = tokio::time::timeout(self.wait, self.permits.acquire())
            .await
            .map_err(|_| sqlx::Error::PoolTimedOut)?
            .map_err(|_| sqlx::Error::PoolClosed)?;
        loop {
            let returned = self.idle.lock().unwrap_or_else(PoisonError::into_inner).pop();
            let Some((mut conn, since)) = returned else { break };
            if since.elapsed() < IDLE_BEFORE_PING || conn.ping().await.is_ok() {
                return Ok(Lent { conn: Some(conn), owner: self, _permit: permit });
            }
        }
        let conn = self.options.connect().await?;
        Ok(Lent { conn: Some(conn), owner: self, _permit: permit })
    }

    /// Connections waiting to be lent (for tests).
    #[cfg(test)]
    fn idle(&self) -> usize {
        self.idle.lock().unwrap_or_else(PoisonError::into_inner).len()
    }
}

impl Lent<'_> {
    /// The statement finished and its reply was read whole: the connection
    /// can serve the next borrower.
    pub(crate) fn finished(mut self) {
        if let Some(conn) = self.conn.take() {
            self.owner.idle.lock().unwrap_or_else(PoisonError::into_inner).push((conn, Instant::now()));
        }
    }
}

impl std::ops::Deref for Lent<'_> {
    type Target = PgConnection;

    fn deref(&self) -> &PgConnection {
        self.conn.as_ref().unwrap_or_else(|| unreachable!("a lent connection is held until finished or dropped"))
    }
}

impl std::ops::DerefMut for Lent<'_> {
    fn deref_mut(&mut self) -> &mut PgConnection {
        self.conn.as_mut().unwrap_or_else(|| unreachable!("a lent connection is held until finished or dropped"))
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn server() -> Option<PgConnectOptions> {
        let url = std::env::var("FRONTDESK_TEST_POSTGRES_URL").ok()?;
        PgConnectOptions::from_str(&url).ok()
    }

    #[tokio::test]
    async fn a_finished_connection_is_lent_again_and_a_dropped_one_is_closed() {
        let Some(options) = server() else { return };
        let set = LeanConnections::new(options, 2, Duration::from_millis(200));
        let mut first = set.get().await.unwrap_or_else(|e| panic!("{e}"));
        let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
            .fetch_one(&mut *first)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        first.finished();
        assert_eq!(set.idle(), 1);
        let mut again = set.get().await.unwrap_or_else(|e| panic!("{e}"));
        let same: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
            .fetch_one(&mut *again)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(same, pid, "the returned connection is reused");
        // A statement that failed (or a request cancelled mid-reply) drops
        // its connection: never returned half-read.
        let failed = sqlx::query("SELECT * FROM no_such_table").execute(&mut *again).await;
        assert!(failed.is_err());
        drop(again);
        assert_eq!(set.idle(), 0);
        let mut fresh = set.get().await.unwrap_or_else(|e| panic!("{e}"));
        let other: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
            .fetch_one(&mut *fresh)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_ne!(other, pid, "a new connection after a dropped one");
        fresh.finished();
    }

    #[tokio::test]
    async fn borrowers_beyond_the_limit_wait_then_time_out() {
        let Some(options) = server() else { return };
        let set = LeanConnections::new(options, 1, Duration::from_millis(100));
        let held = set.get().await.unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(set.get().await, Err(sqlx::Error::PoolTimedOut)));
        held.finished();
        assert!(set.get().await.is_ok(), "free again once returned");
    }
}
