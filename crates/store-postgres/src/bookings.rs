//! `BookingStore` on PostgreSQL. The `calendar_blocks_no_overlap` exclusion
//! constraint refuses overlapping blocks, so the database itself prevents
//! double-booking, also between gateways racing each other.

use std::sync::LazyLock;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use frontdesk_calendar::{
    Attendance, Block, Booking, BookingBrief, BookingError, BookingId, BookingStatus, BookingStore, ConfirmationCode,
    Hold, HoldId, NewBooking, NewHold, StoredBooking, StoredBookingBrief,
};
use frontdesk_core::{E164, TenantId};
use frontdesk_jobs::NewJob;
use sqlx::PgConnection;

use crate::PostgresStore;
use crate::jobs::{enqueue_many, job_columns};

const BOOKING_COLUMNS: &str = "booking_id::text AS booking_id, tenant_id, code, service, staff, start_at, end_at, customer_name, \
                               customer_phone, status, source, idempotency_key, rescheduled_from::text AS rescheduled_from, \
                               rescheduled_to::text AS rescheduled_to, created_at, updated_at, confirmed_at, \
                               attendance_marked_at";

/// The columns of [`BOOKING_COLUMNS`], read by position (every query
/// selects exactly those, in that order): a page reads thousands of
/// bookings, and finding each column by its name was a good part of it.
struct BookingRow {
    booking_id: String,
    tenant_id: String,
    code: String,
    service: String,
    staff: Option<String>,
    start_at: DateTime<Utc>,
    end_at: DateTime<Utc>,
    customer_name: String,
    customer_phone: String,
    status: String,
    source: String,
    idempotency_key: Option<String>,
    rescheduled_from: Option<String>,
    rescheduled_to: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    confirmed_at: Option<DateTime<Utc>>,
    attendance_marked_at: Option<DateTime<Utc>>,
}

impl<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> for BookingRow {
    fn from_row(row: &'r sqlx::postgres::PgRow) -> Result<BookingRow, sqlx::Error> {
        use sqlx::Row;
        Ok(BookingRow {
            booking_id: row.try_get(0)?,
            tenant_id: row.try_get(1)?,
            code: row.try_get(2)?,
            service: row.try_get(3)?,
            staff: row.try_get(4)?,
            start_at: row.try_get(5)?,
            end_at: row.try_get(6)?,
            customer_name: row.try_get(7)?,
            customer_phone: row.try_get(8)?,
            status: row.try_get(9)?,
            source: row.try_get(10)?,
            idempotency_key: row.try_get(11)?,
            rescheduled_from: row.try_get(12)?,
            rescheduled_to: row.try_get(13)?,
            created_at: row.try_get(14)?,
            updated_at: row.try_get(15)?,
            confirmed_at: row.try_get(16)?,
            attendance_marked_at: row.try_get(17)?,
        })
    }
}

