//! The profile document: what operators write in TOML and send as JSON.
//!
//! Every field a person may forget is optional here, so that a missing field
//! is reported by validation together with every other problem, instead of
//! stopping the parse at the first one. Numbers are `i64` for the same reason:
//! a negative duration is a validation problem with a path, not a type error.

use chrono::Weekday;

use crate::problems::FieldProblem;
use serde::{Deserialize, Serialize};

/// What the admin API shows instead of a secret.
pub const REDACTED: &str = "[redacted]";

/// Why a document could not even be read into a [`ProfileDocument`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    /// Not well-formed JSON/TOML at all.
    #[error("{0}")]
    Syntax(String),
    /// Well-formed, but fields have the wrong type or name: every one of
    /// them, with its path.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Shape(Vec<FieldProblem>),
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileDocument {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slug: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    #[serde(default)]
    pub phone_numbers: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub greeting: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// The shop's external calendar (a Google Calendar id), if bookings are
    /// mirrored there and its busy times respected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar_id: Option<String>,
    /// The tenant's own Twilio auth token (its own Twilio account); absent
    /// means the platform's. A secret: the admin API shows it as
    /// [`REDACTED`], and a document sending [`REDACTED`] back keeps the stored one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub twilio_auth_token: Option<String>,
    #[serde(default)]
    pub hours: HoursDocument,
    #[serde(default)]
    pub closures: Vec<String>,
    #[serde(default)]
    pub services: Vec<ServiceDocument>,
    #[serde(default)]
    pub staff: Vec<StaffDocument>,
    #[serde(default)]
    pub booking: BookingRulesDocument,
    #[serde(default)]
    pub reminders: RemindersDocument,
    /// What the owner hears about, and where (`[notifications]`).
    #[serde(default, skip_serializing_if = "NotificationsDocument::is_empty")]
    pub notifications: NotificationsDocument,
    #[serde(default)]
    pub faqs: Vec<FaqDocument>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HoursDocument {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mon: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tue: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub wed: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub thu: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fri: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sat: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sun: Vec<String>,
}

impl HoursDocument {
    pub fn day(&self, weekday: Weekday) -> &[String] {
        match weekday {
            Weekday::Mon => &self.mon,
            Weekday::Tue => &self.tue,
            Weekday::Wed => &self.wed,
            Weekday::Thu => &self.thu,
            Weekday::Fri => &self.fri,
            Weekday::Sat => &self.sat,
            Weekday::Sun => &self.sun,
        }
    }

    pub fn day_mut(&mut self, weekday: Weekday) -> &mut Vec<String> {
        match weekday {
            Weekday::Mon => &mut self.mon,
            Weekday::Tue => &mut self.tue,
            Weekday::Wed => &mut self.wed,
            Weekday::Thu => &mut self.thu,
            Weekday::Fri => &mut self.fri,
            Weekday::Sat => &mut self.sat,
            Weekday::Sun => &mut self.sun,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceDocument {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_minutes: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_cents: Option<i64>,
    /// Only these staff members perform it; absent means anyone who lists it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staff: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffDocument {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The services they perform; absent means every service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub services: Option<Vec<String>>,
    /// Their own weekly hours; absent means the shop's hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<HoursDocument>,
    /// Their own external calendar; absent means the shop's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar_id: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BookingRulesDocument {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_notice_minutes: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buffer_minutes: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slot_interval_minutes: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_days_ahead: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancellation_notice_hours: Option<i64>,
}

/// Reminder texts before each appointment (`[reminders]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemindersDocument {
    /// How many hours before the appointment each reminder goes out
    /// (`[24, 2]` when absent; `[]` sends none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours_before: Option<Vec<i64>>,
}

/// What the owner hears about, and where (`[notifications]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotificationsDocument {
    /// Text the owner's phone (`true` when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sms: Option<bool>,
    /// A Slack incoming webhook to post to. A secret: the admin API shows
    /// it as [`REDACTED`], and a document sending [`REDACTED`] back keeps
    /// the stored one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slack_webhook_url: Option<String>,
    /// An address to e-mail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Which events (`booking_made`, `booking_cancelled`,
    /// `booking_rescheduled`, `voicemail`, `callback_created`,
    /// `message_taken`, `customer_text`); every one when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<String>>,
    /// One summary a day instead of each event as it happens (`false`
    /// when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<bool>,
}

impl NotificationsDocument {
    fn is_empty(&self) -> bool {
        *self == NotificationsDocument::default()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaqDocument {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub question: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
}

impl ProfileDocument {
    /// Reads a JSON document; every wrong field reports its path
    /// (`services[0].duration_minutes: invalid type: …`), all at once.
    pub fn from_json(bytes: &[u8]) -> Result<ProfileDocument, DocumentError> {
        // A well-formed document (every stored one) is read straight from the
        // bytes; only a wrong one goes the slower way that names each problem.
        if let Ok(document) = serde_json::from_slice::<ProfileDocument>(bytes) {
            return Ok(document);
        }
        let value: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|error| DocumentError::Syntax(format!("malformed JSON: {error}")))?;
        from_value(value)
    }

    /// Reads a TOML document (the `fixtures/tenants/*.toml` format). Dates may
    /// be written bare (`2026-12-25`) or quoted. Every wrong field is
    /// reported, all at once.
    pub fn from_toml(text: &str) -> Result<ProfileDocument, DocumentError> {
        let value: toml::Value =
            toml::from_str(text).map_err(|error| DocumentError::Syntax(format!("malformed TOML: {error}")))?;
        let value = serde_json::to_value(datetimes_to_strings(value))
            .map_err(|error| DocumentError::Syntax(format!("malformed TOML: {error}")))?;
        from_value(value)
    }

    /// The document with its secrets replaced by [`REDACTED`], for showing.
    pub fn redacted(&self) -> ProfileDocument {
        let mut shown = self.clone();
        if shown.twilio_auth_token.is_some() {
            shown.twilio_auth_token = Some(REDACTED.to_owned());
        }
        if shown.notifications.slack_webhook_url.is_some() {
            shown.notifications.slack_webhook_url = Some(REDACTED.to_owned());
        }
        shown
    }

    pub fn to_json(&self) -> serde_json::Value {
        // Serialising plain strings, numbers and vectors cannot fail.
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

/// Deserializes the document, collecting every shape problem: the value at
/// each problem's path is set aside and the rest read again, so one wrong
/// field does not hide the next.
fn from_value(mut value: serde_json::Value) -> Result<ProfileDocument, DocumentError> {
    /// More than this is a different document altogether.
    const MOST_PROBLEMS: usize = 50;
    let mut problems: Vec<FieldProblem> = Vec::new();
    loop {
        match serde_path_to_error::deserialize::<_, ProfileDocument>(&value) {
            Ok(document) if problems.is_empty() => return Ok(document),
            Ok(_) => return Err(DocumentError::Shape(problems)),
            Err(error) => {
                let path = error.path().clone();
                let message = strip_position(&error.into_inner().to_string());
                problems.push(FieldProblem { field: path.to_string(), message });
                if problems.len() >= MOST_PROBLEMS || !set_aside(&mut value, &path) {
                    return Err(DocumentError::Shape(problems));
                }
            }
        }
    }
}

/// Removes the value at `path`; false when there is none to remove.
fn set_aside(value: &mut serde_json::Value, path: &serde_path_to_error::Path) -> bool {
    use serde_path_to_error::Segment;
    let segments: Vec<&Segment> = path.iter().collect();
    let Some((last, parents)) = segments.split_last() else { return false };
    let mut current = value;
    for segment in parents {
        let next = match segment {
            Segment::Seq { index } => current.get_mut(*index),
            Segment::Map { key } => current.get_mut(key.as_str()),
            _ => None,
        };
        match next {
            Some(next) => current = next,
            None => return false,
        }
    }
    match (last, current) {
        (Segment::Map { key }, serde_json::Value::Object(map)) => map.remove(key.as_str()).is_some(),
        (Segment::Seq { index }, serde_json::Value::Array(items)) if *index < items.len() => {
            items.remove(*index);
            true
        }
        _ => false,
    }
}

/// serde_json appends " at line 1 column 42" to data errors; the field path
/// says more, so drop it.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(index) => message[..index].to_owned(),
        None => message.to_owned(),
    }
}

fn datetimes_to_strings(value: toml::Value) -> toml::Value {
    match value {
        toml::Value::Datetime(datetime) => toml::Value::String(datetime.to_string()),
        toml::Value::Array(items) => toml::Value::Array(items.into_iter().map(datetimes_to_strings).collect()),
        toml::Value::Table(table) => {
            toml::Value::Table(table.into_iter().map(|(key, value)| (key, datetimes_to_strings(value))).collect())
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_shape_errors_carry_the_field_path() {
        let error = ProfileDocument::from_json(br#"{"services":[{"name":"Cut","duration_minutes":"thirty"}]}"#);
        assert_eq!(
            error,
            Err(DocumentError::Shape(vec![FieldProblem {
                field: "services[0].duration_minutes".into(),
                message: "invalid type: string \"thirty\", expected i64".into(),
            }]))
        );
        let unknown = ProfileDocument::from_json(br#"{"hours":{"funday":["09:00-10:00"]}}"#);
        assert!(
            matches!(&unknown, Err(DocumentError::Shape(problems)) if problems[0].field == "hours.funday" && problems[0].message.starts_with("unknown field `funday`")),
            "{unknown:?}"
        );
    }

    #[test]
    fn every_shape_problem_is_reported_at_once() {
        let toml = "name = 7\ncolour = \"red\"\n[[services]]\nname = \"Cut\"\nduration_minutes = \"thirty\"\nprice_cents = \"lots\"\n";
        let problems = match ProfileDocument::from_toml(toml) {
            Err(DocumentError::Shape(problems)) => problems.iter().map(|p| p.field.clone()).collect::<Vec<_>>(),
            other => panic!("{other:?}"),
        };
        assert_eq!(problems.len(), 4, "{problems:?}");
        for field in ["name", "colour", "services[0].duration_minutes", "services[0].price_cents"] {
            assert!(problems.iter().any(|p| p == field), "{field} in {problems:?}");
        }
    }

    #[test]
    fn json_syntax_errors_are_told_apart() {
        for bad in [&b"{"[..], b"not json", b"{\"name\": \"x\"} trailing", b""] {
            assert!(matches!(ProfileDocument::from_json(bad), Err(DocumentError::Syntax(_))), "{bad:?}");
        }
    }

    #[test]
    fn toml_accepts_bare_dates() {
        let document = ProfileDocument::from_toml("closures = [2026-12-25, \"2027-01-01\"]\n");
        assert_eq!(document.map(|d| d.closures), Ok(vec!["2026-12-25".to_owned(), "2027-01-01".to_owned()]));
    }

    #[test]
    fn toml_errors_name_the_field() {
        let error = ProfileDocument::from_toml("[[services]]\nname = \"Cut\"\nduration_minutes = \"30\"\n");
        assert!(
            matches!(&error, Err(DocumentError::Shape(problems)) if problems[0].field == "services[0].duration_minutes"),
            "{error:?}"
        );
        assert!(matches!(ProfileDocument::from_toml("name = "), Err(DocumentError::Syntax(_))));
    }
}
