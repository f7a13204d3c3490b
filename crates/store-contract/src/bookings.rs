//! The `BookingStore` contract.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, TimeZone, Utc};
use frontdesk_calendar::{
    Attendance, BookingBrief, BookingError, BookingId, BookingSource, BookingStatus, ConfirmationCode, Customer,
    HoldId, NewBooking, NewHold,
};
use frontdesk_core::Clock;
use frontdesk_jobs::{JobKind, JobState, NewJob};
use serde_json::json;

use crate::{Stores, phone, tenant, with_tenants};

/// 2026-11-27 (a Friday) at `hour:minute` UTC.
fn at(hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, hour, minute, 0).single().unwrap_or_default()
}

fn new_booking(staff: Option<&str>, start: DateTime<Utc>, minutes: i64) -> NewBooking {
    NewBooking {
        id: BookingId::new(),
        code: ConfirmationCode::generate(),
        service: "Haircut".to_owned(),
        staff: staff.map(str::to_owned),
        start,
        end: start + Duration::minutes(minutes),
        occupied_until: start + Duration::minutes(minutes + 5),
        customer: Customer { name: "Jane Doe".to_owned(), phone: phone("+15555551234") },
        source: BookingSource::Phone,
        idempotency_key: None,
        hold: None,
    }
}

fn new_hold(staff: Option<&str>, start: DateTime<Utc>, expires_at: DateTime<Utc>) -> NewHold {
    NewHold {
        id: HoldId::new(),
        service: "Haircut".to_owned(),
        staff: staff.map(str::to_owned),
        start,
        end: start + Duration::minutes(30),
        occupied_until: start + Duration::minutes(35),
        expires_at,
    }
}

fn sms_job(key: &str) -> NewJob {
    NewJob::new(JobKind::parse("sms.send").unwrap_or_else(|e| panic!("{e}")), json!({})).unique_key(key)
}

async fn job_count(stores: &Stores) -> u64 {
    stores.job_admin.job_counts().await.map(|c| JobState::ALL.iter().map(|s| c.get(*s)).sum()).unwrap_or(0)
}

pub async fn a_booking_reads_back_every_way(stores: Stores) {
    with_tenants(&stores, &["shop-a"]).await;
    let shop = tenant("shop-a");
    let now = stores.clock.now();
    let wanted = new_booking(Some("Marco"), at(14, 0), 30);
    let booked =
        stores.bookings.commit_booking(&shop, &wanted, Vec::new(), now).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (booked.id, booked.status, booked.staff.as_deref()),
        (wanted.id, BookingStatus::Confirmed, Some("Marco"))
    );
    assert_eq!((booked.start, booked.end, booked.created_at), (at(14, 0), at(14, 30), now));

    let by_id = stores.bookings.booking(&shop, wanted.id).await.ok().flatten();
    assert_eq!(by_id.as_ref(), Some(&booked));
    let by_code = stores.bookings.booking_by_code(&shop, &wanted.code).await.ok().flatten();
    assert_eq!(by_code.map(|b| b.id), Some(wanted.id));
    let upcoming =
        stores.bookings.upcoming_for_phone(&shop, &phone("+15555551234"), at(0, 0)).await.unwrap_or_default();
    assert_eq!(upcoming.iter().map(|b| b.id).collect::<Vec<_>>(), [wanted.id]);
    assert!(
        stores
            .bookings
            .upcoming_for_phone(&shop, &phone("+15555551234"), at(15, 0))
            .await
            .unwrap_or_default()
            .is_empty()
    );
    let listed = stores.bookings.list_bookings(&shop, at(0, 0), at(23, 0), Some(BookingStatus::Confirmed)).await;
    assert_eq!(listed.map(|l| l.len()).ok(), Some(1));

    let blocks = stores.bookings.blocks(&shop, at(0, 0), at(23, 0), now).await.unwrap_or_default();
    assert_eq!(blocks.len(), 1);
    assert_eq!((blocks[0].staff.as_deref(), blocks[0].start, blocks[0].until), (Some("Marco"), at(14, 0), at(14, 35)));
}