impl TryFrom<BookingRow> for Booking {
    type Error = BookingError;
    fn try_from(row: BookingRow) -> Result<Booking, BookingError> {
        Booking::try_from(StoredBooking {
            booking_id: row.booking_id,
            tenant_id: row.tenant_id,
            code: row.code,
            service: row.service,
            staff: row.staff,
            start_at: row.start_at,
            end_at: row.end_at,
            customer_name: row.customer_name,
            customer_phone: row.customer_phone,
            status: row.status,
            source: row.source,
            idempotency_key: row.idempotency_key,
            rescheduled_from: row.rescheduled_from,
            rescheduled_to: row.rescheduled_to,
            confirmed_at: row.confirmed_at,
            attendance_marked_at: row.attendance_marked_at,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

fn sql(statement: String) -> sqlx::AssertSqlSafe<String> {
    // Only ever called with BOOKING_COLUMNS and fixed SQL text.
    sqlx::AssertSqlSafe(statement)
}

/// An exclusion violation (23P01) becomes `Conflict`; anything else is unexpected.
fn classify(context: &'static str) -> impl FnOnce(sqlx::Error) -> BookingError {
    move |error| match &error {
        sqlx::Error::Database(db) if db.code().as_deref() == Some("23P01") => {
            BookingError::Conflict { alternatives: Vec::new() }
        }
        _ => BookingError::Unexpected(crate::unexpected(context)(error)),
    }
}

fn staff_column(staff: &Option<String>) -> &str {
    staff.as_deref().unwrap_or("")
}

async fn drop_expired_holds(
    conn: &mut PgConnection,
    tenant: &TenantId,
    now: DateTime<Utc>,
) -> Result<(), BookingError> {
    sqlx::query("DELETE FROM calendar_blocks WHERE tenant_id = $1 AND kind = 'hold' AND expires_at <= $2")
        .bind(tenant.as_str())
        .bind(now)
        .execute(&mut *conn)
        .await
        .map_err(classify("dropping expired holds"))?;
    Ok(())
}

async fn insert_hold<'c>(
    conn: impl sqlx::PgExecutor<'c>,
    tenant: &TenantId,
    hold: &NewHold,
) -> Result<(), BookingError> {
    sqlx::query(
        "INSERT INTO calendar_blocks (block_id, tenant_id, staff, start_at, until_at, kind, service, end_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, 'hold', $6, $7, $8)",
    )
    .bind(hold.id.as_uuid())
    .bind(tenant.as_str())
    .bind(staff_column(&hold.staff))
    .bind(hold.start)
    .bind(hold.occupied_until)
    .bind(&hold.service)
    .bind(hold.end)
    .bind(hold.expires_at)
    .execute(conn)
    .await
    .map_err(classify("placing hold"))?;
    Ok(())
}

async fn booking_where(
    conn: &mut PgConnection,
    tenant: &TenantId,
    condition: &str,
    value: &str,
) -> Result<Option<Booking>, BookingError> {
    let row: Option<BookingRow> = sqlx::query_as(sql(format!(
        "SELECT {BOOKING_COLUMNS} FROM bookings WHERE tenant_id = $1 AND {condition}
         ORDER BY status = 'confirmed' DESC, created_at DESC LIMIT 1"
    )))
    .bind(tenant.as_str())
    .bind(value)
    .fetch_optional(&mut *conn)
    .await
    .map_err(classify("reading booking"))?;
    row.map(Booking::try_from).transpose()
}

/// The booking, row-locked until the transaction ends (cancel and
/// reschedule of one booking serialise here).
async fn locked_booking(
    conn: &mut PgConnection,
    tenant: &TenantId,
    id: BookingId,
) -> Result<Option<Booking>, BookingError> {
    let row: Option<BookingRow> = sqlx::query_as(sql(format!(
        "SELECT {BOOKING_COLUMNS} FROM bookings WHERE tenant_id = $1 AND booking_id = $2 FOR UPDATE"
    )))
    .bind(tenant.as_str())
    .bind(id.as_uuid())
    .fetch_optional(&mut *conn)
    .await
    .map_err(classify("locking booking"))?;
    row.map(Booking::try_from).transpose()
}

/// The columns a new booking writes, in the order both inserts give them.
const NEW_BOOKING_COLUMNS: &str = "booking_id, tenant_id, code, service, staff, start_at, end_at, customer_name,
    customer_phone, status, source, idempotency_key, rescheduled_from, created_at, updated_at";

async fn insert_booking(
    conn: &mut PgConnection,
    tenant: &TenantId,
    booking: &NewBooking,
    rescheduled_from: Option<BookingId>,
    now: DateTime<Utc>,
) -> Result<(), BookingError> {
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "INSERT INTO bookings ({NEW_BOOKING_COLUMNS})
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'confirmed', $10, $11, $12, $13, $13)"
        )
    });
    sqlx::query(sqlx::AssertSqlSafe(SQL.as_str()))
        .bind(booking.id.as_uuid())
        .bind(tenant.as_str())
        .bind(booking.code.as_str())
        .bind(&booking.service)
        .bind(booking.staff.as_deref())
        .bind(booking.start)
        .bind(booking.end)
        .bind(&booking.customer.name)
        .bind(booking.customer.phone.as_str())
        .bind(booking.source.as_str())
        .bind(booking.idempotency_key.as_deref())
        .bind(rescheduled_from.map(|id| id.as_uuid()))
        .bind(now)
        .execute(&mut *conn)
        .await
        .map_err(classify("inserting booking"))?;
    Ok(())
}

