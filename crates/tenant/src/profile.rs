use std::collections::{BTreeSet, HashMap};
use std::str::FromStr;

use chrono::NaiveDate;
use chrono_tz::Tz;
use frontdesk_core::{Currency, E164, Money, TenantId, TextRule};

use crate::document::{
    BookingRulesDocument, FaqDocument, ProfileDocument, RemindersDocument, ServiceDocument, StaffDocument,
};
use crate::hours::WeeklyHours;
use crate::normalize_phrase;
use crate::notifications::NotificationPreferences;
use crate::problems::{Problems, ValidationErrors};

/// A secret held in a profile: `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
struct SecretText(String);

impl std::fmt::Debug for SecretText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

/// A validated tenant profile: the shop as the dialogue and the booking
/// engine see it. Only [`TenantProfile::parse`] makes one.
#[derive(Debug, Clone, PartialEq)]
pub struct TenantProfile {
    slug: TenantId,
    name: String,
    timezone: Tz,
    locale: String,
    currency: Currency,
    phone_numbers: Vec<E164>,
    owner_phone: E164,
    greeting: Option<String>,
    address: Option<String>,
    calendar_id: Option<String>,
    twilio_auth_token: Option<SecretText>,
    hours: WeeklyHours,
    closures: BTreeSet<NaiveDate>,
    services: Vec<Service>,
    staff: Vec<StaffMember>,
    booking: BookingRules,
    reminders: ReminderRules,
    notifications: NotificationPreferences,
    faqs: Vec<Faq>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    name: String,
    aliases: Vec<String>,
    duration_minutes: u32,
    price: Money,
    staff: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffMember {
    name: String,
    services: Option<Vec<String>>,
    hours: Option<WeeklyHours>,
    calendar_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookingRules {
    pub min_notice_minutes: u32,
    pub buffer_minutes: u32,
    pub slot_interval_minutes: u32,
    pub max_days_ahead: u32,
    pub cancellation_notice_hours: u32,
}

impl Default for BookingRules {
    fn default() -> BookingRules {
        BookingRules {
            min_notice_minutes: 60,
            buffer_minutes: 0,
            slot_interval_minutes: 15,
            max_days_ahead: 60,
            cancellation_notice_hours: 24,
        }
    }
}

/// When the shop's customers get reminder texts: this many hours before
/// each appointment, latest first (`[24, 2]` unless the shop says otherwise;
/// none at all when the list is empty). Whether a shop sends them is its
/// plan's (flag `enable_reminders`); when each one goes out, the calendar's
/// reminder rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReminderRules {
    hours_before: Vec<u32>,
}

impl ReminderRules {
    /// At most this many reminders per booking.
    pub const MAX: usize = 3;
    /// The furthest ahead a reminder may go out (a week).
    pub const MAX_HOURS: u32 = 168;