pub async fn overlapping_times_of_one_staff_member_conflict(stores: Stores) {
    with_tenants(&stores, &["shop-a"]).await;
    let shop = tenant("shop-a");
    let now = stores.clock.now();
    let commit = async |b: NewBooking| stores.bookings.commit_booking(&shop, &b, Vec::new(), now).await;
    assert!(commit(new_booking(Some("Marco"), at(14, 0), 30)).await.is_ok());
    let overlapping = commit(new_booking(Some("Marco"), at(14, 30), 30)).await;
    assert!(matches!(overlapping, Err(BookingError::Conflict { .. })), "the buffer runs to 14:35: {overlapping:?}");
    assert!(commit(new_booking(Some("Marco"), at(14, 35), 30)).await.is_ok(), "touching is fine");
    assert!(commit(new_booking(Some("Dee"), at(14, 0), 30)).await.is_ok(), "another barber is free");
    assert!(commit(new_booking(None, at(14, 0), 30)).await.is_ok(), "the shop-wide resource is separate");
    assert!(matches!(commit(new_booking(None, at(14, 10), 10)).await, Err(BookingError::Conflict { .. })));
}

pub async fn concurrent_commits_for_one_slot_let_exactly_one_win(stores: Stores) {
    with_tenants(&stores, &["shop-a"]).await;
    let now = stores.clock.now();
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let bookings = stores.bookings.clone();
        tasks.push(tokio::spawn(async move {
            bookings
                .commit_booking(&tenant("shop-a"), &new_booking(Some("Marco"), at(10, 0), 30), Vec::new(), now)
                .await
        }));
    }
    let mut winners = 0;
    for task in tasks {
        match task.await.unwrap_or_else(|e| panic!("{e}")) {
            Ok(_) => winners += 1,
            Err(BookingError::Conflict { .. }) => {}
            Err(other) => panic!("unexpected: {other}"),
        }
    }
    assert_eq!(winners, 1);
    let listed = stores.bookings.list_bookings(&tenant("shop-a"), at(0, 0), at(23, 0), None).await.unwrap_or_default();
    assert_eq!(listed.len(), 1, "losers left nothing behind");
}

pub async fn an_idempotency_key_returns_the_first_booking(stores: Stores) {
    with_tenants(&stores, &["shop-a"]).await;
    let shop = tenant("shop-a");
    let now = stores.clock.now();
    let keyed = |start| NewBooking {
        idempotency_key: Some("call-CA123-turn-7".to_owned()),
        ..new_booking(Some("Marco"), start, 30)
    };
    let first = stores.bookings.commit_booking(&shop, &keyed(at(9, 0)), vec![sms_job("sms:1")], now).await;
    let first = first.unwrap_or_else(|e| panic!("{e}"));
    // A retry (new ids, even another time) returns the first booking and enqueues nothing.
    let retry = stores.bookings.commit_booking(&shop, &keyed(at(11, 0)), vec![sms_job("sms:2")], now).await;
    assert_eq!(retry.map(|b| b.id).ok(), Some(first.id));
    assert_eq!(job_count(&stores).await, 1);

    let mut racers = Vec::new();
    for _ in 0..8 {
        let bookings = stores.bookings.clone();
        let booking =
            NewBooking { idempotency_key: Some("call-CA999".to_owned()), ..new_booking(Some("Dee"), at(12, 0), 30) };
        racers.push(tokio::spawn(async move {
            bookings.commit_booking(&tenant("shop-a"), &booking, Vec::new(), now).await
        }));
    }
    let mut ids = BTreeSet::new();
    for racer in racers {
        ids.insert(racer.await.unwrap_or_else(|e| panic!("{e}")).map(|b| b.id).unwrap_or_else(|e| panic!("{e}")));
    }
    assert_eq!(ids.len(), 1, "concurrent retries all get the same booking");
}