async fn insert_block(conn: &mut PgConnection, tenant: &TenantId, booking: &NewBooking) -> Result<(), BookingError> {
    sqlx::query(
        "INSERT INTO calendar_blocks (block_id, tenant_id, staff, start_at, until_at, kind, booking_id, service, end_at)
         VALUES ($1, $2, $3, $4, $5, 'booking', $1, $6, $7)",
    )
    .bind(booking.id.as_uuid())
    .bind(tenant.as_str())
    .bind(staff_column(&booking.staff))
    .bind(booking.start)
    .bind(booking.occupied_until)
    .bind(&booking.service)
    .bind(booking.end)
    .execute(&mut *conn)
    .await
    .map_err(classify("blocking the booked time"))?;
    Ok(())
}

/// `jobs` queued in one statement (each skipped while its unique key is held).
async fn enqueue_all(conn: &mut PgConnection, jobs: &[NewJob], now: DateTime<Utc>) -> Result<(), BookingError> {
    static SQL: LazyLock<String> = LazyLock::new(|| enqueue_many("TRUE"));
    if jobs.is_empty() {
        return Ok(());
    }
    let (ids, tenants, kinds, payloads, attempts, run_at, keys) = job_columns(jobs);
    sqlx::query(sqlx::AssertSqlSafe(SQL.as_str()))
        .bind(ids)
        .bind(tenants)
        .bind(kinds)
        .bind(payloads)
        .bind(attempts)
        .bind(run_at)
        .bind(keys)
        .bind(now)
        .execute(conn)
        .await
        .map_err(classify("enqueueing jobs"))?;
    Ok(())
}

impl PostgresStore {
    async fn by_idempotency_key(&self, tenant: &TenantId, key: &str) -> Result<Option<Booking>, BookingError> {
        let mut conn = self.pool.acquire().await.map_err(classify("acquiring a connection"))?;
        booking_where(&mut conn, tenant, "idempotency_key = $2", key).await
    }

    async fn try_commit(
        &self,
        tenant: &TenantId,
        booking: &NewBooking,
        jobs: &[NewJob],
        now: DateTime<Utc>,
    ) -> Result<Booking, BookingError> {
        // A repeated commit is found by its idempotency key when this one
        // fails (the hold is no longer a hold, or the key is taken): the
        // common case costs no read first.
        if let Some(hold) = booking.hold {
            return self.commit_hold(tenant, hold, booking, jobs, now).await;
        }
        let mut tx = self.pool.begin().await.map_err(classify("beginning"))?;
        drop_expired_holds(&mut tx, tenant, now).await?;
        insert_block(&mut tx, tenant, booking).await?;
        insert_booking(&mut tx, tenant, booking, None, now).await?;
        enqueue_all(&mut tx, jobs, now).await?;
        tx.commit().await.map_err(classify("committing booking"))?;
        Ok(booking.confirmed(tenant, now, None))
    }

    /// A held time booked in one statement (one round trip, atomic): the
    /// hold becomes the booking's block (an expired hold is as good as
    /// gone), the booking is written, and its jobs are queued, each only if
    /// the step before it happened.
    async fn commit_hold(
        &self,
        tenant: &TenantId,
        hold: HoldId,
        booking: &NewBooking,
        jobs: &[NewJob],
        now: DateTime<Utc>,
    ) -> Result<Booking, BookingError> {
        let (ids, tenants, kinds, payloads, attempts, run_at, keys) = job_columns(jobs);
        let mut conn = self.lean.get().await.map_err(classify("borrowing a connection"))?;
        static SQL: LazyLock<String> = LazyLock::new(|| {
            format!(
                "WITH converted AS (
                 UPDATE calendar_blocks SET kind = 'booking', booking_id = $9, expires_at = NULL
                 WHERE block_id = $10 AND tenant_id = $11 AND kind = 'hold' AND start_at = $12 AND staff = $13
                     AND expires_at > $8
                 RETURNING block_id),
             booked AS (
                 INSERT INTO bookings ({NEW_BOOKING_COLUMNS})
                 SELECT $9, $11, $14, $15, $16, $12, $17, $18, $19, 'confirmed', $20, $21, NULL, $8, $8
                 FROM converted
                 RETURNING booking_id),
             queued AS ({})
             SELECT EXISTS (SELECT 1 FROM booked)",
                enqueue_many("EXISTS (SELECT 1 FROM booked)")
            )
        });
        let converted: bool = sqlx::query_scalar(sqlx::AssertSqlSafe(SQL.as_str()))
            .bind(ids)
            .bind(tenants)
            .bind(kinds)
            .bind(payloads)
            .bind(attempts)
            .bind(run_at)
            .bind(keys)
            .bind(now)
            .bind(booking.id.as_uuid())
            .bind(hold.as_uuid())
            .bind(tenant.as_str())
            .bind(booking.start)
            .bind(staff_column(&booking.staff))
            .bind(booking.code.as_str())
            .bind(&booking.service)
            .bind(booking.staff.as_deref())
            .bind(booking.end)
            .bind(&booking.customer.name)
            .bind(booking.customer.phone.as_str())
            .bind(booking.source.as_str())
            .bind(booking.idempotency_key.as_deref())
            .fetch_one(&mut *conn)
            .await
            .map_err(classify("committing hold"))?;
        conn.finished();
        if !converted {
            return Err(BookingError::HoldExpired);
        }
        Ok(booking.confirmed(tenant, now, None))
    }
}