    pub fn hours_before(&self) -> &[u32] {
        &self.hours_before
    }
}

impl Default for ReminderRules {
    fn default() -> ReminderRules {
        ReminderRules { hours_before: vec![24, 2] }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Faq {
    pub question: String,
    pub answer: String,
}

const NAME: TextRule = TextRule::NAME;
const TEXT: TextRule = TextRule::PARAGRAPH;

impl TenantProfile {
    /// Validates a document completely. On failure, every problem is listed
    /// with its field path; nothing is half-accepted.
    pub fn parse(document: &ProfileDocument) -> Result<TenantProfile, ValidationErrors> {
        let mut problems = Problems::default();
        let p = &mut problems;

        let slug = match &document.slug {
            Some(raw) => p.check("slug", TenantId::parse(raw)),
            None => missing(p, "slug"),
        };
        let name = required_text(p, "name", document.name.as_deref(), NAME);
        let timezone = match &document.timezone {
            Some(raw) => p.check(
                "timezone",
                Tz::from_str(raw.trim())
                    .map_err(|_| format!("unknown time zone {raw:?}; use an IANA name such as \"America/New_York\"")),
            ),
            None => missing(p, "timezone"),
        };
        let locale = document.locale.clone().unwrap_or_else(|| "en-US".to_owned());
        if !is_locale(&locale) {
            p.add("locale", format!("{locale:?} is not a language tag such as \"en-US\" or \"es\""));
        }
        let currency = p.check("currency", Currency::parse(document.currency.as_deref().unwrap_or("USD")));

        let mut phone_numbers: Vec<E164> = Vec::new();
        for (index, raw) in document.phone_numbers.iter().enumerate() {
            let field = format!("phone_numbers[{index}]");
            let Some(number) = p.check(&field, E164::parse(raw)) else { continue };
            match phone_numbers.iter().position(|earlier| *earlier == number) {
                Some(_) => p.add(field, format!("{number} is listed twice")),
                None => phone_numbers.push(number),
            }
        }
        let owner_phone = match &document.owner_phone {
            Some(raw) => p.check("owner_phone", E164::parse(raw)),
            None => missing(p, "owner_phone"),
        };
        let greeting = optional_text(p, "greeting", document.greeting.as_deref(), TEXT);
        let address = optional_text(p, "address", document.address.as_deref(), TEXT);
        let calendar_id = optional_text(p, "calendar_id", document.calendar_id.as_deref(), NAME);
        let twilio_auth_token = optional_text(p, "twilio_auth_token", document.twilio_auth_token.as_deref(), NAME);
        if twilio_auth_token.as_deref() == Some(crate::document::REDACTED) {
            p.add(
                "twilio_auth_token",
                "is the redaction marker, not a token; send the real token or leave the field out",
            );
        }

        let hours = WeeklyHours::parse(&document.hours, "hours", p);
        let mut closures = BTreeSet::new();
        for (index, raw) in document.closures.iter().enumerate() {
            let parsed = NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
                .map_err(|_| format!("expected a date like \"2026-12-25\", got {raw:?}"));
            if let Some(date) = p.check(format!("closures[{index}]"), parsed) {
                closures.insert(date);
            }
        }

        let catalog = Catalog::build(&document.services, p);
        let staff = parse_staff(&document.staff, &catalog, p);
        let services = parse_services(&document.services, &catalog, &staff, currency.unwrap_or(Currency::USD), p);
        let booking = parse_booking(&document.booking, p);
        let reminders = parse_reminders(&document.reminders, p);
        let notifications = NotificationPreferences::parse(&document.notifications, p);
        let faqs = parse_faqs(&document.faqs, p);

        // Each `None` here recorded its problem, so the errors are never empty.
        let (Some(slug), Some(name), Some(timezone), Some(currency), Some(owner_phone)) =
            (slug, name, timezone, currency, owner_phone)
        else {
            return Err(problems.into_errors());
        };
        problems.finish(|| TenantProfile {
            slug,
            name,
            timezone,
            locale,
            currency,
            phone_numbers,
            owner_phone,
            greeting,
            address,
            calendar_id,
            twilio_auth_token: twilio_auth_token.map(SecretText),
            hours,
            closures,
            services,
            staff,
            booking,
            reminders,
            notifications,
            faqs,
        })
    }

    /// The canonical document, with every default written out.
    pub fn to_document(&self) -> ProfileDocument {
        ProfileDocument {
            slug: Some(self.slug.to_string()),
            name: Some(self.name.clone()),
            timezone: Some(self.timezone.name().to_owned()),
            locale: Some(self.locale.clone()),
            currency: Some(self.currency.code().to_owned()),
            phone_numbers: self.phone_numbers.iter().map(ToString::to_string).collect(),
            owner_phone: Some(self.owner_phone.to_string()),
            greeting: self.greeting.clone(),
            address: self.address.clone(),
            calendar_id: self.calendar_id.clone(),
            twilio_auth_token: self.twilio_auth_token.as_ref().map(|t| t.0.clone()),
            hours: self.hours.to_document(),
            closures: self.closures.iter().map(|d| d.format("%Y-%m-%d").to_string()).collect(),
            services: self
                .services
                .iter()
                .map(|s| ServiceDocument {
                    name: Some(s.name.clone()),
                    aliases: s.aliases.clone(),
                    duration_minutes: Some(i64::from(s.duration_minutes)),
                    price_cents: Some(s.price.minor()),
                    staff: s.staff.clone(),
                })
                .collect(),
            staff: self
                .staff
                .iter()
                .map(|m| StaffDocument {
                    name: Some(m.name.clone()),
                    services: m.services.clone(),
                    hours: m.hours.as_ref().map(WeeklyHours::to_document),
                    calendar_id: m.calendar_id.clone(),
                })
                .collect(),
            booking: BookingRulesDocument {
                min_notice_minutes: Some(i64::from(self.booking.min_notice_minutes)),
                buffer_minutes: Some(i64::from(self.booking.buffer_minutes)),
                slot_interval_minutes: Some(i64::from(self.booking.slot_interval_minutes)),
                max_days_ahead: Some(i64::from(self.booking.max_days_ahead)),
                cancellation_notice_hours: Some(i64::from(self.booking.cancellation_notice_hours)),
            },
            reminders: RemindersDocument {
                hours_before: Some(self.reminders.hours_before.iter().map(|h| i64::from(*h)).collect()),
            },
            notifications: self.notifications.to_document(),
            faqs: self
                .faqs
                .iter()
                .map(|f| FaqDocument { question: Some(f.question.clone()), answer: Some(f.answer.clone()) })
                .collect(),
        }
    }

    pub fn slug(&self) -> &TenantId {
        &self.slug
    }
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn timezone(&self) -> Tz {
        self.timezone
    }
    pub fn locale(&self) -> &str {
        &self.locale
    }
    pub fn currency(&self) -> Currency {
        self.currency
    }
    /// The fields that carry trust (they route calls, or decide whose
    /// signature a webhook needs, and so what is billed) and differ between
    /// `self` and `replacement`. Only the operator may change them: a shop
    /// that could would be able to claim numbers or sign its own usage.
    pub fn trusted_changes(&self, replacement: &TenantProfile) -> Vec<&'static str> {
        let mut changed = Vec::new();
        if self.phone_numbers != replacement.phone_numbers {
            changed.push("phone_numbers");
        }
        if self.owner_phone != replacement.owner_phone {
            changed.push("owner_phone");
        }
        if self.twilio_auth_token() != replacement.twilio_auth_token() {
            changed.push("twilio_auth_token");
        }
        changed
    }

    pub fn phone_numbers(&self) -> &[E164] {
        &self.phone_numbers
    }
    pub fn owner_phone(&self) -> &E164 {
        &self.owner_phone
    }
    pub fn greeting(&self) -> Option<&str> {
        self.greeting.as_deref()
    }
    pub fn address(&self) -> Option<&str> {
        self.address.as_deref()
    }
    /// The tenant's own Twilio auth token, if it has its own account.
    pub fn twilio_auth_token(&self) -> Option<&str> {
        self.twilio_auth_token.as_ref().map(|t| t.0.as_str())
    }
    /// The shop's external calendar.
    pub fn calendar_id(&self) -> Option<&str> {
        self.calendar_id.as_deref()
    }
    /// The external calendar a booking with `staff` goes to: theirs, else the shop's.
    pub fn calendar_for(&self, staff: Option<&str>) -> Option<&str> {
        staff
            .and_then(|name| self.staff.iter().find(|m| m.name == name))
            .and_then(StaffMember::calendar_id)
            .or(self.calendar_id.as_deref())
    }
    pub fn hours(&self) -> &WeeklyHours {
        &self.hours
    }
    pub fn closures(&self) -> &BTreeSet<NaiveDate> {
        &self.closures
    }
    pub fn is_closure(&self, date: NaiveDate) -> bool {
        self.closures.contains(&date)
    }
    pub fn services(&self) -> &[Service] {
        &self.services
    }
    pub fn staff(&self) -> &[StaffMember] {
        &self.staff
    }
    pub fn booking(&self) -> BookingRules {
        self.booking
    }
    pub fn reminders(&self) -> &ReminderRules {
        &self.reminders
    }
    /// What the owner hears about, and where.
    pub fn notifications(&self) -> &NotificationPreferences {
        &self.notifications
    }
    pub fn faqs(&self) -> &[Faq] {
        &self.faqs
    }

    /// The service whose name or alias is exactly `phrase`, compared as a
    /// caller would say it (case and punctuation do not matter).
    pub fn service_by_phrase(&self, phrase: &str) -> Option<&Service> {
        let wanted = normalize_phrase(phrase);
        self.services.iter().find(|service| service.phrases().any(|p| normalize_phrase(p) == wanted))
    }

    /// Who can perform `service`: the staff members allowed by both the
    /// service's restriction and their own list. Empty when the shop has no
    /// staff roster (the shop itself is then the one resource).
    pub fn staff_for(&self, service: &Service) -> Vec<&StaffMember> {
        self.staff.iter().filter(|member| member.performs(service)).collect()
    }
}

impl Service {
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn aliases(&self) -> &[String] {
        &self.aliases
    }
    pub fn duration_minutes(&self) -> u32 {
        self.duration_minutes
    }
    pub fn price(&self) -> Money {
        self.price
    }
    /// `None`: anyone who performs it; `Some`: only these.
    pub fn staff_restriction(&self) -> Option<&[String]> {
        self.staff.as_deref()
    }
    /// The name, then every alias.
    pub fn phrases(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.name.as_str()).chain(self.aliases.iter().map(String::as_str))
    }
}

impl StaffMember {
    pub fn name(&self) -> &str {
        &self.name
    }
    /// `None`: every service.
    pub fn services(&self) -> Option<&[String]> {
        self.services.as_deref()
    }
    /// `None`: the shop's hours.
    pub fn hours(&self) -> Option<&WeeklyHours> {
        self.hours.as_ref()
    }
    pub fn calendar_id(&self) -> Option<&str> {
        self.calendar_id.as_deref()
    }
    pub fn performs(&self, service: &Service) -> bool {
        let listed = self.services.as_ref().is_none_or(|names| names.contains(&service.name));
        let allowed = service.staff.as_ref().is_none_or(|names| names.contains(&self.name));
        listed && allowed
    }
}

/// Service names and aliases by normalised phrase, for duplicate detection
/// and for resolving references from staff entries.
struct Catalog {
    /// normalised phrase → (index of the service, canonical name)
    phrases: HashMap<String, (usize, String)>,
}

impl Catalog {
    fn build(services: &[ServiceDocument], p: &mut Problems) -> Catalog {
        let mut phrases: HashMap<String, (usize, String)> = HashMap::new();
        for (index, service) in services.iter().enumerate() {
            let Some(name) = required_text(p, format!("services[{index}].name"), service.name.as_deref(), NAME) else {
                continue;
            };
            let key = normalize_phrase(&name);
            if let Some((earlier, earlier_name)) = phrases.get(&key) {
                p.add(
                    format!("services[{index}].name"),
                    format!("{name:?} duplicates services[{earlier}] ({earlier_name:?})"),
                );
                continue;
            }
            phrases.insert(key, (index, name));
        }
        for (index, service) in services.iter().enumerate() {
            for (alias_index, alias) in service.aliases.iter().enumerate() {
                let field = format!("services[{index}].aliases[{alias_index}]");
                if let Err(problem) = NAME.check(alias) {
                    p.add(field, problem);
                    continue;
                }
                let key = normalize_phrase(alias);
                if key.is_empty() {
                    p.add(field, "must not be blank");
                    continue;
                }
                match phrases.get(&key) {
                    Some((owner, _)) if *owner == index => {
                        p.add(field, format!("{alias:?} repeats this service's name or another of its aliases"))
                    }
                    Some((owner, owner_name)) => {
                        p.add(field, format!("{alias:?} is already used by services[{owner}] ({owner_name:?})"))
                    }
                    None => {
                        let name = service.name.clone().unwrap_or_default();
                        phrases.insert(key, (index, name));
                    }
                }
            }
        }
        Catalog { phrases }
    }

