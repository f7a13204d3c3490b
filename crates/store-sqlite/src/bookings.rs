//! `BookingStore` on SQLite, on the direct connection (the phone path's
//! statements run on the calling thread). Writers run in `BEGIN IMMEDIATE`
//! transactions, and triggers refuse overlapping calendar blocks, so the
//! database itself prevents double-booking.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use frontdesk_calendar::{
    Attendance, Block, Booking, BookingBrief, BookingError, BookingId, BookingStatus, BookingStore, ConfirmationCode,
    Hold, HoldId, NewBooking, NewHold, StoredBooking, StoredBookingBrief,
};
use frontdesk_core::{E164, TenantId};
use frontdesk_jobs::NewJob;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::SqliteStore;
use crate::direct::{MaybeBusy, is_calendar_conflict};
use crate::jobs::{enqueue_direct, from_ms, ms};

const BOOKING_COLUMNS: &str = "booking_id, tenant_id, code, service, staff, start_at, end_at, customer_name, \
                               customer_phone, status, source, idempotency_key, rescheduled_from, rescheduled_to, \
                               created_at, updated_at, confirmed_at, attendance_marked_at";

/// A booking's columns ([`BOOKING_COLUMNS`], in order) from `row`.
fn booking_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<StoredBooking> {
    Ok(StoredBooking {
        booking_id: row.get(0)?,
        tenant_id: row.get(1)?,
        code: row.get(2)?,
        service: row.get(3)?,
        staff: row.get(4)?,
        start_at: from_ms(row.get(5)?),
        end_at: from_ms(row.get(6)?),
        customer_name: row.get(7)?,
        customer_phone: row.get(8)?,
        status: row.get(9)?,
        source: row.get(10)?,
        idempotency_key: row.get(11)?,
        rescheduled_from: row.get(12)?,
        rescheduled_to: row.get(13)?,
        created_at: from_ms(row.get(14)?),
        updated_at: from_ms(row.get(15)?),
        confirmed_at: row.get::<_, Option<i64>>(16)?.map(from_ms),
        attendance_marked_at: row.get::<_, Option<i64>>(17)?.map(from_ms),
    })
}