#[async_trait]
impl BookingStore for PostgresStore {
    async fn blocks(
        &self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Block>, BookingError> {
        let mut conn = self.lean.get().await.map_err(classify("borrowing a connection"))?;
        let rows: Vec<(String, DateTime<Utc>, DateTime<Utc>)> = sqlx::query_as(
            "SELECT staff, start_at, until_at FROM calendar_blocks
             WHERE tenant_id = $1 AND start_at < $3 AND until_at > $2 AND (kind = 'booking' OR expires_at > $4)",
        )
        .bind(tenant.as_str())
        .bind(from)
        .bind(to)
        .bind(now)
        .fetch_all(&mut *conn)
        .await
        .map_err(classify("reading blocks"))?;
        conn.finished();
        Ok(rows
            .into_iter()
            .map(|(staff, start, until)| Block { staff: Some(staff).filter(|s| !s.is_empty()), start, until })
            .collect())
    }

    async fn place_hold(&self, tenant: &TenantId, hold: &NewHold, now: DateTime<Utc>) -> Result<Hold, BookingError> {
        // One statement in the common case; only when the time is taken are
        // expired holds cleared and the hold tried once more.
        let mut conn = self.lean.get().await.map_err(classify("borrowing a connection"))?;
        let placed = insert_hold(&mut *conn, tenant, hold).await;
        if placed.is_ok() {
            conn.finished();
        }
        match placed {
            Err(BookingError::Conflict { .. }) => {
                let mut tx = self.pool.begin().await.map_err(classify("beginning"))?;
                drop_expired_holds(&mut tx, tenant, now).await?;
                insert_hold(&mut *tx, tenant, hold).await?;
                tx.commit().await.map_err(classify("committing hold"))?;
            }
            placed => placed?,
        }
        Ok(hold.placed(tenant))
    }

    async fn release_hold(&self, tenant: &TenantId, hold: HoldId) -> Result<(), BookingError> {
        sqlx::query("DELETE FROM calendar_blocks WHERE block_id = $1 AND tenant_id = $2 AND kind = 'hold'")
            .bind(hold.as_uuid())
            .bind(tenant.as_str())
            .execute(&self.pool)
            .await
            .map_err(classify("releasing hold"))?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %tenant))]
    async fn commit_booking(
        &self,
        tenant: &TenantId,
        booking: &NewBooking,
        jobs: Vec<NewJob>,
        now: DateTime<Utc>,
    ) -> Result<Booking, BookingError> {
        match self.try_commit(tenant, booking, &jobs, now).await {
            Err(error) => match &booking.idempotency_key {
                // A concurrent retry may have written it first (its block or its
                // idempotency key beat ours).
                Some(key) => match self.by_idempotency_key(tenant, key).await? {
                    Some(existing) => Ok(existing),
                    None => Err(error),
                },
                None => Err(error),
            },
            ok => ok,
        }
    }

    async fn cancel_booking(
        &self,
        tenant: &TenantId,
        id: BookingId,
        jobs: Vec<NewJob>,
        now: DateTime<Utc>,
    ) -> Result<Booking, BookingError> {
        let mut tx = self.pool.begin().await.map_err(classify("beginning"))?;
        let Some(booking) = locked_booking(&mut tx, tenant, id).await? else {
            return Err(BookingError::NotFound(id));
        };
        if booking.status != BookingStatus::Confirmed {
            return Err(BookingError::NotConfirmed(booking.status));
        }
        sqlx::query(
            "UPDATE bookings SET status = 'cancelled', updated_at = $3 WHERE booking_id = $1 AND tenant_id = $2",
        )
        .bind(id.as_uuid())
        .bind(tenant.as_str())
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(classify("cancelling booking"))?;
        sqlx::query("DELETE FROM calendar_blocks WHERE booking_id = $1 AND tenant_id = $2")
            .bind(id.as_uuid())
            .bind(tenant.as_str())
            .execute(&mut *tx)
            .await
            .map_err(classify("freeing the booked time"))?;
        enqueue_all(&mut tx, &jobs, now).await?;
        tx.commit().await.map_err(classify("committing cancellation"))?;
        Ok(Booking { status: BookingStatus::Cancelled, updated_at: now, ..booking })
    }

    async fn reschedule_booking(
        &self,
        tenant: &TenantId,
        id: BookingId,
        replacement: &NewBooking,
        jobs: Vec<NewJob>,
        now: DateTime<Utc>,
    ) -> Result<Booking, BookingError> {
        let mut tx = self.pool.begin().await.map_err(classify("beginning"))?;
        let Some(old) = locked_booking(&mut tx, tenant, id).await? else {
            return Err(BookingError::NotFound(id));
        };
        if old.status != BookingStatus::Confirmed {
            return Err(BookingError::NotConfirmed(old.status));
        }
        sqlx::query("DELETE FROM calendar_blocks WHERE booking_id = $1 AND tenant_id = $2")
            .bind(id.as_uuid())
            .bind(tenant.as_str())
            .execute(&mut *tx)
            .await
            .map_err(classify("freeing the old time"))?;
        drop_expired_holds(&mut tx, tenant, now).await?;
        insert_block(&mut tx, tenant, replacement).await?;
        sqlx::query(
            "UPDATE bookings SET status = 'cancelled', rescheduled_to = $3, updated_at = $4
             WHERE booking_id = $1 AND tenant_id = $2",
        )
        .bind(id.as_uuid())
        .bind(tenant.as_str())
        .bind(replacement.id.as_uuid())
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(classify("retiring the old booking"))?;
        insert_booking(&mut tx, tenant, replacement, Some(id), now).await?;
        enqueue_all(&mut tx, &jobs, now).await?;
        tx.commit().await.map_err(classify("committing reschedule"))?;
        Ok(replacement.confirmed(tenant, now, Some(id)))
    }

    async fn mark_attendance(
        &self,
        tenant: &TenantId,
        id: BookingId,
        attendance: Attendance,
        now: DateTime<Utc>,
    ) -> Result<Booking, BookingError> {
        // The status test is in the statement, so a concurrent cancel either
        // comes first (and this changes nothing) or waits for it.
        let marked: Option<BookingRow> = sqlx::query_as(sql(format!(
            "UPDATE bookings SET status = $3, attendance_marked_at = $4, updated_at = $4
             WHERE booking_id = $1 AND tenant_id = $2 AND status <> 'cancelled'
             RETURNING {BOOKING_COLUMNS}"
        )))
        .bind(id.as_uuid())
        .bind(tenant.as_str())
        .bind(attendance.as_str())
        .bind(now)
        .fetch_optional(&self.pool)
        .await
        .map_err(classify("marking attendance"))?;
        match marked {
            Some(row) => Booking::try_from(row),
            None => match self.booking(tenant, id).await? {
                Some(_) => Err(BookingError::Cancelled(id)),
                None => Err(BookingError::NotFound(id)),
            },
        }
    }

    async fn record_confirmation(
        &self,
        tenant: &TenantId,
        id: BookingId,
        now: DateTime<Utc>,
    ) -> Result<Booking, BookingError> {
        sqlx::query(
            "UPDATE bookings SET confirmed_at = $3, updated_at = $3
             WHERE booking_id = $1 AND tenant_id = $2 AND status = 'confirmed' AND confirmed_at IS NULL",
        )
        .bind(id.as_uuid())
        .bind(tenant.as_str())
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(classify("recording the customer's confirmation"))?;
        match self.booking(tenant, id).await? {
            None => Err(BookingError::NotFound(id)),
            Some(booking) if booking.status != BookingStatus::Confirmed => {
                Err(BookingError::NotConfirmed(booking.status))
            }
            Some(booking) => Ok(booking),
        }
    }

    async fn booking(&self, tenant: &TenantId, id: BookingId) -> Result<Option<Booking>, BookingError> {
        let mut conn = self.pool.acquire().await.map_err(classify("acquiring a connection"))?;
        booking_where(&mut conn, tenant, "booking_id = $2::uuid", &id.to_string()).await
    }

    async fn booking_by_code(
        &self,
        tenant: &TenantId,
        code: &ConfirmationCode,
    ) -> Result<Option<Booking>, BookingError> {
        let mut conn = self.pool.acquire().await.map_err(classify("acquiring a connection"))?;
        booking_where(&mut conn, tenant, "code = $2", code.as_str()).await
    }

    async fn upcoming_for_phone(
        &self,
        tenant: &TenantId,
        phone: &E164,
        from: DateTime<Utc>,
    ) -> Result<Vec<Booking>, BookingError> {
        let rows: Vec<BookingRow> = sqlx::query_as(sql(format!(
            "SELECT {BOOKING_COLUMNS} FROM bookings
             WHERE tenant_id = $1 AND customer_phone = $2 AND status = 'confirmed' AND start_at >= $3
             ORDER BY start_at"
        )))
        .bind(tenant.as_str())
        .bind(phone.as_str())
        .bind(from)
        .fetch_all(&self.pool)
        .await
        .map_err(classify("reading bookings by phone"))?;
        rows.into_iter().map(Booking::try_from).collect()
    }

    async fn list_bookings(
        &self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        status: Option<BookingStatus>,
    ) -> Result<Vec<Booking>, BookingError> {
        let rows: Vec<BookingRow> = sqlx::query_as(sql(format!(
            "SELECT {BOOKING_COLUMNS} FROM bookings
             WHERE tenant_id = $1 AND start_at >= $2 AND start_at < $3 AND ($4::text IS NULL OR status = $4)
             ORDER BY start_at, booking_id"
        )))
        .bind(tenant.as_str())
        .bind(from)
        .bind(to)
        .bind(status.map(BookingStatus::as_str))
        .fetch_all(&self.pool)
        .await
        .map_err(classify("listing bookings"))?;
        rows.into_iter().map(Booking::try_from).collect()
    }

    async fn booking_briefs(
        &self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<BookingBrief>, BookingError> {
        let rows: Vec<BriefRow> = sqlx::query_as(
            "SELECT booking_id::text, service, start_at, end_at, status, source, rescheduled_from::text,
                 rescheduled_to::text, created_at, updated_at
             FROM bookings WHERE tenant_id = $1 AND start_at >= $2 AND start_at < $3
             ORDER BY start_at, booking_id",
        )
        .bind(tenant.as_str())
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await
        .map_err(classify("listing booking briefs"))?;
        rows.into_iter().map(|row| BookingBrief::try_from(row.0)).collect()
    }
}

/// A [`StoredBookingBrief`]'s columns, read by position.
struct BriefRow(StoredBookingBrief);

impl<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> for BriefRow {
    fn from_row(row: &'r sqlx::postgres::PgRow) -> Result<BriefRow, sqlx::Error> {
        use sqlx::Row;
        Ok(BriefRow(StoredBookingBrief {
            booking_id: row.try_get(0)?,
            service: row.try_get(1)?,
            start_at: row.try_get(2)?,
            end_at: row.try_get(3)?,
            status: row.try_get(4)?,
            source: row.try_get(5)?,
            rescheduled_from: row.try_get(6)?,
            rescheduled_to: row.try_get(7)?,
            created_at: row.try_get(8)?,
            updated_at: row.try_get(9)?,
        }))
    }
}
