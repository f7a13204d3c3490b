use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use croner::Cron;

use crate::model::JobKind;

/// A standard five-field cron expression (`"0 3 * * *"`: 03:00 every day),
/// evaluated in UTC.
#[derive(Clone)]
pub struct CronSchedule {
    text: String,
    cron: Cron,
}

impl CronSchedule {
    pub fn parse(text: &str) -> Result<CronSchedule, String> {
        let cron = Cron::from_str(text.trim()).map_err(|e| format!("invalid cron expression {text:?}: {e}"))?;
        Ok(CronSchedule { text: text.trim().to_owned(), cron })
    }

    /// The first occurrence strictly after `after`.
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron.find_next_occurrence(&after, false).ok()
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Debug for CronSchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CronSchedule({:?})", self.text)
    }
}

/// A job enqueued on a schedule ("every night at 03:00, run `usage.report`").
#[derive(Debug, Clone)]
pub struct RecurringJob {
    pub name: String,
    pub schedule: CronSchedule,
    pub kind: JobKind,
    pub payload: serde_json::Value,
}

impl RecurringJob {
    /// What identifies the schedule's definition: when it changes, the next
    /// occurrence is recomputed.
    pub fn definition(&self) -> String {
        format!("{} | {} | {}", self.schedule.as_str(), self.kind, self.payload)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 24, h, m, 0).single().unwrap_or_default()
    }

    #[test]
    fn next_occurrences() {
        let nightly = CronSchedule::parse("0 3 * * *").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(nightly.next_after(at(2, 59)), Some(at(3, 0)));
        assert_eq!(nightly.next_after(at(3, 0)), Some(at(3, 0) + chrono::Duration::days(1)), "strictly after");
        let quarter = CronSchedule::parse("*/15 * * * *").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(quarter.next_after(at(10, 1)), Some(at(10, 15)));
    }

    #[test]
    fn rejects_nonsense() {
        assert!(CronSchedule::parse("every night").is_err());
        assert!(CronSchedule::parse("61 * * * *").is_err());
    }
}
