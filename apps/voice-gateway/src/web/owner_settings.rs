//! `/app/settings`: the shop's greeting, address, hours, closures, booking
//! rules, services with prices, and FAQs, saved through the same validation
//! and write as the admin API (`PUT /admin/tenants/{slug}`), with every
//! problem shown beside its field. What only the operator may change
//! (numbers, the owner's phone, the shop's Twilio token) and staff are not
//! on the form, so an owner cannot change them here.

use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use frontdesk_core::Money;
use frontdesk_tenant::{FaqDocument, FieldProblem, ProfileDocument, ServiceDocument, TenantProfile};
use serde::Deserialize;

use super::owner::{shop_of, unavailable};
use super::{OwnerSession, audit_owner, page};
use crate::app::AppState;

const DAYS: [(&str, &str); 7] = [
    ("mon", "Monday"),
    ("tue", "Tuesday"),
    ("wed", "Wednesday"),
    ("thu", "Thursday"),
    ("fri", "Friday"),
    ("sat", "Saturday"),
    ("sun", "Sunday"),
];

const RULES: [(&str, &str); 5] = [
    ("min_notice_minutes", "Minimum notice for a booking (minutes)"),
    ("cancellation_notice_hours", "Cancellations need this much notice (hours)"),
    ("max_days_ahead", "Book at most this many days ahead"),
    ("buffer_minutes", "Break after each appointment (minutes)"),
    ("slot_interval_minutes", "Start times every (minutes)"),
];

struct Day {
    key: &'static str,
    label: &'static str,
    field: String,
    value: String,
}

struct Rule {
    key: &'static str,
    label: &'static str,
    field: String,
    value: String,
}

struct ServiceRow {
    name: String,
    minutes: String,
    price: String,
    aliases: String,
    problems: Vec<String>,
}

struct StaffRow {
    name: String,
    /// (service, offered)
    services: Vec<(String, bool)>,
    /// (day key, label, ranges) — all empty: the shop's hours.
    hours: Vec<(&'static str, &'static str, String)>,
    problems: Vec<String>,
}

struct FaqRow {
    question: String,
    answer: String,
    problems: Vec<String>,
}

/// What the form shows: the saved settings, or what the owner typed.
struct SettingsForm {
    greeting: String,
    address: String,
    days: Vec<Day>,
    closures: String,
    rules: Vec<Rule>,
    services: Vec<ServiceRow>,
    staff: Vec<StaffRow>,
    faqs: Vec<FaqRow>,
}

#[derive(Template)]
#[template(path = "owner_settings.html")]
struct SettingsPage {
    shop: String,
    page: &'static str,
    saved: bool,
    form: SettingsForm,
    problems: Vec<FieldProblem>,
}

impl SettingsPage {
    /// The first problem of `field` (or of one of its items: `hours.mon[0]`
    /// belongs to `hours.mon`).
    fn problem(&self, field: &str) -> Option<&str> {
        self.problems
            .iter()
            .find(|problem| problem.field == field || problem.field.starts_with(&format!("{field}[")))
            .map(|problem| problem.message.as_str())
    }
}

fn money_text(money: Money) -> String {
    let minor = money.minor();
    format!("{}.{:02}", minor / 100, minor % 100)
}