pub async fn holds_block_others_until_they_expire(stores: Stores) {
    with_tenants(&stores, &["shop-a"]).await;
    let shop = tenant("shop-a");
    let now = stores.clock.now();
    let expires = now + Duration::minutes(5);
    let hold = stores.bookings.place_hold(&shop, &new_hold(Some("Marco"), at(15, 0), expires), now).await;
    let hold = hold.unwrap_or_else(|e| panic!("{e}"));
    let rival = stores.bookings.place_hold(&shop, &new_hold(Some("Marco"), at(15, 15), expires), now).await;
    assert!(matches!(rival, Err(BookingError::Conflict { .. })));
    let direct =
        stores.bookings.commit_booking(&shop, &new_booking(Some("Marco"), at(15, 0), 30), Vec::new(), now).await;
    assert!(matches!(direct, Err(BookingError::Conflict { .. })));
    assert_eq!(stores.bookings.blocks(&shop, at(0, 0), at(23, 0), now).await.map(|b| b.len()).ok(), Some(1));

    // After expiry the hold neither shows nor blocks, and cannot be committed.
    let later = expires + Duration::seconds(1);
    assert_eq!(stores.bookings.blocks(&shop, at(0, 0), at(23, 0), later).await.map(|b| b.len()).ok(), Some(0));
    let stale = NewBooking { hold: Some(hold.id), ..new_booking(Some("Marco"), at(15, 0), 30) };
    assert!(matches!(
        stores.bookings.commit_booking(&shop, &stale, Vec::new(), later).await,
        Err(BookingError::HoldExpired)
    ));
    let taken = stores
        .bookings
        .place_hold(&shop, &new_hold(Some("Marco"), at(15, 15), later + Duration::minutes(5)), later)
        .await;
    assert!(taken.is_ok(), "{taken:?}");
}

pub async fn a_hold_is_committed_into_a_booking(stores: Stores) {
    with_tenants(&stores, &["shop-a"]).await;
    let shop = tenant("shop-a");
    let now = stores.clock.now();
    let hold =
        stores.bookings.place_hold(&shop, &new_hold(Some("Marco"), at(16, 0), now + Duration::minutes(5)), now).await;
    let hold = hold.unwrap_or_else(|e| panic!("{e}"));
    let booking = NewBooking { hold: Some(hold.id), ..new_booking(Some("Marco"), at(16, 0), 30) };
    let jobs = vec![sms_job("sms:hold"), sms_job("sms:hold-owner"), sms_job("sms:hold")];
    let booked = stores.bookings.commit_booking(&shop, &booking, jobs, now).await;
    assert!(booked.is_ok(), "{booked:?}");
    assert_eq!(job_count(&stores).await, 2, "its jobs committed with it, a repeated unique key once");
    let blocks = stores.bookings.blocks(&shop, at(0, 0), at(23, 0), now + Duration::hours(1)).await.unwrap_or_default();
    assert_eq!(blocks.len(), 1, "the hold became the booking's block, which does not expire");
    assert!(matches!(
        stores.bookings.commit_booking(&shop, &booking, vec![sms_job("sms:again")], now).await,
        Err(BookingError::HoldExpired)
    ));
    assert_eq!(job_count(&stores).await, 2, "a refused commit enqueues nothing");
    let expiring =
        stores.bookings.place_hold(&shop, &new_hold(Some("Marco"), at(17, 0), now + Duration::minutes(5)), now).await;
    let expiring = expiring.unwrap_or_else(|e| panic!("{e}"));
    let late = NewBooking { hold: Some(expiring.id), ..new_booking(Some("Marco"), at(17, 0), 30) };
    assert!(matches!(
        stores.bookings.commit_booking(&shop, &late, vec![sms_job("sms:late")], now + Duration::minutes(6)).await,
        Err(BookingError::HoldExpired)
    ));
    assert_eq!(job_count(&stores).await, 2, "an expired hold books nothing and enqueues nothing");
    assert!(stores.bookings.release_hold(&shop, expiring.id).await.is_ok());

    let other =
        stores.bookings.place_hold(&shop, &new_hold(Some("Dee"), at(16, 0), now + Duration::minutes(5)), now).await;
    let other = other.unwrap_or_else(|e| panic!("{e}"));
    assert!(stores.bookings.release_hold(&shop, other.id).await.is_ok());
    assert_eq!(stores.bookings.blocks(&shop, at(0, 0), at(23, 0), now).await.map(|b| b.len()).ok(), Some(1));
}

