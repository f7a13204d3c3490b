//! Free slots, computed from the tenant profile alone plus the blocks
//! (bookings, holds, external busy time) a store and calendars report.
//!
//! Everything is computed in the tenant's zone and returned in UTC. Slot
//! starts are wall-clock times (what callers say: "two thirty"); a local time
//! that does not exist (spring forward) never starts a slot, and a local time
//! that exists twice (fall back) is offered once, at its first occurrence, so
//! results are strictly ordered. Durations are real time.

use std::collections::HashMap;

use chrono::{DateTime, Duration, LocalResult, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use frontdesk_tenant::{Service, StaffMember, TenantProfile, TimeRange};

use crate::BookingError;
use crate::model::{Block, Slot};

/// Who can take a booking: a staff member, or the shop itself when it keeps
/// no roster.
#[derive(Debug, Clone, Copy)]
struct Performer<'a> {
    member: Option<&'a StaffMember>,
}

impl Performer<'_> {
    fn name(&self) -> Option<&str> {
        self.member.map(StaffMember::name)
    }
}

/// Blocks of one performer, sorted by start, with the longest block's length
/// so overlap checks only look back that far.
#[derive(Default)]
struct Timeline {
    blocks: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    longest: Duration,
}

impl Timeline {
    fn overlaps(&self, start: DateTime<Utc>, until: DateTime<Utc>) -> bool {
        let before_until = self.blocks.partition_point(|(block_start, _)| *block_start < until);
        self.blocks[..before_until]
            .iter()
            .rev()
            .take_while(|(block_start, _)| *block_start + self.longest > start)
            .any(|(_, block_until)| *block_until > start)
    }
}

/// Availability of one service at one tenant, as of `now`.
pub struct Availability<'a> {
    profile: &'a TenantProfile,
    service: &'a Service,
    performers: Vec<Performer<'a>>,
    now: DateTime<Utc>,
    tz: Tz,
    timelines: HashMap<Option<String>, Timeline>,
}