fn form_of(profile: &TenantProfile) -> SettingsForm {
    let document = profile.to_document();
    let rules = document.booking.clone();
    let rule_value = |key: &str| {
        match key {
            "min_notice_minutes" => rules.min_notice_minutes,
            "cancellation_notice_hours" => rules.cancellation_notice_hours,
            "max_days_ahead" => rules.max_days_ahead,
            "buffer_minutes" => rules.buffer_minutes,
            _ => rules.slot_interval_minutes,
        }
        .map(|value| value.to_string())
        .unwrap_or_default()
    };
    let mut services: Vec<ServiceRow> = profile
        .services()
        .iter()
        .map(|service| ServiceRow {
            name: service.name().to_owned(),
            minutes: service.duration_minutes().to_string(),
            price: money_text(service.price()),
            aliases: service.aliases().join(", "),
            problems: Vec::new(),
        })
        .collect();
    services.push(ServiceRow {
        name: String::new(),
        minutes: String::new(),
        price: String::new(),
        aliases: String::new(),
        problems: Vec::new(),
    });
    let service_names: Vec<String> = profile.services().iter().map(|service| service.name().to_owned()).collect();
    let mut staff: Vec<StaffRow> = document
        .staff
        .iter()
        .map(|member| StaffRow {
            name: member.name.clone().unwrap_or_default(),
            services: service_names
                .iter()
                .map(|name| (name.clone(), member.services.as_ref().is_none_or(|offered| offered.contains(name))))
                .collect(),
            hours: DAYS
                .iter()
                .map(|(key, label)| {
                    let ranges =
                        member.hours.as_ref().map(|hours| hours.day(weekday(key)).join(", ")).unwrap_or_default();
                    (*key, *label, ranges)
                })
                .collect(),
            problems: Vec::new(),
        })
        .collect();
    staff.push(StaffRow {
        name: String::new(),
        services: service_names.iter().map(|name| (name.clone(), true)).collect(),
        hours: DAYS.iter().map(|(key, label)| (*key, *label, String::new())).collect(),
        problems: Vec::new(),
    });
    let mut faqs: Vec<FaqRow> = profile
        .faqs()
        .iter()
        .map(|faq| FaqRow { question: faq.question.clone(), answer: faq.answer.clone(), problems: Vec::new() })
        .collect();
    faqs.push(FaqRow { question: String::new(), answer: String::new(), problems: Vec::new() });
    SettingsForm {
        greeting: document.greeting.clone().unwrap_or_default(),
        address: document.address.clone().unwrap_or_default(),
        days: DAYS
            .iter()
            .map(|(key, label)| Day {
                key,
                label,
                field: format!("hours.{key}"),
                value: document.hours.day(weekday(key)).join(", "),
            })
            .collect(),
        closures: document.closures.join("\n"),
        rules: RULES
            .iter()
            .map(|(key, label)| Rule { key, label, field: format!("booking.{key}"), value: rule_value(key) })
            .collect(),
        services,
        staff,
        faqs,
    }
}

/// "09:00-12:00, 13:00-18:00" as its ranges (spaces dropped).
fn ranges_of(raw: &str) -> Vec<String> {
    raw.split([',', ';'])
        .map(|range| range.split_whitespace().collect::<String>())
        .filter(|range| !range.is_empty())
        .collect()
}

fn set_day(hours: &mut frontdesk_tenant::HoursDocument, key: &str, ranges: Vec<String>) {
    match key {
        "mon" => hours.mon = ranges,
        "tue" => hours.tue = ranges,
        "wed" => hours.wed = ranges,
        "thu" => hours.thu = ranges,
        "fri" => hours.fri = ranges,
        "sat" => hours.sat = ranges,
        _ => hours.sun = ranges,
    }
}

fn weekday(key: &str) -> chrono::Weekday {
    key.parse().unwrap_or(chrono::Weekday::Mon)
}

#[derive(Deserialize)]
pub(crate) struct SavedQuery {
    saved: Option<String>,
}

pub(crate) async fn settings(
    State(state): State<AppState>,
    owner: OwnerSession,
    Query(query): Query<SavedQuery>,
) -> Response {
    let Some(shop) = shop_of(&state, &owner).await else { return unavailable() };
    let form = form_of(&shop.profile);
    let page_ = SettingsPage {
        shop: shop.profile.name().to_owned(),
        page: "settings",
        saved: query.saved.is_some(),
        form,
        problems: Vec::new(),
    };
    page(page_.render())
}