pub async fn cancelling_frees_the_time_and_enqueues_its_jobs_atomically(stores: Stores) {
    with_tenants(&stores, &["shop-a"]).await;
    let shop = tenant("shop-a");
    let now = stores.clock.now();
    let original = new_booking(Some("Marco"), at(11, 0), 30);
    assert!(stores.bookings.commit_booking(&shop, &original, vec![sms_job("sms:confirm")], now).await.is_ok());
    assert_eq!(job_count(&stores).await, 1, "the confirmation job committed with the booking");
    let refused = stores
        .bookings
        .commit_booking(&shop, &new_booking(Some("Marco"), at(11, 0), 30), vec![sms_job("sms:x")], now)
        .await;
    assert!(matches!(refused, Err(BookingError::Conflict { .. })));
    assert_eq!(job_count(&stores).await, 1, "a refused booking enqueues nothing");

    let cancelled = stores.bookings.cancel_booking(&shop, original.id, vec![sms_job("sms:cancel")], now).await;
    assert!(matches!(&cancelled, Ok(b) if b.status == BookingStatus::Cancelled), "{cancelled:?}");
    assert_eq!(job_count(&stores).await, 2);
    assert!(
        stores
            .bookings
            .commit_booking(&shop, &new_booking(Some("Marco"), at(11, 0), 30), Vec::new(), now)
            .await
            .is_ok()
    );
    let again = stores.bookings.cancel_booking(&shop, original.id, Vec::new(), now).await;
    assert!(matches!(again, Err(BookingError::NotConfirmed(BookingStatus::Cancelled))));
    assert!(matches!(
        stores.bookings.cancel_booking(&shop, BookingId::new(), Vec::new(), now).await,
        Err(BookingError::NotFound(_))
    ));
}

pub async fn rescheduling_moves_atomically_or_not_at_all(stores: Stores) {
    with_tenants(&stores, &["shop-a"]).await;
    let shop = tenant("shop-a");
    let now = stores.clock.now();
    let original = new_booking(Some("Marco"), at(10, 0), 30);
    assert!(stores.bookings.commit_booking(&shop, &original, Vec::new(), now).await.is_ok());
    assert!(
        stores
            .bookings
            .commit_booking(&shop, &new_booking(Some("Marco"), at(13, 0), 30), Vec::new(), now)
            .await
            .is_ok()
    );

    // Into a taken time: nothing changes.
    let clash = NewBooking { code: original.code.clone(), ..new_booking(Some("Marco"), at(13, 15), 30) };
    assert!(matches!(
        stores.bookings.reschedule_booking(&shop, original.id, &clash, Vec::new(), now).await,
        Err(BookingError::Conflict { .. })
    ));
    let unchanged = stores.bookings.booking(&shop, original.id).await.ok().flatten().map(|b| b.status);
    assert_eq!(unchanged, Some(BookingStatus::Confirmed));
    assert_eq!(stores.bookings.blocks(&shop, at(0, 0), at(23, 0), now).await.map(|b| b.len()).ok(), Some(2));

    // Fifteen minutes later overlaps only its own old time: allowed.
    let moved = NewBooking { code: original.code.clone(), ..new_booking(Some("Marco"), at(10, 15), 30) };
    let new = stores.bookings.reschedule_booking(&shop, original.id, &moved, vec![sms_job("sms:moved")], now).await;
    let new = new.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (new.start, new.rescheduled_from, new.code.clone()),
        (at(10, 15), Some(original.id), original.code.clone())
    );
    let old = stores.bookings.booking(&shop, original.id).await.ok().flatten().unwrap_or_else(|| panic!("old"));
    assert_eq!((old.status, old.rescheduled_to), (BookingStatus::Cancelled, Some(moved.id)));
    let by_code = stores.bookings.booking_by_code(&shop, &original.code).await.ok().flatten().map(|b| b.id);
    assert_eq!(by_code, Some(moved.id), "the code now finds the new booking");
    let blocks = stores.bookings.blocks(&shop, at(0, 0), at(23, 0), now).await.unwrap_or_default();
    assert_eq!(blocks.iter().map(|b| b.start).collect::<BTreeSet<_>>(), BTreeSet::from([at(10, 15), at(13, 0)]));
    assert_eq!(job_count(&stores).await, 1);
}

