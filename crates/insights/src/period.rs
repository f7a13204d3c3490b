//! The periods a page can choose, in the shop's local days, and the instants
//! they cover.

use chrono::{DateTime, Datelike, Days, LocalResult, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Serialize;

/// The period an owner picks on the insights page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PeriodChoice {
    /// The shop's current local day.
    Today,
    /// The last 7 local days, today included.
    Last7Days,
    /// The last 30 local days, today included.
    Last30Days,
    /// The current calendar month, from the 1st to the last day.
    ThisMonth,
    /// Any run of whole local days.
    Custom(DayRange),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("a period must end after it starts: {from} to {to} is empty")]
    Empty { from: NaiveDate, to: NaiveDate },
    #[error("a window must end after it starts: {start} to {end} is empty")]
    EmptyWindow { start: DateTime<Utc>, end: DateTime<Utc> },
    #[error("the period around {0} reaches beyond the dates the calendar can hold")]
    OutOfRange(NaiveDate),
}

/// Whole local days `[first, end)`: `first` included, `end` not. Never empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DayRange {
    first: NaiveDate,
    end: NaiveDate,
}

impl DayRange {
    /// The days from `first` up to, not including, `end`.
    pub fn new(first: NaiveDate, end: NaiveDate) -> Result<DayRange, PeriodError> {
        if end <= first {
            return Err(PeriodError::Empty { from: first, to: end });
        }
        Ok(DayRange { first, end })
    }

    pub fn first_day(&self) -> NaiveDate {
        self.first
    }

    /// The last day included.
    pub fn last_day(&self) -> NaiveDate {
        self.end.pred_opt().unwrap_or(self.first)
    }

    /// The first day not included.
    pub fn end_day(&self) -> NaiveDate {
        self.end
    }

    /// How many days it covers (at least one).
    pub fn days(&self) -> u64 {
        u64::try_from((self.end - self.first).num_days()).unwrap_or(1)
    }

    /// The same number of days immediately before this range.
    pub fn before(&self) -> Result<DayRange, PeriodError> {
        let first = self.first.checked_sub_days(Days::new(self.days())).ok_or(PeriodError::OutOfRange(self.first))?;
        DayRange::new(first, self.first)
    }

    /// The instants these days cover in `zone`: from the local midnight that
    /// starts the first day to the one that starts `end` (a day with a DST
    /// change is 23 or 25 hours long).
    pub fn window(&self, zone: Tz) -> Result<Window, PeriodError> {
        Window::new(local_midnight(self.first, zone), local_midnight(self.end, zone))
    }
}

impl Serialize for DayRange {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut state = serializer.serialize_struct("DayRange", 3)?;
        state.serialize_field("first_day", &self.first)?;
        state.serialize_field("last_day", &self.last_day())?;
        state.serialize_field("days", &self.days())?;
        state.end()
    }
}

/// Instants `[start, end)`. Never empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Window {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

impl Window {
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>) -> Result<Window, PeriodError> {
        if end <= start {
            return Err(PeriodError::EmptyWindow { start, end });
        }
        Ok(Window { start, end })
    }

    pub fn start(&self) -> DateTime<Utc> {
        self.start
    }

    pub fn end(&self) -> DateTime<Utc> {
        self.end
    }

    pub fn contains(&self, instant: DateTime<Utc>) -> bool {
        self.start <= instant && instant < self.end
    }
}

/// A chosen period: its local days and the instants they cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    pub days: DayRange,
    pub window: Window,
}

impl Period {
    pub fn new(days: DayRange, zone: Tz) -> Result<Period, PeriodError> {
        Ok(Period { days, window: days.window(zone)? })
    }
}

/// A chosen period and the one it is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Periods {
    pub current: Period,
    pub previous: Period,
}

impl PeriodChoice {
    /// The choices with a name, in the order a page offers them.
    pub const NAMED: [PeriodChoice; 4] =
        [PeriodChoice::Today, PeriodChoice::Last7Days, PeriodChoice::Last30Days, PeriodChoice::ThisMonth];

    /// `today`, `7d`, `30d` or `month` (as in a query string); `None` for
    /// custom days.
    pub fn name(self) -> Option<&'static str> {
        match self {
            PeriodChoice::Today => Some("today"),
            PeriodChoice::Last7Days => Some("7d"),
            PeriodChoice::Last30Days => Some("30d"),
            PeriodChoice::ThisMonth => Some("month"),
            PeriodChoice::Custom(_) => None,
        }
    }

    /// A named choice from its [`name`](PeriodChoice::name); custom days are
    /// built with [`DayRange::new`].
    pub fn parse(raw: &str) -> Option<PeriodChoice> {
        PeriodChoice::NAMED.into_iter().find(|choice| choice.name() == Some(raw))
    }

    /// The period this choice means at `now` in `zone`, and the previous
    /// period of equal length: the same number of days right before it, except
    /// that a month is compared with the whole previous calendar month.
    pub fn resolve(self, now: DateTime<Utc>, zone: Tz) -> Result<Periods, PeriodError> {
        let today = now.with_timezone(&zone).date_naive();
        let last_days = |count: u64| -> Result<DayRange, PeriodError> {
            let end = today.checked_add_days(Days::new(1)).ok_or(PeriodError::OutOfRange(today))?;
            let first = end.checked_sub_days(Days::new(count)).ok_or(PeriodError::OutOfRange(today))?;
            DayRange::new(first, end)
        };
        let (current, previous) = match self {
            PeriodChoice::Today => {
                let days = last_days(1)?;
                (days, days.before()?)
            }
            PeriodChoice::Last7Days => {
                let days = last_days(7)?;
                (days, days.before()?)
            }
            PeriodChoice::Last30Days => {
                let days = last_days(30)?;
                (days, days.before()?)
            }
            PeriodChoice::ThisMonth => {
                let month = month_containing(today)?;
                let previous_first = month
                    .first_day()
                    .pred_opt()
                    .and_then(|last_of_previous| last_of_previous.with_day(1))
                    .ok_or(PeriodError::OutOfRange(today))?;
                (month, DayRange::new(previous_first, month.first_day())?)
            }
            PeriodChoice::Custom(days) => (days, days.before()?),
        };
        Ok(Periods { current: Period::new(current, zone)?, previous: Period::new(previous, zone)? })
    }
}

/// The calendar month `day` falls in.
pub fn month_containing(day: NaiveDate) -> Result<DayRange, PeriodError> {
    let first = day.with_day(1).ok_or(PeriodError::OutOfRange(day))?;
    let next = first.checked_add_months(chrono::Months::new(1)).ok_or(PeriodError::OutOfRange(day))?;
    DayRange::new(first, next)
}

/// Local midnight at the start of `day` in `zone`, or the first instant after
/// it should midnight not exist there (a DST change at 00:00); the earlier
/// one should it happen twice.
pub(crate) fn local_midnight(day: NaiveDate, zone: Tz) -> DateTime<Utc> {
    let mut time = day.and_time(chrono::NaiveTime::MIN);
    for _ in 0..4 {
        match zone.from_local_datetime(&time) {
            LocalResult::Single(at) | LocalResult::Ambiguous(at, _) => return at.with_timezone(&Utc),
            LocalResult::None => time += chrono::Duration::hours(1),
        }
    }
    Utc.from_utc_datetime(&time)
}
