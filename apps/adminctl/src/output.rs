//! Human-readable tables.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{ContentArrangement, Table};
use frontdesk_core::{Currency, Money};
use serde_json::Value;

pub fn print_json(value: &Value) {
    println!("{}", serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string()));
}

fn table(header: &[&str]) -> Table {
    let mut table = Table::new();
    table.load_style(UTF8_FULL_CONDENSED).set_content_arrangement(ContentArrangement::Dynamic).set_header(header);
    table
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        Value::Array(items) => items.iter().map(text).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

pub fn print_tenant_list(body: &Value) {
    let mut rows = table(&["SLUG", "NAME", "STATUS", "TIMEZONE", "NUMBERS", "UPDATED"]);
    for tenant in body["tenants"].as_array().into_iter().flatten() {
        let profile = &tenant["profile"];
        rows.add_row(vec![
            text(&tenant["slug"]),
            text(&profile["name"]),
            text(&tenant["status"]),
            text(&profile["timezone"]),
            text(&profile["phone_numbers"]),
            text(&tenant["updated_at"]),
        ]);
    }
    println!("{rows}");
}

pub fn print_tenant(body: &Value) {
    let profile = &body["profile"];
    let mut summary = table(&["FIELD", "VALUE"]);
    for (label, value) in [
        ("slug", &body["slug"]),
        ("name", &profile["name"]),
        ("status", &body["status"]),
        ("timezone", &profile["timezone"]),
        ("locale", &profile["locale"]),
        ("phone numbers", &profile["phone_numbers"]),
        ("owner phone", &profile["owner_phone"]),
        ("updated", &body["updated_at"]),
    ] {
        summary.add_row(vec![label.to_owned(), text(value)]);
    }
    for day in ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] {
        let hours = text(&profile["hours"][day]);
        summary.add_row(vec![format!("hours {day}"), if hours.is_empty() { "closed".to_owned() } else { hours }]);
    }
    println!("{summary}");

    let mut services = table(&["SERVICE", "MINUTES", "PRICE", "ALIASES", "STAFF"]);
    for service in profile["services"].as_array().into_iter().flatten() {
        let currency = Currency::parse(profile["currency"].as_str().unwrap_or("USD")).unwrap_or(Currency::USD);
        let price = Money::from_minor(service["price_cents"].as_i64().unwrap_or(0), currency);
        services.add_row(vec![
            text(&service["name"]),
            text(&service["duration_minutes"]),
            price.to_string(),
            text(&service["aliases"]),
            match &service["staff"] {
                Value::Null => "anyone".to_owned(),
                staff => text(staff),
            },
        ]);
    }
    println!("{services}");
}

pub fn print_jobs(body: &Value) {
    let counts = &body["counts"];
    println!(
        "depth {}: queued {}, running {}, retrying {}, dead {}, succeeded {}, cancelled {}",
        text(&body["depth"]),
        text(&counts["queued"]),
        text(&counts["running"]),
        text(&counts["failed"]),
        text(&counts["dead"]),
        text(&counts["succeeded"]),
        text(&counts["cancelled"]),
    );
    let mut rows = table(&["ID", "KIND", "STATE", "ATTEMPTS", "RUN AT", "LAST ERROR"]);
    for job in body["jobs"].as_array().into_iter().flatten() {
        rows.add_row(vec![
            text(&job["id"]),
            text(&job["kind"]),
            text(&job["state"]),
            format!("{}/{}", text(&job["attempts"]), text(&job["max_attempts"])),
            text(&job["run_at"]),
            text(&job["last_error"]),
        ]);
    }
    println!("{rows}");
}

pub fn print_bookings(bookings: &Value) {
    let mut rows = table(&["START", "SERVICE", "STAFF", "CUSTOMER", "PHONE", "STATUS", "CODE", "ID"]);
    for booking in bookings.as_array().into_iter().flatten() {
        rows.add_row(vec![
            text(&booking["start"]),
            text(&booking["service"]),
            text(&booking["staff"]),
            text(&booking["customer_name"]),
            text(&booking["customer_phone"]),
            text(&booking["status"]),
            text(&booking["code"]),
            text(&booking["id"]),
        ]);
    }
    println!("{rows}");
}