pub async fn booking_briefs_are_the_bookings_in_brief(stores: Stores) {
    with_tenants(&stores, &["shop-a", "shop-b"]).await;
    let (shop, other) = (tenant("shop-a"), tenant("shop-b"));
    let now = stores.clock.now();
    let commit = async |shop, booking: &NewBooking| {
        stores.bookings.commit_booking(shop, booking, Vec::new(), now).await.unwrap_or_else(|e| panic!("{e}"))
    };
    let kept =
        commit(&shop, &NewBooking { source: BookingSource::Admin, ..new_booking(Some("Marco"), at(9, 0), 30) }).await;
    let moved = commit(&shop, &new_booking(Some("Marco"), at(10, 0), 30)).await;
    let cancelled = commit(&shop, &new_booking(None, at(11, 0), 30)).await;
    let late = commit(&shop, &new_booking(None, at(23, 0), 30)).await;
    commit(&other, &new_booking(Some("Marco"), at(12, 0), 30)).await;
    let to = NewBooking { code: moved.code.clone(), ..new_booking(Some("Marco"), at(13, 0), 30) };
    let rescheduled = stores.bookings.reschedule_booking(&shop, moved.id, &to, Vec::new(), now).await;
    assert!(rescheduled.is_ok(), "{rescheduled:?}");
    assert!(stores.bookings.cancel_booking(&shop, cancelled.id, Vec::new(), now).await.is_ok());

    let whole = stores.bookings.list_bookings(&shop, at(0, 0), at(23, 0), None).await.unwrap_or_default();
    let briefs = stores.bookings.booking_briefs(&shop, at(0, 0), at(23, 0)).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(briefs, whole.iter().map(BookingBrief::from).collect::<Vec<_>>(), "the same bookings, in brief");
    assert_eq!(
        briefs.iter().map(|b| (b.id, b.status, b.source)).collect::<Vec<_>>(),
        [
            (kept.id, BookingStatus::Confirmed, BookingSource::Admin),
            (moved.id, BookingStatus::Cancelled, BookingSource::Phone),
            (cancelled.id, BookingStatus::Cancelled, BookingSource::Phone),
            (to.id, BookingStatus::Confirmed, BookingSource::Phone),
        ],
        "every status, by start; the other shop's and those starting at `to` or later left out"
    );
    assert_eq!((briefs[1].rescheduled_to, briefs[3].rescheduled_from), (Some(to.id), Some(moved.id)));
    assert_eq!((briefs[0].service.as_str(), briefs[0].start, briefs[0].end), ("Haircut", at(9, 0), at(9, 30)));
    let late_only = stores.bookings.booking_briefs(&shop, at(23, 0), at(23, 30)).await.unwrap_or_default();
    assert_eq!(late_only.iter().map(|b| b.id).collect::<Vec<_>>(), [late.id], "`from` is included");
}