/// Why a statement failed: the trigger's `calendar_conflict` becomes
/// `Conflict`; anything else is unexpected.
#[derive(Debug)]
enum Failed {
    Sql(&'static str, rusqlite::Error),
    Booking(BookingError),
}

impl From<Failed> for BookingError {
    fn from(failed: Failed) -> BookingError {
        match failed {
            Failed::Sql(_, error) if is_calendar_conflict(&error) => {
                BookingError::Conflict { alternatives: Vec::new() }
            }
            Failed::Sql(context, error) => BookingError::Unexpected(anyhow::Error::new(error).context(context)),
            Failed::Booking(error) => error,
        }
    }
}

impl MaybeBusy for Failed {
    fn is_busy(&self) -> bool {
        matches!(self, Failed::Sql(_, error) if error.is_busy())
    }
}

/// Tags a statement's error with what it was doing.
trait Doing<T> {
    fn doing(self, context: &'static str) -> Result<T, Failed>;
}

impl<T> Doing<T> for rusqlite::Result<T> {
    fn doing(self, context: &'static str) -> Result<T, Failed> {
        self.map_err(|error| Failed::Sql(context, error))
    }
}

fn staff_column(staff: &Option<String>) -> &str {
    staff.as_deref().unwrap_or("")
}

fn drop_expired_holds(conn: &Connection, tenant: &TenantId, now: DateTime<Utc>) -> Result<(), Failed> {
    conn.prepare_cached("DELETE FROM calendar_blocks WHERE tenant_id = ?1 AND kind = 'hold' AND expires_at <= ?2")
        .and_then(|mut statement| statement.execute(params![tenant.as_str(), ms(now)]))
        .doing("dropping expired holds")?;
    Ok(())
}

/// Which booking [`booking_where`] reads.
#[derive(Clone, Copy)]
enum Find<'a> {
    Id(BookingId),
    Code(&'a ConfirmationCode),
    IdempotencyKey(&'a str),
}

fn booking_where(conn: &Connection, tenant: &TenantId, find: Find<'_>) -> Result<Option<Booking>, Failed> {
    let (condition, value) = match find {
        Find::Id(id) => ("booking_id = ?2", id.to_string()),
        Find::Code(code) => ("code = ?2", code.as_str().to_owned()),
        Find::IdempotencyKey(key) => ("idempotency_key = ?2", key.to_owned()),
    };
    let sql = format!(
        "SELECT {BOOKING_COLUMNS} FROM bookings WHERE tenant_id = ?1 AND {condition}
         ORDER BY status = 'confirmed' DESC, created_at DESC LIMIT 1"
    );
    let stored = conn
        .prepare_cached(&sql)
        .and_then(|mut statement| statement.query_row(params![tenant.as_str(), value], booking_row).optional())
        .doing("reading booking")?;
    stored.map(Booking::try_from).transpose().map_err(Failed::Booking)
}

fn insert_booking(
    conn: &Connection,
    tenant: &TenantId,
    booking: &NewBooking,
    rescheduled_from: Option<BookingId>,
    now: DateTime<Utc>,
) -> Result<(), Failed> {
    conn.prepare_cached(
        "INSERT INTO bookings (booking_id, tenant_id, code, service, staff, start_at, end_at, customer_name,
             customer_phone, status, source, idempotency_key, rescheduled_from, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'confirmed', ?10, ?11, ?12, ?13, ?13)",
    )
    .and_then(|mut statement| {
        statement.execute(params![
            booking.id.to_string(),
            tenant.as_str(),
            booking.code.as_str(),
            booking.service,
            booking.staff.as_deref(),
            ms(booking.start),
            ms(booking.end),
            booking.customer.name,
            booking.customer.phone.as_str(),
            booking.source.as_str(),
            booking.idempotency_key.as_deref(),
            rescheduled_from.map(|id| id.to_string()),
            ms(now),
        ])
    })
    .doing("inserting booking")?;
    Ok(())
}

fn insert_block(conn: &Connection, tenant: &TenantId, booking: &NewBooking) -> Result<(), Failed> {
    conn.prepare_cached(
        "INSERT INTO calendar_blocks (block_id, tenant_id, staff, start_at, until_at, kind, booking_id, service, end_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 'booking', ?1, ?6, ?7)",
    )
    .and_then(|mut statement| {
        statement.execute(params![
            booking.id.to_string(),
            tenant.as_str(),
            staff_column(&booking.staff),
            ms(booking.start),
            ms(booking.occupied_until),
            booking.service,
            ms(booking.end),
        ])
    })
    .doing("blocking the booked time")?;
    Ok(())
}

fn free_booked_time(conn: &Connection, tenant: &TenantId, id: BookingId) -> Result<(), Failed> {
    conn.prepare_cached("DELETE FROM calendar_blocks WHERE booking_id = ?1 AND tenant_id = ?2")
        .and_then(|mut statement| statement.execute(params![id.to_string(), tenant.as_str()]))
        .doing("freeing the booked time")?;
    Ok(())
}

fn enqueue_all(conn: &Connection, jobs: &[NewJob], now: DateTime<Utc>) -> Result<(), Failed> {
    for job in jobs {
        enqueue_direct(conn, job, now).doing("enqueueing job")?;
    }
    Ok(())
}

/// A confirmed booking of the tenant, or why it cannot be changed.
fn confirmed(conn: &Connection, tenant: &TenantId, id: BookingId) -> Result<Booking, Failed> {
    match booking_where(conn, tenant, Find::Id(id))? {
        None => Err(Failed::Booking(BookingError::NotFound(id))),
        Some(booking) if booking.status != BookingStatus::Confirmed => {
            Err(Failed::Booking(BookingError::NotConfirmed(booking.status)))
        }
        Some(booking) => Ok(booking),
    }
}

impl SqliteStore {
    /// `work` in one `BEGIN IMMEDIATE` transaction on the direct connection,
    /// committed when it returns `Ok` (rolled back otherwise).
    async fn write<T>(&self, mut work: impl FnMut(&Connection) -> Result<T, Failed>) -> Result<T, BookingError> {
        self.direct
            .run(|conn| {
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).doing("beginning")?;
                let value = work(&tx)?;
                tx.commit().doing("committing")?;
                Ok::<T, Failed>(value)
            })
            .await
            .map_err(BookingError::from)
    }