impl<'a> Availability<'a> {
    /// `requested_staff`: only this staff member (by name, any case).
    pub fn new(
        profile: &'a TenantProfile,
        service: &'a Service,
        requested_staff: Option<&str>,
        now: DateTime<Utc>,
        blocks: &[Block],
    ) -> Result<Availability<'a>, BookingError> {
        let performers = performers(profile, service, requested_staff)?;
        let mut timelines: HashMap<Option<String>, Timeline> = HashMap::new();
        for block in blocks {
            let timeline = timelines.entry(block.staff.clone()).or_default();
            timeline.blocks.push((block.start, block.until));
            timeline.longest = timeline.longest.max(block.until - block.start);
        }
        for timeline in timelines.values_mut() {
            timeline.blocks.sort();
        }
        Ok(Availability { profile, service, performers, now, tz: profile.timezone(), timelines })
    }

    pub fn today(&self) -> NaiveDate {
        self.now.with_timezone(&self.tz).date_naive()
    }

    fn last_bookable_day(&self) -> NaiveDate {
        self.today() + Duration::days(i64::from(self.profile.booking().max_days_ahead))
    }

    fn earliest_start(&self) -> DateTime<Utc> {
        self.now + Duration::minutes(i64::from(self.profile.booking().min_notice_minutes))
    }

    fn duration(&self) -> Duration {
        Duration::minutes(i64::from(self.service.duration_minutes()))
    }

    fn buffer(&self) -> Duration {
        Duration::minutes(i64::from(self.profile.booking().buffer_minutes))
    }

    /// Whether `performer` is free for a booking at `[start, end + buffer)`.
    fn is_free(&self, performer: Performer<'_>, start: DateTime<Utc>, end: DateTime<Utc>) -> bool {
        let until = end + self.buffer();
        let own = self.timelines.get(&performer.name().map(str::to_owned)).is_some_and(|t| t.overlaps(start, until));
        let shop_wide =
            performer.member.is_some() && self.timelines.get(&None).is_some_and(|t| t.overlaps(start, until));
        !own && !shop_wide
    }

    /// Local opening ranges of `performer` on `date`: the shop's hours, cut
    /// to the staff member's own hours when they have them.
    fn open_ranges(&self, performer: Performer<'_>, date: NaiveDate) -> Vec<TimeRange> {
        if self.profile.is_closure(date) {
            return Vec::new();
        }
        let weekday = chrono::Datelike::weekday(&date);
        let shop = self.profile.hours().on(weekday);
        let Some(own) = performer.member.and_then(StaffMember::hours) else { return shop.to_vec() };
        let mut ranges = Vec::new();
        for a in shop {
            for b in own.on(weekday) {
                if let Some(range) = TimeRange::new(a.start().max(b.start()), a.end().min(b.end())) {
                    ranges.push(range);
                }
            }
        }
        ranges
    }

    /// Every free slot on local `date`, in order.
    pub fn day(&self, date: NaiveDate) -> Vec<Slot> {
        if date < self.today() || date > self.last_bookable_day() {
            return Vec::new();
        }
        let interval = i64::from(self.profile.booking().slot_interval_minutes);
        let earliest = self.earliest_start();
        let mut by_start: Vec<Slot> = Vec::new();
        for performer in &self.performers {
            for range in self.open_ranges(*performer, date) {
                let range_end = resolve_end(self.tz, date, range.end().minutes_since_midnight());
                let mut minute = i64::from(range.start().minutes_since_midnight());
                while minute < i64::from(range.end().minutes_since_midnight()) {
                    if let Some(start) = resolve_start(self.tz, date, minute) {
                        let end = start + self.duration();
                        if end > range_end {
                            break;
                        }
                        if start >= earliest
                            && self.is_free(*performer, start, end)
                            && !by_start.iter().any(|s| s.start == start)
                        {
                            by_start.push(Slot { start, end, staff: performer.name().map(str::to_owned) });
                        }
                    }
                    minute += interval;
                }
            }
        }
        by_start.sort_by_key(|slot| slot.start);
        by_start
    }

    /// Free slots from local `from` for `days` days, at most `limit`.
    pub fn slots(&self, from: NaiveDate, days: u32, limit: usize) -> Vec<Slot> {
        let mut slots = Vec::new();
        for offset in 0..i64::from(days) {
            let date = from + Duration::days(offset);
            if date > self.last_bookable_day() {
                break;
            }
            for slot in self.day(date) {
                if slots.len() == limit {
                    return slots;
                }
                slots.push(slot);
            }
        }
        slots
    }

    /// Can `start` be booked? The slot (with the first free performer, or the
    /// requested one), or why not: a rule (`Closed`, `OutsideHours`,
    /// `TooShortNotice`, `TooFarAhead`, `InThePast`) or `Conflict`.
    pub fn check(&self, start: DateTime<Utc>) -> Result<Slot, BookingError> {
        let local = start.with_timezone(&self.tz);
        let date = local.date_naive();
        if start < self.now {
            return Err(BookingError::InThePast);
        }
        if start < self.earliest_start() {
            return Err(BookingError::TooShortNotice { minutes: self.profile.booking().min_notice_minutes });
        }
        if date > self.last_bookable_day() {
            return Err(BookingError::TooFarAhead { days: self.profile.booking().max_days_ahead });
        }
        if self.profile.is_closure(date) {
            return Err(BookingError::Closed { date });
        }
        let end = start + self.duration();
        let minute = i64::from(chrono::Timelike::hour(&local) * 60 + chrono::Timelike::minute(&local));
        let mut within_hours = false;
        for performer in &self.performers {
            let fits = self.open_ranges(*performer, date).iter().any(|range| {
                i64::from(range.start().minutes_since_midnight()) <= minute
                    && minute < i64::from(range.end().minutes_since_midnight())
                    && end <= resolve_end(self.tz, date, range.end().minutes_since_midnight())
            });
            if !fits {
                continue;
            }
            within_hours = true;
            if self.is_free(*performer, start, end) {
                return Ok(Slot { start, end, staff: performer.name().map(str::to_owned) });
            }
        }
        if within_hours {
            Err(BookingError::Conflict { alternatives: self.alternatives(start, 2) })
        } else {
            Err(BookingError::OutsideHours)
        }
    }

    /// The nearest free starts to `requested`: the closest before and after it
    /// on the same day, then the earliest on following days; at most `count`,
    /// in time order.
    pub fn alternatives(&self, requested: DateTime<Utc>, count: usize) -> Vec<Slot> {
        let date = requested.with_timezone(&self.tz).date_naive().max(self.today());
        let mut same_day: Vec<Slot> = self.day(date).into_iter().filter(|s| s.start != requested).collect();
        same_day.sort_by_key(|s| (s.start - requested).num_seconds().abs());
        let mut chosen: Vec<Slot> = Vec::new();
        // One on each side first, so "1 PM or 3 PM" brackets a 2 PM request.
        if let Some(before) = same_day.iter().find(|s| s.start < requested) {
            chosen.push(before.clone());
        }
        if let Some(after) = same_day.iter().find(|s| s.start > requested) {
            chosen.push(after.clone());
        }
        for slot in same_day {
            if chosen.len() >= count {
                break;
            }
            if !chosen.contains(&slot) {
                chosen.push(slot);
            }
        }
        chosen.truncate(count);
        if chosen.len() < count {
            let needed = count - chosen.len();
            let following = self.slots(date + Duration::days(1), self.profile.booking().max_days_ahead, needed);
            chosen.extend(following);
        }
        chosen.sort_by_key(|s| s.start);
        chosen
    }
}