pub async fn tenants_never_see_or_block_each_other(stores: Stores) {
    with_tenants(&stores, &["shop-a", "shop-b"]).await;
    let (a, b) = (tenant("shop-a"), tenant("shop-b"));
    let now = stores.clock.now();
    let theirs = new_booking(Some("Marco"), at(10, 0), 30);
    assert!(stores.bookings.commit_booking(&a, &theirs, Vec::new(), now).await.is_ok());
    let ours = stores.bookings.commit_booking(&b, &new_booking(Some("Marco"), at(10, 0), 30), Vec::new(), now).await;
    assert!(ours.is_ok(), "a namesake barber at another shop is another person");

    assert!(matches!(stores.bookings.booking(&b, theirs.id).await, Ok(None)));
    assert!(matches!(stores.bookings.booking_by_code(&b, &theirs.code).await, Ok(None)));
    let b_phone = stores.bookings.upcoming_for_phone(&b, &phone("+15555551234"), at(0, 0)).await.unwrap_or_default();
    assert!(b_phone.iter().all(|booking| booking.tenant == b));
    assert_eq!(stores.bookings.blocks(&b, at(0, 0), at(23, 0), now).await.map(|l| l.len()).ok(), Some(1));
    let cancel = stores.bookings.cancel_booking(&b, theirs.id, Vec::new(), now).await;
    assert!(matches!(cancel, Err(BookingError::NotFound(_))), "B cannot cancel A's booking");
    let moved = new_booking(Some("Marco"), at(16, 0), 30);
    assert!(matches!(
        stores.bookings.reschedule_booking(&b, theirs.id, &moved, Vec::new(), now).await,
        Err(BookingError::NotFound(_))
    ));
    let marked = stores.bookings.mark_attendance(&b, theirs.id, Attendance::NoShow, now).await;
    assert!(matches!(marked, Err(BookingError::NotFound(_))), "B cannot mark A's booking: {marked:?}");
    let confirmed = stores.bookings.record_confirmation(&b, theirs.id, now).await;
    assert!(matches!(confirmed, Err(BookingError::NotFound(_))), "B cannot confirm A's booking: {confirmed:?}");
    let untouched = stores.bookings.booking(&a, theirs.id).await.ok().flatten();
    assert_eq!(
        untouched.map(|x| (x.status, x.confirmed_at, x.attendance_marked_at)),
        Some((BookingStatus::Confirmed, None, None))
    );
}

/// Whatever free text the domain accepts (see `frontdesk_core::TextRule`),
/// every store keeps byte for byte: accents, quotes, emoji, line breaks in
/// paragraphs. (The domain refuses control characters, which PostgreSQL
/// could not store, so the two stores never disagree.)
pub async fn free_text_the_domain_accepts_reads_back_alike(stores: Stores) {
    let mut document = crate::profile("text-shop", &[]).to_document();
    document.name = Some("Zoë's \"Salon\" ✂️ 美容院".to_owned());
    document.greeting = Some("Hello!\n\tWelcome to Zoë's — how can I help?".to_owned());
    document.faqs = vec![frontdesk_tenant::FaqDocument {
        question: Some("Do you take 'walk-ins'?".to_owned()),
        answer: Some("Yes 😀\nWeekdays only.".to_owned()),
    }];
    let shop = frontdesk_tenant::TenantProfile::parse(&document).unwrap_or_else(|e| panic!("{e}"));
    assert!(stores.tenants.put_tenant(&shop).await.is_ok());
    let tenant = tenant("text-shop");
    let stored = stores.tenants.get_tenant(&tenant).await.ok().flatten().map(|record| record.profile);
    assert_eq!(stored.as_ref(), Some(&shop));

    let name = frontdesk_core::TextRule::PERSON.check("  Zoë O'Brien-Núñez ✂️ ").unwrap_or_else(|e| panic!("{e}"));
    let mut booking = new_booking(None, stores.clock.now() + Duration::days(2), 30);
    booking.service = "Consultation".to_owned();
    booking.customer.name = name.clone();
    assert!(stores.bookings.commit_booking(&tenant, &booking, Vec::new(), stores.clock.now()).await.is_ok());
    let read = stores.bookings.booking(&tenant, booking.id).await.ok().flatten().map(|b| b.customer.name);
    assert_eq!(read.as_deref(), Some("Zoë O'Brien-Núñez ✂️"));
    assert_eq!(read, Some(name));
}