    async fn read<T>(&self, mut work: impl FnMut(&Connection) -> Result<T, Failed>) -> Result<T, BookingError> {
        self.direct.run(|conn| work(conn)).await.map_err(BookingError::from)
    }

    async fn try_commit(
        &self,
        tenant: &TenantId,
        booking: &NewBooking,
        jobs: &[NewJob],
        now: DateTime<Utc>,
    ) -> Result<Booking, BookingError> {
        self.write(|tx| {
            if let Some(key) = &booking.idempotency_key
                && let Some(existing) = booking_where(tx, tenant, Find::IdempotencyKey(key))?
            {
                return Ok(existing);
            }
            drop_expired_holds(tx, tenant, now)?;
            match booking.hold {
                Some(hold) => {
                    let converted = tx
                        .prepare_cached(
                            "UPDATE calendar_blocks SET kind = 'booking', booking_id = ?3, expires_at = NULL
                             WHERE block_id = ?1 AND tenant_id = ?2 AND kind = 'hold' AND start_at = ?4 AND staff = ?5",
                        )
                        .and_then(|mut statement| {
                            statement.execute(params![
                                hold.to_string(),
                                tenant.as_str(),
                                booking.id.to_string(),
                                ms(booking.start),
                                staff_column(&booking.staff),
                            ])
                        })
                        .doing("committing hold")?;
                    if converted == 0 {
                        return Err(Failed::Booking(BookingError::HoldExpired));
                    }
                }
                None => insert_block(tx, tenant, booking)?,
            }
            insert_booking(tx, tenant, booking, None, now)?;
            enqueue_all(tx, jobs, now)?;
            Ok(booking.confirmed(tenant, now, None))
        })
        .await
    }
}

#[async_trait]
impl BookingStore for SqliteStore {
    async fn blocks(
        &self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Block>, BookingError> {
        self.read(|conn| {
            let mut statement = conn
                .prepare_cached(
                    "SELECT staff, start_at, until_at FROM calendar_blocks
                     WHERE tenant_id = ?1 AND start_at < ?3 AND until_at > ?2
                         AND (kind = 'booking' OR expires_at > ?4)",
                )
                .doing("reading blocks")?;
            let rows = statement
                .query_map(params![tenant.as_str(), ms(from), ms(to), ms(now)], |row| {
                    let staff: String = row.get(0)?;
                    Ok(Block {
                        staff: Some(staff).filter(|s| !s.is_empty()),
                        start: from_ms(row.get(1)?),
                        until: from_ms(row.get(2)?),
                    })
                })
                .doing("reading blocks")?;
            rows.collect::<rusqlite::Result<Vec<Block>>>().doing("reading blocks")
        })
        .await
    }

    async fn place_hold(&self, tenant: &TenantId, hold: &NewHold, now: DateTime<Utc>) -> Result<Hold, BookingError> {
        self.write(|tx| {
            drop_expired_holds(tx, tenant, now)?;
            tx.prepare_cached(
                "INSERT INTO calendar_blocks (block_id, tenant_id, staff, start_at, until_at, kind, service, end_at,
                     expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'hold', ?6, ?7, ?8)",
            )
            .and_then(|mut statement| {
                statement.execute(params![
                    hold.id.to_string(),
                    tenant.as_str(),
                    staff_column(&hold.staff),
                    ms(hold.start),
                    ms(hold.occupied_until),
                    hold.service,
                    ms(hold.end),
                    ms(hold.expires_at),
                ])
            })
            .doing("placing hold")?;
            Ok(hold.placed(tenant))
        })
        .await
    }

