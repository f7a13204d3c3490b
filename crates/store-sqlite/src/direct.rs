//! The phone path's connection: statements run on the calling thread.
//!
//! sqlx runs each SQLite connection on a thread of its own, and every
//! statement is a message to that thread and back: a handful of context
//! switches on both sides, which measured at about 0.1 ms of CPU per
//! statement, most of a webhook request's cost. The call and booking ports
//! (the statements a phone turn runs) use this connection instead: one
//! `rusqlite` connection to the same file, behind a mutex, each port call
//! a few microseconds of SQLite work on the thread that asks. It is never
//! held across an `.await`.
//!
//! It shares the file with the sqlx pool: WAL mode lets readers run beside
//! the one writer, and a writer that finds the write lock taken waits up to
//! the same busy timeout. Migrations run through sqlx before it opens.

use std::path::Path;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use anyhow::Context;

/// One SQLite connection used synchronously, serialised by a mutex (SQLite
/// has one writer at a time anyway).
pub(crate) struct DirectConnection {
    conn: Mutex<rusqlite::Connection>,
    busy_timeout: Duration,
}

/// An error that may say the database was locked by another writer.
pub(crate) trait MaybeBusy {
    fn is_busy(&self) -> bool;
}

impl MaybeBusy for rusqlite::Error {
    fn is_busy(&self) -> bool {
        matches!(
            self.sqlite_error_code(),
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
        )
    }
}

impl DirectConnection {
    /// Opens the already-migrated database at `file` with the pool's
    /// settings: WAL, `synchronous = NORMAL`, foreign keys.
    pub(crate) fn open(file: &Path, busy_timeout: Duration) -> anyhow::Result<DirectConnection> {
        let conn = rusqlite::Connection::open(file)
            .with_context(|| format!("cannot open SQLite database {}", file.display()))?;
        // A locked database is reported at once and waited for in `run`,
        // off the mutex and without blocking the thread.
        conn.busy_timeout(Duration::ZERO).context("setting the busy timeout")?;
        conn.pragma_update(None, "journal_mode", "WAL").context("setting WAL mode")?;
        conn.pragma_update(None, "synchronous", "NORMAL").context("setting synchronous")?;
        conn.pragma_update(None, "foreign_keys", "ON").context("enabling foreign keys")?;
        // A checkpoint copies the log into the database and syncs it: not on
        // a request's thread. The pool's connections (their own threads)
        // checkpoint instead, also on a timer (`SqliteStore::open`).
        conn.pragma_update(None, "wal_autocheckpoint", 0).context("turning off automatic checkpoints")?;
        // Every statement of the ports on this connection stays prepared.
        conn.set_prepared_statement_cache_capacity(64);
        Ok(DirectConnection { conn: Mutex::new(conn), busy_timeout })
    }

    /// Runs `work` on the connection, on this thread. When another writer
    /// (the sqlx pool, another process) holds the database, the lock is
    /// released and `work` runs again after a short async wait, for up to
    /// the busy timeout: a thread is never blocked on a lock that a task
    /// waiting for that thread holds. A panic inside a previous `work` left
    /// SQLite consistent (an open transaction rolls back when its guard
    /// drops), so a poisoned mutex is taken over.
    pub(crate) async fn run<T, E: MaybeBusy>(
        &self,
        mut work: impl FnMut(&mut rusqlite::Connection) -> Result<T, E>,
    ) -> Result<T, E> {
        let deadline = tokio::time::Instant::now() + self.busy_timeout;
        let mut pause = Duration::from_micros(500);
        loop {
            let result = {
                let mut conn = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
                work(&mut conn)
            };
            match result {
                Err(error) if error.is_busy() && tokio::time::Instant::now() + pause < deadline => {
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_millis(20));
                }
                result => return result,
            }
        }
    }
}

/// The trigger that refuses overlapping calendar blocks raised this error.
pub(crate) fn is_calendar_conflict(error: &rusqlite::Error) -> bool {
    matches!(error, rusqlite::Error::SqliteFailure(_, Some(message)) if message.contains("calendar_conflict"))
}
