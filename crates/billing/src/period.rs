use std::fmt;

use chrono::{DateTime, Datelike, LocalResult, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

/// A calendar month in the tenant's time zone: usage and invoices are
/// counted per period, `2026-11` from midnight on the 1st, local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BillingPeriod {
    year: i32,
    month: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("billing period {0:?} is not a month written YYYY-MM, such as 2026-11")]
pub struct BillingPeriodError(pub String);

impl BillingPeriod {
    pub fn new(year: i32, month: u32) -> Result<BillingPeriod, BillingPeriodError> {
        if (1..=12).contains(&month) && (2000..=9999).contains(&year) {
            Ok(BillingPeriod { year, month })
        } else {
            Err(BillingPeriodError(format!("{year:04}-{month:02}")))
        }
    }

    /// Parses `YYYY-MM`.
    pub fn parse(raw: &str) -> Result<BillingPeriod, BillingPeriodError> {
        let error = || BillingPeriodError(raw.to_owned());
        let (year, month) = raw.split_once('-').ok_or_else(error)?;
        let digits = |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(year, 4) || !digits(month, 2) {
            return Err(error());
        }
        BillingPeriod::new(year.parse().map_err(|_| error())?, month.parse().map_err(|_| error())?).map_err(|_| error())
    }

    /// The period `instant` falls in, on the wall clock of `zone`.
    pub fn containing(instant: DateTime<Utc>, zone: Tz) -> BillingPeriod {
        let local = instant.with_timezone(&zone);
        BillingPeriod { year: local.year(), month: local.month() }
    }

    pub fn year(&self) -> i32 {
        self.year
    }

    pub fn month(&self) -> u32 {
        self.month
    }

    pub fn first_day(&self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or(NaiveDate::MIN)
    }

    pub fn next(&self) -> BillingPeriod {
        if self.month == 12 {
            BillingPeriod { year: self.year + 1, month: 1 }
        } else {
            BillingPeriod { year: self.year, month: self.month + 1 }
        }
    }

    pub fn previous(&self) -> BillingPeriod {
        if self.month == 1 {
            BillingPeriod { year: self.year - 1, month: 12 }
        } else {
            BillingPeriod { year: self.year, month: self.month - 1 }
        }
    }

    /// 28 to 31.
    pub fn days(&self) -> u32 {
        let next = self.next().first_day();
        (next - self.first_day()).num_days() as u32
    }

    /// The instant the period starts: local midnight on the 1st (or the
    /// first instant after it, should midnight not exist there).
    pub fn start(&self, zone: Tz) -> DateTime<Utc> {
        local_midnight(self.first_day(), zone)
    }

    /// The instant the next period starts (exclusive end of this one).
    pub fn end(&self, zone: Tz) -> DateTime<Utc> {
        self.next().start(zone)
    }
}

pub(crate) fn local_midnight(day: NaiveDate, zone: Tz) -> DateTime<Utc> {
    let mut time = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    // A zone may skip midnight (DST starting at 00:00): take the first hour that exists.
    for _ in 0..4 {
        match zone.from_local_datetime(&time) {
            LocalResult::Single(at) | LocalResult::Ambiguous(at, _) => return at.with_timezone(&Utc),
            LocalResult::None => time += chrono::Duration::hours(1),
        }
    }
    Utc.from_utc_datetime(&time)
}

impl fmt::Display for BillingPeriod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_year_and_month_only() {
        assert_eq!(BillingPeriod::parse("2026-11").map(|p| p.to_string()), Ok("2026-11".to_owned()));
        for bad in ["2026-13", "2026-00", "2026-1", "26-11", "2026/11", "", "2026-11-01", "abcd-ef"] {
            assert!(BillingPeriod::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_period_is_the_tenants_local_month() {
        let zone: Tz = "America/New_York".parse().unwrap();
        // 03:30 UTC on 1 Dec is still 30 Nov in New York.
        let instant = Utc.with_ymd_and_hms(2026, 12, 1, 3, 30, 0).unwrap();
        assert_eq!(BillingPeriod::containing(instant, zone).to_string(), "2026-11");
        assert_eq!(BillingPeriod::containing(instant, Tz::UTC).to_string(), "2026-12");
        let november = BillingPeriod::parse("2026-11").unwrap();
        assert_eq!(november.start(zone), Utc.with_ymd_and_hms(2026, 11, 1, 4, 0, 0).unwrap());
        assert_eq!(november.end(zone), Utc.with_ymd_and_hms(2026, 12, 1, 5, 0, 0).unwrap());
        assert_eq!(november.days(), 30);
        assert_eq!(BillingPeriod::parse("2028-02").unwrap().days(), 29);
        assert_eq!(BillingPeriod::parse("2026-12").unwrap().next().to_string(), "2027-01");
        assert_eq!(BillingPeriod::parse("2027-01").unwrap().previous().to_string(), "2026-12");
    }
}