pub async fn attendance_is_marked_corrected_and_read_back(stores: Stores) {
    with_tenants(&stores, &["shop-a"]).await;
    let shop = tenant("shop-a");
    let now = stores.clock.now();
    let wanted = new_booking(Some("Marco"), at(10, 0), 30);
    let booked = stores.bookings.commit_booking(&shop, &wanted, Vec::new(), now).await;
    let booked = booked.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((booked.confirmed_at, booked.attendance_marked_at, booked.attendance()), (None, None, None));
    let read = async |id| stores.bookings.booking(&shop, id).await.ok().flatten();
    assert_eq!(read(wanted.id).await.as_ref(), Some(&booked), "a new booking reads back unmarked");

    let first_mark = now + Duration::hours(1);
    let marked = stores.bookings.mark_attendance(&shop, wanted.id, Attendance::Completed, first_mark).await;
    let marked = marked.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (marked.status, marked.attendance_marked_at, marked.updated_at, marked.created_at),
        (BookingStatus::Completed, Some(first_mark), first_mark, now)
    );
    assert_eq!(
        (marked.start, marked.end, &marked.code, &marked.staff),
        (booked.start, booked.end, &booked.code, &booked.staff)
    );
    assert_eq!(read(wanted.id).await.as_ref(), Some(&marked));

    // The owner corrects a mistake, and back again: the latest mark counts.
    let second_mark = first_mark + Duration::minutes(10);
    let corrected = stores.bookings.mark_attendance(&shop, wanted.id, Attendance::NoShow, second_mark).await;
    let corrected = corrected.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((corrected.status, corrected.attendance_marked_at), (BookingStatus::NoShow, Some(second_mark)));
    assert_eq!(read(wanted.id).await.as_ref(), Some(&corrected));
    let listed = stores.bookings.list_bookings(&shop, at(0, 0), at(23, 0), Some(BookingStatus::NoShow)).await;
    assert_eq!(listed.unwrap_or_default(), std::slice::from_ref(&corrected));
    let third_mark = second_mark + Duration::minutes(1);
    let again = stores.bookings.mark_attendance(&shop, wanted.id, Attendance::Completed, third_mark).await;
    assert_eq!(
        again.map(|b| (b.status, b.attendance_marked_at)).ok(),
        Some((BookingStatus::Completed, Some(third_mark)))
    );

    // Attended time stays taken, and the booking is no longer the caller's upcoming one.
    assert_eq!(stores.bookings.blocks(&shop, at(0, 0), at(23, 0), now).await.map(|b| b.len()).ok(), Some(1));
    let upcoming = stores.bookings.upcoming_for_phone(&shop, &phone("+15555551234"), at(0, 0)).await;
    assert!(upcoming.unwrap_or_default().is_empty());

    let unknown = BookingId::new();
    let missing = stores.bookings.mark_attendance(&shop, unknown, Attendance::Completed, now).await;
    assert!(matches!(missing, Err(BookingError::NotFound(id)) if id == unknown), "{missing:?}");
}