/// The staff who can perform `service` (or the requested one), in roster
/// order; the shop itself when it has no roster.
fn performers<'a>(
    profile: &'a TenantProfile,
    service: &'a Service,
    requested: Option<&str>,
) -> Result<Vec<Performer<'a>>, BookingError> {
    if profile.staff().is_empty() {
        return match requested {
            None => Ok(vec![Performer { member: None }]),
            Some(name) => Err(BookingError::UnknownStaff(name.to_owned())),
        };
    }
    let able = profile.staff_for(service);
    match requested {
        None => Ok(able.into_iter().map(|member| Performer { member: Some(member) }).collect()),
        Some(name) => {
            let wanted = frontdesk_tenant::normalize_phrase(name);
            let member = profile
                .staff()
                .iter()
                .find(|m| frontdesk_tenant::normalize_phrase(m.name()) == wanted)
                .ok_or_else(|| BookingError::UnknownStaff(name.to_owned()))?;
            if able.iter().any(|m| m.name() == member.name()) {
                Ok(vec![Performer { member: Some(member) }])
            } else {
                Err(BookingError::StaffDoesNotPerform {
                    staff: member.name().to_owned(),
                    service: service.name().to_owned(),
                })
            }
        }
    }
}

fn local_naive(date: NaiveDate, minutes: i64) -> Option<chrono::NaiveDateTime> {
    let midnight = date.and_hms_opt(0, 0, 0)?;
    Some(midnight + Duration::minutes(minutes))
}

/// A slot start at local `minutes` on `date`: `None` inside a spring-forward
/// gap; the first occurrence inside a fall-back repeat.
fn resolve_start(tz: Tz, date: NaiveDate, minutes: i64) -> Option<DateTime<Utc>> {
    match tz.from_local_datetime(&local_naive(date, minutes)?) {
        LocalResult::Single(at) => Some(at.with_timezone(&Utc)),
        LocalResult::Ambiguous(first, _) => Some(first.with_timezone(&Utc)),
        LocalResult::None => None,
    }
}

/// The instant a range ending at local `minutes` ends: the later occurrence of
/// a repeated time, and the first instant after a gap.
fn resolve_end(tz: Tz, date: NaiveDate, minutes: u16) -> DateTime<Utc> {
    let minutes = i64::from(minutes);
    for shift in 0..=180 {
        if let Some(naive) = local_naive(date, minutes + shift) {
            match tz.from_local_datetime(&naive) {
                LocalResult::Single(at) => return at.with_timezone(&Utc),
                LocalResult::Ambiguous(_, last) => return last.with_timezone(&Utc),
                LocalResult::None => continue,
            }
        }
    }
    // No zone skips three hours; fall back to reading the time as UTC.
    Utc.from_utc_datetime(&local_naive(date, minutes).unwrap_or_default())
}
