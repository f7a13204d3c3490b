use std::fmt;

use chrono::Weekday;

use crate::document::HoursDocument;
use crate::problems::Problems;

/// A wall-clock time in the shop's zone, to the minute: `09:30`.
/// `24:00` exists only as the end of a range (open until midnight).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimeOfDay(u16);

impl TimeOfDay {
    pub const MIDNIGHT: TimeOfDay = TimeOfDay(0);
    pub const END_OF_DAY: TimeOfDay = TimeOfDay(24 * 60);

    pub fn from_hm(hour: u16, minute: u16) -> Option<TimeOfDay> {
        let valid = (hour < 24 && minute < 60) || (hour == 24 && minute == 0);
        valid.then_some(TimeOfDay(hour * 60 + minute))
    }

    /// `HH:MM`, two digits each.
    fn parse(raw: &str) -> Option<TimeOfDay> {
        let (hour, minute) = raw.split_once(':')?;
        if hour.len() != 2 || minute.len() != 2 {
            return None;
        }
        if !hour.bytes().chain(minute.bytes()).all(|b| b.is_ascii_digit()) {
            return None;
        }
        TimeOfDay::from_hm(hour.parse().ok()?, minute.parse().ok()?)
    }

    pub fn minutes_since_midnight(self) -> u16 {
        self.0
    }

    pub fn hour(self) -> u16 {
        self.0 / 60
    }

    pub fn minute(self) -> u16 {
        self.0 % 60
    }
}

impl fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.hour(), self.minute())
    }
}

/// `09:00-12:00`: start inclusive, end exclusive, start before end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimeRange {
    start: TimeOfDay,
    end: TimeOfDay,
}

impl TimeRange {
    pub fn new(start: TimeOfDay, end: TimeOfDay) -> Option<TimeRange> {
        (start < end && start < TimeOfDay::END_OF_DAY).then_some(TimeRange { start, end })
    }

    pub fn parse(raw: &str) -> Result<TimeRange, String> {
        let malformed = || format!("expected a range like \"09:00-12:00\" (24-hour HH:MM-HH:MM), got {raw:?}");
        let (start, end) = raw.trim().split_once('-').ok_or_else(malformed)?;
        let start = TimeOfDay::parse(start.trim()).ok_or_else(malformed)?;
        let end = TimeOfDay::parse(end.trim()).ok_or_else(malformed)?;
        if start == TimeOfDay::END_OF_DAY {
            return Err(malformed());
        }
        if end <= start {
            return Err(format!("ends at {end}, which is not after its start {start}"));
        }
        Ok(TimeRange { start, end })
    }

    pub fn start(self) -> TimeOfDay {
        self.start
    }

    pub fn end(self) -> TimeOfDay {
        self.end
    }

    pub fn overlaps(self, other: TimeRange) -> bool {
        self.start < other.end && other.start < self.end
    }

    pub fn contains(self, time: TimeOfDay) -> bool {
        self.start <= time && time < self.end
    }
}

impl fmt::Display for TimeRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.start, self.end)
    }
}

/// Opening ranges per weekday, sorted and non-overlapping. A day with no
/// ranges is closed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WeeklyHours {
    days: [Vec<TimeRange>; 7],
}

pub(crate) const WEEKDAYS: [(Weekday, &str); 7] = [
    (Weekday::Mon, "mon"),
    (Weekday::Tue, "tue"),
    (Weekday::Wed, "wed"),
    (Weekday::Thu, "thu"),
    (Weekday::Fri, "fri"),
    (Weekday::Sat, "sat"),
    (Weekday::Sun, "sun"),
];

impl WeeklyHours {
    /// The ranges open on `day`, in order.
    pub fn on(&self, day: Weekday) -> &[TimeRange] {
        &self.days[day.num_days_from_monday() as usize]
    }

    pub fn is_closed_all_week(&self) -> bool {
        self.days.iter().all(Vec::is_empty)
    }

    pub(crate) fn parse(document: &HoursDocument, path: &str, problems: &mut Problems) -> WeeklyHours {
        let mut hours = WeeklyHours::default();
        for (weekday, key) in WEEKDAYS {
            let mut accepted: Vec<TimeRange> = Vec::new();
            for (index, raw) in document.day(weekday).iter().enumerate() {
                let field = format!("{path}.{key}[{index}]");
                let Some(range) = problems.check(&field, TimeRange::parse(raw)) else { continue };
                match accepted.iter().find(|earlier| earlier.overlaps(range)) {
                    Some(earlier) => problems.add(field, format!("overlaps {earlier}")),
                    None => accepted.push(range),
                }
            }
            accepted.sort();
            hours.days[weekday.num_days_from_monday() as usize] = accepted;
        }
        hours
    }

    pub(crate) fn to_document(&self) -> HoursDocument {
        let mut document = HoursDocument::default();
        for (weekday, _) in WEEKDAYS {
            *document.day_mut(weekday) = self.on(weekday).iter().map(ToString::to_string).collect();
        }
        document
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ranges() {
        let cases: [(&str, Result<&str, &str>); 9] = [
            ("09:00-12:00", Ok("09:00-12:00")),
            (" 13:30 - 18:00 ", Ok("13:30-18:00")),
            ("00:00-24:00", Ok("00:00-24:00")),
            ("9-5", Err("expected a range like \"09:00-12:00\" (24-hour HH:MM-HH:MM), got \"9-5\"")),
            ("9:00-17:00", Err("expected a range like \"09:00-12:00\" (24-hour HH:MM-HH:MM), got \"9:00-17:00\"")),
            ("09:00-25:00", Err("expected a range like \"09:00-12:00\" (24-hour HH:MM-HH:MM), got \"09:00-25:00\"")),
            ("09:60-10:00", Err("expected a range like \"09:00-12:00\" (24-hour HH:MM-HH:MM), got \"09:60-10:00\"")),
            ("18:00-09:00", Err("ends at 09:00, which is not after its start 18:00")),
            ("12:00-12:00", Err("ends at 12:00, which is not after its start 12:00")),
        ];
        for (raw, expected) in cases {
            let actual = TimeRange::parse(raw).map(|r| r.to_string());
            assert_eq!(actual, expected.map(str::to_owned).map_err(str::to_owned), "{raw:?}");
        }
    }

    #[test]
    fn overlap_is_strict() {
        let morning = TimeRange::parse("09:00-12:00").ok();
        let afternoon = TimeRange::parse("12:00-13:00").ok();
        let late_morning = TimeRange::parse("11:00-12:30").ok();
        let (Some(morning), Some(afternoon), Some(late_morning)) = (morning, afternoon, late_morning) else {
            panic!("fixtures must parse");
        };
        assert!(!morning.overlaps(afternoon), "touching ranges do not overlap");
        assert!(morning.overlaps(late_morning));
        assert!(late_morning.overlaps(afternoon));
    }
}