pub async fn a_cancelled_booking_is_never_marked_even_when_cancelled_concurrently(stores: Stores) {
    with_tenants(&stores, &["shop-a"]).await;
    let shop = tenant("shop-a");
    let now = stores.clock.now();
    let cancelled = new_booking(Some("Marco"), at(9, 0), 30);
    assert!(stores.bookings.commit_booking(&shop, &cancelled, Vec::new(), now).await.is_ok());
    assert!(stores.bookings.cancel_booking(&shop, cancelled.id, Vec::new(), now).await.is_ok());
    let refused = stores.bookings.mark_attendance(&shop, cancelled.id, Attendance::NoShow, now).await;
    assert!(matches!(refused, Err(BookingError::Cancelled(id)) if id == cancelled.id), "{refused:?}");
    let unchanged = stores.bookings.booking(&shop, cancelled.id).await.ok().flatten();
    assert_eq!(
        unchanged.map(|b| (b.status, b.attendance_marked_at, b.updated_at)),
        Some((BookingStatus::Cancelled, None, now))
    );

    // A cancel racing a mark: whichever wins, the other is refused and the booking is one or the other.
    for round in 0..5 {
        let racing = new_booking(Some("Dee"), at(10 + round, 0), 30);
        assert!(stores.bookings.commit_booking(&shop, &racing, Vec::new(), now).await.is_ok());
        let (bookings, id) = (stores.bookings.clone(), racing.id);
        let cancel = tokio::spawn(async move { bookings.cancel_booking(&tenant("shop-a"), id, Vec::new(), now).await });
        let bookings = stores.bookings.clone();
        let mark =
            tokio::spawn(
                async move { bookings.mark_attendance(&tenant("shop-a"), id, Attendance::Completed, now).await },
            );
        let cancel = cancel.await.unwrap_or_else(|e| panic!("{e}"));
        let mark = mark.await.unwrap_or_else(|e| panic!("{e}"));
        let last = stores.bookings.booking(&shop, id).await.ok().flatten().map(|b| (b.status, b.attendance_marked_at));
        match (&cancel, &mark) {
            (Ok(_), Err(BookingError::Cancelled(_))) => assert_eq!(last, Some((BookingStatus::Cancelled, None))),
            (Err(BookingError::NotConfirmed(BookingStatus::Completed)), Ok(_)) => {
                assert_eq!(last, Some((BookingStatus::Completed, Some(now))))
            }
            other => panic!("round {round}: a cancel and a mark both won or both lost: {other:?}"),
        }
    }
}

pub async fn a_customer_confirmation_is_recorded_once_and_reads_back(stores: Stores) {
    with_tenants(&stores, &["shop-a"]).await;
    let shop = tenant("shop-a");
    let now = stores.clock.now();
    let wanted = new_booking(None, at(10, 0), 30);
    assert!(stores.bookings.commit_booking(&shop, &wanted, Vec::new(), now).await.is_ok());
    let replied = now + Duration::minutes(3);
    let confirmed = stores.bookings.record_confirmation(&shop, wanted.id, replied).await;
    let confirmed = confirmed.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (confirmed.status, confirmed.confirmed_at, confirmed.updated_at),
        (BookingStatus::Confirmed, Some(replied), replied)
    );
    assert_eq!(stores.bookings.booking(&shop, wanted.id).await.ok().flatten().as_ref(), Some(&confirmed));
    let twice = stores.bookings.record_confirmation(&shop, wanted.id, replied + Duration::hours(1)).await;
    assert_eq!(twice.ok().as_ref(), Some(&confirmed), "the first reply's time is kept");

    // Marking keeps the confirmation; a booking no longer confirmed cannot be confirmed.
    let marked =
        stores.bookings.mark_attendance(&shop, wanted.id, Attendance::NoShow, replied + Duration::hours(2)).await;
    assert_eq!(marked.map(|b| b.confirmed_at).ok(), Some(Some(replied)));
    let late = stores.bookings.record_confirmation(&shop, wanted.id, replied + Duration::hours(3)).await;
    assert!(matches!(late, Err(BookingError::NotConfirmed(BookingStatus::NoShow))), "{late:?}");
    let missing = stores.bookings.record_confirmation(&shop, BookingId::new(), now).await;
    assert!(matches!(missing, Err(BookingError::NotFound(_))), "{missing:?}");
}