/// The posted form as `(name, value)` pairs, in order.
pub(crate) async fn save(
    State(state): State<AppState>,
    owner: OwnerSession,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let Some(shop) = shop_of(&state, &owner).await else { return unavailable() };
    let field = |name: &str| pairs.iter().find(|(key, _)| key == name).map(|(_, value)| value.trim().to_owned());
    let before = shop.profile.to_document();
    let mut document: ProfileDocument = before.clone();
    let mut problems: Vec<FieldProblem> = Vec::new();
    let text = |value: Option<String>| value.filter(|value| !value.is_empty());
    document.greeting = text(field("greeting"));
    document.address = text(field("address"));
    for (key, _) in DAYS {
        set_day(&mut document.hours, key, ranges_of(&field(&format!("hours_{key}")).unwrap_or_default()));
    }
    document.closures = field("closures")
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect();
    for (key, _) in RULES {
        let raw = field(key).unwrap_or_default();
        let value = if raw.is_empty() {
            None
        } else {
            match raw.parse::<i64>() {
                Ok(value) => Some(value),
                Err(_) => {
                    problems.push(FieldProblem {
                        field: format!("booking.{key}"),
                        message: "must be a whole number".to_owned(),
                    });
                    None
                }
            }
        };
        match key {
            "min_notice_minutes" => document.booking.min_notice_minutes = value,
            "cancellation_notice_hours" => document.booking.cancellation_notice_hours = value,
            "max_days_ahead" => document.booking.max_days_ahead = value,
            "buffer_minutes" => document.booking.buffer_minutes = value,
            _ => document.booking.slot_interval_minutes = value,
        }
    }
    // Services: each row by its index; a row without a name is removed.
    // A service keeps the staff restriction it had (staff are not on the form).
    let mut services = Vec::new();
    let mut rows: Vec<usize> = Vec::new();
    for index in 0.. {
        let Some(name) = field(&format!("service_name_{index}")) else { break };
        if name.is_empty() {
            continue;
        }
        let previous = before.services.iter().find(|service| service.name.as_deref() == Some(name.as_str()));
        let minutes = field(&format!("service_minutes_{index}")).unwrap_or_default();
        let price = field(&format!("service_price_{index}")).unwrap_or_default();
        let position = services.len();
        let duration_minutes = match minutes.parse::<i64>() {
            Ok(minutes) => Some(minutes),
            Err(_) => {
                problems.push(FieldProblem {
                    field: format!("services[{position}].duration_minutes"),
                    message: "minutes must be a whole number".to_owned(),
                });
                None
            }
        };
        let price_cents = match Money::parse_decimal(price.trim_start_matches('$'), shop.profile.currency()) {
            Ok(money) => Some(money.minor()),
            Err(_) => {
                problems.push(FieldProblem {
                    field: format!("services[{position}].price_cents"),
                    message: "the price must be an amount like 35 or 35.50".to_owned(),
                });
                None
            }
        };
        services.push(ServiceDocument {
            name: Some(name),
            aliases: field(&format!("service_aliases_{index}"))
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|alias| !alias.is_empty())
                .map(str::to_owned)
                .collect(),
            duration_minutes,
            price_cents,
            staff: previous.and_then(|service| service.staff.clone()),
        });
        rows.push(index);
    }
    document.services = services;
    // Staff: by index; a row without a name is removed. Every service
    // ticked means "all"; no hours at all means the shop's hours.
    let mut staff = Vec::new();
    let mut staff_rows: Vec<usize> = Vec::new();
    let offered_names: Vec<String> = document.services.iter().filter_map(|service| service.name.clone()).collect();
    for index in 0.. {
        let Some(name) = field(&format!("staff_name_{index}")) else { break };
        if name.is_empty() {
            continue;
        }
        let ticked: Vec<String> = pairs
            .iter()
            .filter(|(key, _)| *key == format!("staff_service_{index}"))
            .map(|(_, value)| value.clone())
            .collect();
        let services = if offered_names.iter().all(|name| ticked.contains(name)) { None } else { Some(ticked) };
        let mut hours = frontdesk_tenant::HoursDocument::default();
        let mut any_hours = false;
        for (key, _) in DAYS {
            let ranges = ranges_of(&field(&format!("staff_hours_{key}_{index}")).unwrap_or_default());
            any_hours |= !ranges.is_empty();
            set_day(&mut hours, key, ranges);
        }
        let previous = before.staff.iter().find(|member| member.name.as_deref() == Some(name.as_str()));
        staff.push(frontdesk_tenant::StaffDocument {
            name: Some(name),
            services,
            hours: any_hours.then_some(hours),
            calendar_id: previous.and_then(|member| member.calendar_id.clone()),
        });
        staff_rows.push(index);
    }
    document.staff = staff;
    let mut faqs = Vec::new();
    let mut faq_rows: Vec<usize> = Vec::new();
    for index in 0.. {
        let Some(question) = field(&format!("faq_question_{index}")) else { break };
        let answer = field(&format!("faq_answer_{index}")).unwrap_or_default();
        if question.is_empty() && answer.is_empty() {
            continue;
        }
        faqs.push(FaqDocument { question: text(Some(question)), answer: text(Some(answer)) });
        faq_rows.push(index);
    }
    document.faqs = faqs;

    let parsed = TenantProfile::parse(&document);
    let profile = match parsed {
        Ok(profile) if problems.is_empty() => profile,
        parsed => {
            if let Err(errors) = parsed {
                problems.extend(errors.into_problems());
            }
            return refused(&shop.profile, &pairs, problems, (&rows, &staff_rows, &faq_rows));
        }
    };
    if !shop.profile.trusted_changes(&profile).is_empty() {
        return refused(
            &shop.profile,
            &pairs,
            vec![FieldProblem {
                field: "greeting".to_owned(),
                message: "only Frontdesk's team may change that".to_owned(),
            }],
            (&rows, &staff_rows, &faq_rows),
        );
    }
    match crate::admin::tenants::save_profile(&state, &profile).await {
        Ok(_) => {
            let after = profile.to_document().redacted().to_json();
            audit_owner(
                &state,
                &owner,
                "tenant.put",
                owner.tenant.as_str(),
                Some(before.redacted().to_json()),
                Some(after),
            )
            .await;
            Redirect::to("/app/settings?saved=1").into_response()
        }
        Err(error) => {
            tracing::error!(?error, "could not save an owner's settings");
            unavailable()
        }
    }
}