/// A shop's attendance: completed and no-shows, all and split by whether
/// the customer confirmed, then what is not counted yet.
pub fn print_attendance(body: &Value) {
    fn rate(value: &Value) -> String {
        value.as_f64().map_or_else(|| "–".to_owned(), |rate| format!("{:.1} %", rate * 100.0))
    }
    let mut rows = table(&["BOOKINGS", "COMPLETED", "NO-SHOW", "NO-SHOW RATE"]);
    rows.add_row(vec!["all".to_owned(), text(&body["completed"]), text(&body["no_show"]), rate(&body["no_show_rate"])]);
    for group in ["confirmed", "unconfirmed"] {
        let counts = &body[group];
        rows.add_row(vec![
            group.to_owned(),
            text(&counts["completed"]),
            text(&counts["no_show"]),
            rate(&counts["no_show_rate"]),
        ]);
    }
    println!("{rows}");
    println!(
        "{} unmarked (ended less than 24 h ago), {} not ended yet; from {} to {}",
        text(&body["unmarked"]),
        text(&body["scheduled"]),
        text(&body["from"]),
        text(&body["to"]),
    );
    println!("{}", text(&body["definition"]));
}

pub fn print_slots(slots: &Value) {
    let list = slots.as_array().cloned().unwrap_or_default();
    if list.is_empty() {
        println!("no free slots");
        return;
    }
    let mut rows = table(&["START", "END", "STAFF"]);
    for slot in &list {
        rows.add_row(vec![text(&slot["start"]), text(&slot["end"]), text(&slot["staff"])]);
    }
    println!("{rows}");
    println!("{} free slot(s)", list.len());
}

pub fn print_flags(body: &Value) {
    let mut rows = table(&["FLAG", "ENABLED", "SOURCE"]);
    for flag in body["flags"].as_array().into_iter().flatten() {
        let enabled = if flag["enabled"].as_bool() == Some(true) { "on" } else { "off" };
        rows.add_row(vec![text(&flag["flag"]), enabled.to_owned(), text(&flag["source"])]);
    }
    println!("{rows}");
}

pub fn print_usage(body: &Value) {
    println!(
        "tenant {}, period {}, plan {}: AI answering {}{}",
        text(&body["tenant"]),
        text(&body["period"]),
        text(&body["plan"]),
        if body["answering"] == "ai" { "on" } else { "SUSPENDED (calls forwarded to the owner)" },
        body["suspension_reason"].as_str().map(|r| format!(", reason: {r}")).unwrap_or_default(),
    );
    let mut rows = table(&["METER", "USED", "INCLUDED"]);
    rows.add_row(vec![
        "call minutes".to_owned(),
        text(&body["usage"]["call_minutes"]),
        text(&body["included"]["call_minutes"]),
    ]);
    rows.add_row(vec![
        "SMS segments".to_owned(),
        text(&body["usage"]["sms_segments"]),
        text(&body["included"]["sms_segments"]),
    ]);
    rows.add_row(vec!["LLM tokens".to_owned(), text(&body["usage"]["llm_tokens"]), String::new()]);
    println!("{rows}");
    let level = body["cap"]["level"].as_str().unwrap_or("under 80%");
    println!("minute cap {}: {} used ({level})", text(&body["cap"]["minutes"]), text(&body["cap"]["used"]));
}

pub fn print_invoice(invoice: &Value) {
    let currency = invoice["currency"].as_str().and_then(|c| Currency::parse(c).ok()).unwrap_or(Currency::USD);
    let amount = |value: &Value| Money::from_minor(value.as_i64().unwrap_or(0), currency).to_string();
    println!("invoice {} {} ({})", text(&invoice["tenant"]), text(&invoice["period"]), text(&invoice["status"]));
    let mut rows = table(&["LINE", "QTY", "UNIT", "AMOUNT"]);
    for line in invoice["lines"].as_array().into_iter().flatten() {
        rows.add_row(vec![
            text(&line["description"]),
            text(&line["quantity"]),
            amount(&line["unit_price"]),
            amount(&line["amount"]),
        ]);
    }
    rows.add_row(vec!["TOTAL".to_owned(), String::new(), String::new(), amount(&invoice["total"])]);
    println!("{rows}");
}

pub fn print_audit(body: &Value) {
    let mut rows = table(&["AT", "ACTOR", "TENANT", "ACTION", "TARGET", "CHANGE"]);
    for entry in body["entries"].as_array().into_iter().flatten() {
        rows.add_row(vec![
            text(&entry["at"]),
            text(&entry["actor"]),
            text(&entry["tenant"]),
            text(&entry["action"]),
            text(&entry["target"]),
            change(&entry["before"], &entry["after"]),
        ]);
    }
    println!("{rows}");
}