    async fn release_hold(&self, tenant: &TenantId, hold: HoldId) -> Result<(), BookingError> {
        self.read(|conn| {
            conn.prepare_cached("DELETE FROM calendar_blocks WHERE block_id = ?1 AND tenant_id = ?2 AND kind = 'hold'")
                .and_then(|mut statement| statement.execute(params![hold.to_string(), tenant.as_str()]))
                .doing("releasing hold")?;
            Ok(())
        })
        .await
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
                // Another process (sharing the file) may have written it first.
                Some(key) => match self.read(|conn| booking_where(conn, tenant, Find::IdempotencyKey(key))).await? {
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
        self.write(|tx| {
            let booking = confirmed(tx, tenant, id)?;
            tx.prepare_cached(
                "UPDATE bookings SET status = 'cancelled', updated_at = ?3 WHERE booking_id = ?1 AND tenant_id = ?2",
            )
            .and_then(|mut statement| statement.execute(params![id.to_string(), tenant.as_str(), ms(now)]))
            .doing("cancelling booking")?;
            free_booked_time(tx, tenant, id)?;
            enqueue_all(tx, &jobs, now)?;
            Ok(Booking { status: BookingStatus::Cancelled, updated_at: now, ..booking })
        })
        .await
    }

    async fn reschedule_booking(
        &self,
        tenant: &TenantId,
        id: BookingId,
        replacement: &NewBooking,
        jobs: Vec<NewJob>,
        now: DateTime<Utc>,
    ) -> Result<Booking, BookingError> {
        self.write(|tx| {
            confirmed(tx, tenant, id)?;
            free_booked_time(tx, tenant, id)?;
            drop_expired_holds(tx, tenant, now)?;
            insert_block(tx, tenant, replacement)?;
            tx.prepare_cached(
                "UPDATE bookings SET status = 'cancelled', rescheduled_to = ?3, updated_at = ?4
                 WHERE booking_id = ?1 AND tenant_id = ?2",
            )
            .and_then(|mut statement| {
                statement.execute(params![id.to_string(), tenant.as_str(), replacement.id.to_string(), ms(now)])
            })
            .doing("retiring the old booking")?;
            insert_booking(tx, tenant, replacement, Some(id), now)?;
            enqueue_all(tx, &jobs, now)?;
            Ok(replacement.confirmed(tenant, now, Some(id)))
        })
        .await
    }

    async fn mark_attendance(
        &self,
        tenant: &TenantId,
        id: BookingId,
        attendance: Attendance,
        now: DateTime<Utc>,
    ) -> Result<Booking, BookingError> {
        self.write(|tx| {
            // The status test is in the statement, so a concurrent cancel either
            // comes first (and this changes nothing) or after.
            let marked = tx
                .prepare_cached(
                    "UPDATE bookings SET status = ?3, attendance_marked_at = ?4, updated_at = ?4
                     WHERE booking_id = ?1 AND tenant_id = ?2 AND status <> 'cancelled'",
                )
                .and_then(|mut statement| {
                    statement.execute(params![id.to_string(), tenant.as_str(), attendance.as_str(), ms(now)])
                })
                .doing("marking attendance")?;
            match booking_where(tx, tenant, Find::Id(id))? {
                None => Err(Failed::Booking(BookingError::NotFound(id))),
                Some(_) if marked == 0 => Err(Failed::Booking(BookingError::Cancelled(id))),
                Some(booking) => Ok(booking),
            }
        })
        .await
    }

    async fn record_confirmation(
        &self,
        tenant: &TenantId,
        id: BookingId,
        now: DateTime<Utc>,
    ) -> Result<Booking, BookingError> {
        self.write(|tx| {
            tx.prepare_cached(
                "UPDATE bookings SET confirmed_at = ?3, updated_at = ?3
                 WHERE booking_id = ?1 AND tenant_id = ?2 AND status = 'confirmed' AND confirmed_at IS NULL",
            )
            .and_then(|mut statement| statement.execute(params![id.to_string(), tenant.as_str(), ms(now)]))
            .doing("recording the customer's confirmation")?;
            confirmed(tx, tenant, id)
        })
        .await
    }

    async fn booking(&self, tenant: &TenantId, id: BookingId) -> Result<Option<Booking>, BookingError> {
        self.read(|conn| booking_where(conn, tenant, Find::Id(id))).await
    }

    async fn booking_by_code(
        &self,
        tenant: &TenantId,
        code: &ConfirmationCode,
    ) -> Result<Option<Booking>, BookingError> {
        self.read(|conn| booking_where(conn, tenant, Find::Code(code))).await
    }

    async fn upcoming_for_phone(
        &self,
        tenant: &TenantId,
        phone: &E164,
        from: DateTime<Utc>,
    ) -> Result<Vec<Booking>, BookingError> {
        let sql = format!(
            "SELECT {BOOKING_COLUMNS} FROM bookings
             WHERE tenant_id = ?1 AND customer_phone = ?2 AND status = 'confirmed' AND start_at >= ?3
             ORDER BY start_at"
        );
        self.read(|conn| {
            bookings(conn, &sql, params![tenant.as_str(), phone.as_str(), ms(from)], "reading bookings by phone")
        })
        .await
    }

    async fn list_bookings(
        &self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        status: Option<BookingStatus>,
    ) -> Result<Vec<Booking>, BookingError> {
        let sql = format!(
            "SELECT {BOOKING_COLUMNS} FROM bookings
             WHERE tenant_id = ?1 AND start_at >= ?2 AND start_at < ?3 AND (?4 IS NULL OR status = ?4)
             ORDER BY start_at, booking_id"
        );
        let status = status.map(BookingStatus::as_str);
        self.read(|conn| bookings(conn, &sql, params![tenant.as_str(), ms(from), ms(to), status], "listing bookings"))
            .await
    }

    async fn booking_briefs(
        &self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<BookingBrief>, BookingError> {
        self.read(|conn| {
            let context = "listing booking briefs";
            let mut statement = conn
                .prepare_cached(
                    "SELECT booking_id, service, start_at, end_at, status, source, rescheduled_from, rescheduled_to,
                         created_at, updated_at
                     FROM bookings WHERE tenant_id = ?1 AND start_at >= ?2 AND start_at < ?3
                     ORDER BY start_at, booking_id",
                )
                .doing(context)?;
            let rows = statement
                .query_map(params![tenant.as_str(), ms(from), ms(to)], |row| {
                    Ok(StoredBookingBrief {
                        booking_id: row.get(0)?,
                        service: row.get(1)?,
                        start_at: from_ms(row.get(2)?),
                        end_at: from_ms(row.get(3)?),
                        status: row.get(4)?,
                        source: row.get(5)?,
                        rescheduled_from: row.get(6)?,
                        rescheduled_to: row.get(7)?,
                        created_at: from_ms(row.get(8)?),
                        updated_at: from_ms(row.get(9)?),
                    })
                })
                .doing(context)?;
            let stored = rows.collect::<rusqlite::Result<Vec<StoredBookingBrief>>>().doing(context)?;
            stored.into_iter().map(|row| BookingBrief::try_from(row).map_err(Failed::Booking)).collect()
        })
        .await
    }
}

/// Every booking `sql` selects (its columns are [`BOOKING_COLUMNS`]).
fn bookings(
    conn: &Connection,
    sql: &str,
    params: &[&dyn rusqlite::ToSql],
    context: &'static str,
) -> Result<Vec<Booking>, Failed> {
    let mut statement = conn.prepare_cached(sql).doing(context)?;
    let rows = statement.query_map(params, booking_row).doing(context)?;
    let stored = rows.collect::<rusqlite::Result<Vec<StoredBooking>>>().doing(context)?;
    stored.into_iter().map(|row| Booking::try_from(row).map_err(Failed::Booking)).collect()
}