/// The form again, as typed, with every problem beside its field (422).
fn refused(
    profile: &TenantProfile,
    pairs: &[(String, String)],
    problems: Vec<FieldProblem>,
    (service_rows, staff_rows, faq_rows): (&[usize], &[usize], &[usize]),
) -> Response {
    let typed =
        |name: &str| pairs.iter().find(|(key, _)| key == name).map(|(_, value)| value.clone()).unwrap_or_default();
    let mut form = form_of(profile);
    form.greeting = typed("greeting");
    form.address = typed("address");
    for day in &mut form.days {
        day.value = typed(&format!("hours_{}", day.key));
    }
    form.closures = typed("closures");
    for rule in &mut form.rules {
        rule.value = typed(rule.key);
    }
    let item_problems = |prefix: &str, position: usize| -> Vec<String> {
        problems
            .iter()
            .filter(|problem| problem.field.starts_with(&format!("{prefix}[{position}]")))
            .map(|problem| problem.message.clone())
            .collect()
    };
    form.services = (0..)
        .map_while(|index| {
            pairs.iter().any(|(key, _)| *key == format!("service_name_{index}")).then(|| {
                let position = service_rows.iter().position(|row| *row == index);
                ServiceRow {
                    name: typed(&format!("service_name_{index}")),
                    minutes: typed(&format!("service_minutes_{index}")),
                    price: typed(&format!("service_price_{index}")),
                    aliases: typed(&format!("service_aliases_{index}")),
                    problems: position.map(|position| item_problems("services", position)).unwrap_or_default(),
                }
            })
        })
        .collect();
    let service_names: Vec<String> = profile.services().iter().map(|service| service.name().to_owned()).collect();
    form.staff = (0..)
        .map_while(|index| {
            pairs.iter().any(|(key, _)| *key == format!("staff_name_{index}")).then(|| {
                let position = staff_rows.iter().position(|row| *row == index);
                let ticked: Vec<String> = pairs
                    .iter()
                    .filter(|(key, _)| *key == format!("staff_service_{index}"))
                    .map(|(_, value)| value.clone())
                    .collect();
                StaffRow {
                    name: typed(&format!("staff_name_{index}")),
                    services: service_names.iter().map(|name| (name.clone(), ticked.contains(name))).collect(),
                    hours: DAYS
                        .iter()
                        .map(|(key, label)| (*key, *label, typed(&format!("staff_hours_{key}_{index}"))))
                        .collect(),
                    problems: position.map(|position| item_problems("staff", position)).unwrap_or_default(),
                }
            })
        })
        .collect();
    form.faqs = (0..)
        .map_while(|index| {
            pairs.iter().any(|(key, _)| *key == format!("faq_question_{index}")).then(|| {
                let position = faq_rows.iter().position(|row| *row == index);
                FaqRow {
                    question: typed(&format!("faq_question_{index}")),
                    answer: typed(&format!("faq_answer_{index}")),
                    problems: position.map(|position| item_problems("faqs", position)).unwrap_or_default(),
                }
            })
        })
        .collect();
    let mut response =
        page(SettingsPage { shop: profile.name().to_owned(), page: "settings", saved: false, form, problems }.render());
    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    response
}