/// A compact diff: each top-level field that changed, `field: before → after`
/// (long values shortened), instead of both whole documents.
pub fn change(before: &Value, after: &Value) -> String {
    fn short(value: Option<&Value>) -> String {
        let text = match value {
            None | Some(Value::Null) => "–".to_owned(),
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
        };
        if text.chars().count() > 40 { format!("{}…", text.chars().take(39).collect::<String>()) } else { text }
    }
    match (before.as_object(), after.as_object()) {
        (Some(old), Some(new)) => {
            let mut keys: Vec<&String> = old.keys().chain(new.keys()).collect();
            keys.sort();
            keys.dedup();
            let changed: Vec<String> = keys
                .into_iter()
                .filter(|key| old.get(*key) != new.get(*key))
                .map(|key| format!("{key}: {} → {}", short(old.get(key)), short(new.get(key))))
                .collect();
            if changed.is_empty() { "no change".to_owned() } else { changed.join("; ") }
        }
        _ if before == after => "no change".to_owned(),
        _ => format!("{} → {}", short(Some(before)), short(Some(after))),
    }
}

pub fn print_calls(calls: &Value) {
    let list = calls.as_array().cloned().unwrap_or_default();
    if list.is_empty() {
        println!("no calls");
        return;
    }
    let mut rows = table(&["STARTED", "CALLER", "STATUS", "OUTCOME", "SECONDS", "CALL"]);
    for call in &list {
        rows.add_row(vec![
            text(&call["started_at"]),
            text(&call["caller"]),
            text(&call["status"]),
            text(&call["outcome"]),
            text(&call["duration_secs"]),
            text(&call["call_sid"]),
        ]);
    }
    println!("{rows}");
    println!("{} call(s)", list.len());
}

/// A call's record, then its transcript one line an utterance.
pub fn print_call(call: &Value) {
    for (label, key) in [
        ("call", "call_sid"),
        ("caller", "caller"),
        ("called", "called"),
        ("status", "status"),
        ("started", "started_at"),
        ("ended", "ended_at"),
        ("seconds", "duration_secs"),
        ("outcome", "outcome"),
        ("booking", "booking_id"),
        ("recording", "recording_url"),
    ] {
        println!("{label:>10}: {}", text(&call[key]));
    }
    println!();
    for turn in call["turns"].as_array().into_iter().flatten() {
        let who = if turn["speaker"] == "caller" { "caller" } else { "frontdesk" };
        println!("{} {who:>9}: {}", text(&turn["at"]), text(&turn["text"]));
    }
}

pub fn print_messages(messages: &Value) {
    let list = messages.as_array().cloned().unwrap_or_default();
    if list.is_empty() {
        println!("no texts");
        return;
    }
    let mut rows = table(&["CREATED", "TO", "STATUS", "BODY", "ERROR"]);
    for message in &list {
        rows.add_row(vec![
            text(&message["created_at"]),
            text(&message["to"]),
            text(&message["status"]),
            text(&message["body"]),
            text(&message["error"]),
        ]);
    }
    println!("{rows}");
}

pub fn print_callbacks(callbacks: &Value) {
    let list = callbacks.as_array().cloned().unwrap_or_default();
    if list.is_empty() {
        println!("no callers waiting for a call back");
        return;
    }
    let mut rows = table(&["CALL", "SINCE", "WAITING", "CALLER", "NAME", "WHY", "MESSAGE", "STATUS"]);
    for callback in &list {
        let waiting = callback["waiting_minutes"].as_i64().map_or_else(|| "-".to_owned(), |m| format!("{m} min"));
        let message = callback["transcript"]
            .as_str()
            .map(str::to_owned)
            .or_else(|| callback["recording_url"].as_str().map(|_| "(recording, not transcribed)".to_owned()))
            .unwrap_or_else(|| "-".to_owned());
        rows.add_row(vec![
            text(&callback["call_sid"]),
            text(&callback["created_at"]),
            waiting,
            text(&callback["caller"]),
            text(&callback["name"]),
            text(&callback["reason"]),
            message,
            text(&callback["status"]),
        ]);
    }
    println!("{rows}");
}

pub fn print_questions(questions: &Value) {
    let list = questions.as_array().cloned().unwrap_or_default();
    if list.is_empty() {
        println!("no questions the receptionist could not answer");
        return;
    }
    let mut rows = table(&["ID", "ASKED", "QUESTION", "ANSWERED", "CLOSEST PASSAGE"]);
    for question in &list {
        let nearest = &question["nearest"];
        let closest = match (nearest["source"].as_str(), nearest["coverage"].as_f64()) {
            (Some(source), Some(coverage)) => format!("{source} ({:.0}% of the question)", coverage * 100.0),
            _ => "-".to_owned(),
        };
        rows.add_row(vec![
            text(&question["id"]),
            text(&question["asked_at"]),
            text(&question["question"]),
            text(&question["answered_at"]),
            closest,
        ]);
    }
    println!("{rows}");
}