    /// The canonical service name for a name or alias.
    fn resolve(&self, phrase: &str) -> Option<&str> {
        self.phrases.get(&normalize_phrase(phrase)).map(|(_, name)| name.as_str())
    }
}

fn parse_staff(documents: &[StaffDocument], catalog: &Catalog, p: &mut Problems) -> Vec<StaffMember> {
    let mut staff: Vec<StaffMember> = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (index, document) in documents.iter().enumerate() {
        let name = required_text(p, format!("staff[{index}].name"), document.name.as_deref(), NAME);
        if let Some(name) = &name
            && let Some(earlier) = seen.insert(normalize_phrase(name), index)
        {
            p.add(format!("staff[{index}].name"), format!("{name:?} duplicates staff[{earlier}]"));
        }
        let services = document.services.as_ref().map(|names| {
            let mut resolved: Vec<String> = Vec::new();
            for (service_index, raw) in names.iter().enumerate() {
                match catalog.resolve(raw) {
                    Some(canonical) if !resolved.iter().any(|r| r == canonical) => resolved.push(canonical.to_owned()),
                    Some(_) => {}
                    None => {
                        p.add(format!("staff[{index}].services[{service_index}]"), format!("unknown service {raw:?}"))
                    }
                }
            }
            resolved
        });
        let hours = document.hours.as_ref().map(|hours| WeeklyHours::parse(hours, &format!("staff[{index}].hours"), p));
        let calendar_id =
            optional_text(p, format!("staff[{index}].calendar_id"), document.calendar_id.as_deref(), NAME);
        if let Some(name) = name {
            staff.push(StaffMember { name, services, hours, calendar_id });
        }
    }
    staff
}

fn parse_services(
    documents: &[ServiceDocument],
    catalog: &Catalog,
    staff: &[StaffMember],
    currency: Currency,
    p: &mut Problems,
) -> Vec<Service> {
    let mut services = Vec::new();
    for (index, document) in documents.iter().enumerate() {
        let path = format!("services[{index}]");
        let duration = match document.duration_minutes {
            None => missing(p, format!("{path}.duration_minutes")),
            Some(minutes) if minutes <= 0 => {
                p.add(format!("{path}.duration_minutes"), format!("must be positive, got {minutes}"));
                None
            }
            Some(minutes) if minutes > 24 * 60 => {
                p.add(format!("{path}.duration_minutes"), format!("must be at most 1440 (one day), got {minutes}"));
                None
            }
            Some(minutes) => u32::try_from(minutes).ok(),
        };
        let price = match document.price_cents {
            None => missing(p, format!("{path}.price_cents")),
            Some(cents) if cents < 0 => {
                p.add(format!("{path}.price_cents"), format!("must not be negative, got {cents}"));
                None
            }
            Some(cents) => Some(Money::from_minor(cents, currency)),
        };
        let restriction = document.staff.as_ref().map(|names| {
            if names.is_empty() {
                p.add(format!("{path}.staff"), "must name at least one staff member, or be left out");
            }
            let mut resolved: Vec<String> = Vec::new();
            for (staff_index, raw) in names.iter().enumerate() {
                let field = format!("{path}.staff[{staff_index}]");
                let wanted = normalize_phrase(raw);
                match staff.iter().position(|m| normalize_phrase(&m.name) == wanted) {
                    None => p.add(field, format!("unknown staff member {raw:?}")),
                    Some(member_index) => {
                        let member = &staff[member_index];
                        let own_name = document.name.as_deref().and_then(|n| catalog.resolve(n));
                        let performs = match (&member.services, own_name) {
                            (Some(list), Some(own)) => list.iter().any(|s| s == own),
                            _ => true,
                        };
                        if !performs {
                            p.add(
                                field,
                                format!(
                                    "{:?} does not perform this service (add it to staff[{member_index}].services)",
                                    member.name
                                ),
                            );
                        } else if !resolved.contains(&member.name) {
                            resolved.push(member.name.clone());
                        }
                    }
                }
            }
            resolved
        });
        let Some(name) = document.name.as_ref().and_then(|n| catalog.resolve(n)).map(str::to_owned) else {
            continue;
        };
        // Aliases were checked by the catalog; keep them trimmed as written.
        let aliases = document.aliases.iter().map(|a| a.trim().to_owned()).filter(|a| !a.is_empty()).collect();
        let (Some(duration_minutes), Some(price)) = (duration, price) else { continue };
        let service = Service { name, aliases, duration_minutes, price, staff: restriction };
        let restricted_to_nobody = service.staff.as_ref().is_some_and(Vec::is_empty);
        if !staff.is_empty() && !restricted_to_nobody && !staff.iter().any(|member| member.performs(&service)) {
            p.add(path, format!("no staff member performs {:?}", service.name));
        }
        services.push(service);
    }
    services
}

fn parse_booking(document: &BookingRulesDocument, p: &mut Problems) -> BookingRules {
    let defaults = BookingRules::default();
    let mut field = |name: &str, value: Option<i64>, default: u32, min: i64, max: i64| -> u32 {
        let Some(value) = value else { return default };
        if value < min || value > max {
            p.add(format!("booking.{name}"), format!("must be between {min} and {max}, got {value}"));
            return default;
        }
        u32::try_from(value).unwrap_or(default)
    };
    BookingRules {
        min_notice_minutes: field(
            "min_notice_minutes",
            document.min_notice_minutes,
            defaults.min_notice_minutes,
            0,
            30 * 24 * 60,
        ),
        buffer_minutes: field("buffer_minutes", document.buffer_minutes, defaults.buffer_minutes, 0, 24 * 60),
        slot_interval_minutes: field(
            "slot_interval_minutes",
            document.slot_interval_minutes,
            defaults.slot_interval_minutes,
            1,
            24 * 60,
        ),
        max_days_ahead: field("max_days_ahead", document.max_days_ahead, defaults.max_days_ahead, 1, 730),
        cancellation_notice_hours: field(
            "cancellation_notice_hours",
            document.cancellation_notice_hours,
            defaults.cancellation_notice_hours,
            0,
            24 * 30,
        ),
    }
}

fn parse_reminders(document: &RemindersDocument, p: &mut Problems) -> ReminderRules {
    let Some(raw) = &document.hours_before else { return ReminderRules::default() };
    let mut hours_before: Vec<u32> = Vec::new();
    for (index, hours) in raw.iter().enumerate() {
        let field = format!("reminders.hours_before[{index}]");
        match u32::try_from(*hours).ok().filter(|h| (1..=ReminderRules::MAX_HOURS).contains(h)) {
            None => p.add(field, format!("must be between 1 and {} hours, got {hours}", ReminderRules::MAX_HOURS)),
            Some(hours) if hours_before.contains(&hours) => p.add(field, format!("{hours} is listed twice")),
            Some(hours) => hours_before.push(hours),
        }
    }
    if raw.len() > ReminderRules::MAX {
        p.add("reminders.hours_before", format!("at most {} reminders, got {}", ReminderRules::MAX, raw.len()));
    }
    hours_before.sort_unstable_by(|a, b| b.cmp(a));
    ReminderRules { hours_before }
}

fn parse_faqs(documents: &[FaqDocument], p: &mut Problems) -> Vec<Faq> {
    let mut faqs = Vec::new();
    for (index, document) in documents.iter().enumerate() {
        let question = required_text(p, format!("faqs[{index}].question"), document.question.as_deref(), TEXT);
        let answer = required_text(p, format!("faqs[{index}].answer"), document.answer.as_deref(), TEXT);
        if let (Some(question), Some(answer)) = (question, answer) {
            faqs.push(Faq { question, answer });
        }
    }
    faqs
}

fn missing<T>(p: &mut Problems, field: impl Into<String>) -> Option<T> {
    p.add(field, "is required");
    None
}

fn required_text(p: &mut Problems, field: impl Into<String>, value: Option<&str>, rule: TextRule) -> Option<String> {
    let field = field.into();
    match value {
        None => missing(p, field),
        Some(text) => optional_text(p, field, Some(text), rule),
    }
}

fn optional_text(p: &mut Problems, field: impl Into<String>, value: Option<&str>, rule: TextRule) -> Option<String> {
    p.check(field, rule.check(value?))
}

/// `language[-REGION]`: `en`, `en-US`, `es-419`, `fil-PH`.
fn is_locale(raw: &str) -> bool {
    let (language, region) = match raw.split_once('-') {
        Some((language, region)) => (language, Some(region)),
        None => (raw, None),
    };
    let language_ok = (2..=3).contains(&language.len()) && language.bytes().all(|b| b.is_ascii_lowercase());
    let region_ok = region.is_none_or(|r| {
        (r.len() == 2 && r.bytes().all(|b| b.is_ascii_uppercase()))
            || (r.len() == 3 && r.bytes().all(|b| b.is_ascii_digit()))
    });
    language_ok && region_ok
}
