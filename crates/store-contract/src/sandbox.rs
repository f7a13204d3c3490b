//! Sandbox tenants: created only as new, and purged with every row any part
//! of the platform keeps for them; a live tenant is never purged.

use chrono::{DateTime, Duration, TimeZone, Utc};
use frontdesk_audit::{AuditQuery, NewAuditEntry};
use frontdesk_auth::web::{
    LOGIN_LIFETIME, LoginChallenge, Principal, SESSION_IDLE, SESSION_LIFETIME, TokenDigest, WebSession,
};
use frontdesk_billing::{BillingPeriod, CapDecision, CapLevel, Invoice, NewUsage, UsageKind};
use frontdesk_calendar::{BookingId, BookingSource, ConfirmationCode, Customer, NewBooking};
use frontdesk_core::{Clock, Plan, StoreError, TenantId};
use frontdesk_flags::Flag;
use frontdesk_jobs::{JobKind, NewJob};
use frontdesk_messaging::MessageRecord;
use frontdesk_routing::{CallSid, IncomingCall, TurnKey, TurnNumber, TurnUpdate};
use frontdesk_tenant::{PurgeOutcome, PutTenantError, TenantKind, TenantStatus};
use serde_json::json;

use crate::{Stores, phone, profile, tenant};

fn november() -> BillingPeriod {
    BillingPeriod::parse("2026-11").unwrap_or_else(|e| panic!("{e}"))
}

fn friday(hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, hour, 0, 0).single().unwrap_or_default()
}

/// Writes a row of every kind the platform keeps for `slug` (owning
/// `number`): plan and flag, cap, usage with its job and the job's effect,
/// cap decision, invoice, booking, call with a turn and a question, text,
/// opt-out, audit entry, knowledge, sign-in challenge and owner session.
async fn fill(stores: &Stores, slug: &str, number: &str) {
    let shop = tenant(slug);
    let now = stores.clock.now();
    let ok = |what: &str, result: Result<(), String>| result.unwrap_or_else(|e| panic!("{slug}: {what}: {e}"));
    let s = |e: StoreError| e.to_string();
    ok("plan", stores.flags.set_plan(&shop, Plan::Pro, now, &[]).await.map(drop).map_err(s));
    ok("flag", stores.flags.set_flag_override(&shop, Flag::EnableSms, Some(false), now).await.map(drop).map_err(s));
    ok("cap", stores.billing.set_minute_cap(&shop, Some(50)).await.map(drop).map_err(s));
    let usage = NewUsage {
        id: format!("usage-{slug}"),
        tenant: shop.clone(),
        kind: UsageKind::CallMinutes,
        quantity: 3,
        key: "CA1".to_owned(),
        period: november(),
        occurred_at: now,
        cost_micros: 0,
    };
    let report = NewJob::new(JobKind::parse("billing.report_usage").unwrap_or_else(|e| panic!("{e}")), json!({}))
        .for_tenant(shop.clone())
        .unique_key(format!("report:{slug}"));
    ok("usage", stores.usage.record_usage(&usage, std::slice::from_ref(&report)).await.map(drop).map_err(s));
    let job = match stores.jobs.enqueue(report).await {
        Ok(outcome) => outcome.job_id(),
        Err(error) => panic!("{slug}: job: {error}"),
    };
    ok("effect", stores.effects.record_effect(job, "sms.sent", "SM1", now).await.map(drop).map_err(|e| e.to_string()));
    let decision = CapDecision {
        tenant: shop.clone(),
        period: november(),
        metric: frontdesk_billing::CapMetric::Minutes,
        level: CapLevel::Soft,
        used: 40,
        cap: 50,
        decided_at: now,
    };
    ok("decision", stores.billing.record_cap_decision(&decision, &[]).await.map(drop).map_err(s));
    let invoice = Invoice { currency: "USD".to_owned(), lines: Vec::new(), total: 0 };
    ok("invoice", stores.billing.put_draft_invoice(&shop, november(), &invoice, now).await.map(drop).map_err(s));
    let booking = NewBooking {
        id: BookingId::new(),
        code: ConfirmationCode::generate(),
        service: "Haircut".to_owned(),
        staff: None,
        start: friday(14),
        end: friday(14) + Duration::minutes(30),
        occupied_until: friday(14) + Duration::minutes(35),
        customer: Customer { name: "Jane Doe".to_owned(), phone: phone("+15555551234") },
        source: BookingSource::Phone,
        idempotency_key: None,
        hold: None,
    };
    let booked = stores.bookings.commit_booking(&shop, &booking, Vec::new(), now).await;
    ok("booking", booked.map(drop).map_err(|e| e.to_string()));
    let call_sid = CallSid::parse(&format!("CA-{slug}")).unwrap_or_else(|e| panic!("{e}"));
    let incoming =
        IncomingCall { call_sid: call_sid.clone(), caller: Some(phone("+15555551234")), called: phone(number) };
    ok("call", stores.calls.open_call(&shop, &incoming, "{}", now).await.map(drop).map_err(|e| e.to_string()));
    let update = TurnUpdate {
        state: "{}".to_owned(),
        turns: Vec::new(),
        outcome: None,
        booking_id: None,
        recording_url: None,
        question: Some("do you do beards".to_owned()),
        nearest: None,
        reply: "Let me find out.".to_owned(),
    };
    let turn = TurnKey::Caller(TurnNumber::parse("1").unwrap_or_else(|e| panic!("{e}")));
    let saved = stores.calls.save_turn(&shop, &call_sid, &turn, &update, now).await;
    ok("turn", saved.map(drop).map_err(|e| e.to_string()));
    let text = MessageRecord {
        id: format!("msg-{slug}"),
        tenant: shop.clone(),
        to: phone("+15555551234"),
        from: phone(number),
        body: "See you Friday".to_owned(),
        status: "queued".to_owned(),
        provider_id: None,
        booking_id: None,
        error: None,
        created_at: now,
        updated_at: now,
    };
    ok("text", stores.messages.upsert_message(&text).await.map_err(s));
    ok("opt-out", stores.messages.set_opt_out(&shop, &phone("+15555551234"), true, now).await.map_err(s));
    let entry = NewAuditEntry {
        id: format!("audit-{slug}"),
        at: now,
        actor: "operator".to_owned(),
        tenant: Some(shop.clone()),
        action: "tenant.put".to_owned(),
        target: slug.to_owned(),
        before: None,
        after: None,
    };
    ok("audit", stores.audit.append(&entry).await.map_err(s));
    let knowledge = frontdesk_rag::Document::parse("payments", "Paying", "text", "We take cards.")
        .unwrap_or_else(|e| panic!("{e:?}"));
    ok("knowledge", stores.knowledge.put_document(&shop, &knowledge, &[], now).await.map(drop).map_err(s));
    let passage = frontdesk_rag::ContentHash::of(&["We take cards."]);
    let vectors = stores.knowledge.put_chunk_vectors(&shop, "model@2", &[(passage, vec![1.0, 0.0])], &[passage]).await;
    ok("vectors", vectors.map_err(s));
    let challenge = LoginChallenge {
        id: uuid::Uuid::now_v7(),
        tenant: shop.clone(),
        link: TokenDigest::of(&format!("link {slug}")),
        code: TokenDigest::of(&format!("code {slug}")),
        created_at: now,
        expires_at: now + LOGIN_LIFETIME,
        attempts: 0,
        spent_at: None,
    };
    ok("sign-in challenge", stores.web_auth.put_login_challenge(&challenge).await.map_err(|e| e.to_string()));
    let session = WebSession {
        token: owner_session(slug),
        principal: Principal::Owner(shop.clone()),
        created_at: now,
        last_seen_at: now,
        expires_at: now + SESSION_LIFETIME,
    };
    ok("owner session", stores.web_auth.create_session(&session).await.map_err(|e| e.to_string()));
}

fn owner_session(slug: &str) -> TokenDigest {
    TokenDigest::of(&format!("session {slug}"))
}

/// How many rows of each kind `slug` has, read through the ports.
async fn rows_of(stores: &Stores, slug: &str) -> Vec<(&'static str, usize)> {
    let shop = tenant(slug);
    let far = Duration::days(365);
    let now = stores.clock.now();
    let count = |n: Option<usize>| n.unwrap_or(usize::MAX);
    let usage = stores.usage.usage_totals(&shop, november()).await.map(|t| t.call_minutes as usize).ok();
    let decisions = stores.billing.cap_decisions(&shop, november()).await.map(|d| d.len()).ok();
    let invoices = stores.billing.list_invoices(&shop).await.map(|i| i.len()).ok();
    let plans = stores.billing.plan_changes(&shop).await.map(|p| p.len()).ok();
    let bookings = stores.bookings.list_bookings(&shop, now - far, now + far, None).await.map(|b| b.len()).ok();
    let calls = stores.calls.list_calls(&shop, now - far, now + far).await.map(|c| c.len()).ok();
    let questions = stores.calls.questions(&shop).await.map(|q| q.len()).ok();
    let texts = stores.messages.list_messages(&shop, 10).await.map(|m| m.len()).ok();
    let opted_out = stores.messages.is_opted_out(&shop, &phone("+15555551234")).await.map(usize::from).ok();
    let query = AuditQuery { tenant: Some(shop.clone()), limit: 100, ..AuditQuery::default() };
    let audit = stores.audit.audit_entries(&query).await.map(|a| a.len()).ok();
    let documents = stores.knowledge.list_documents(&shop).await.map(|d| d.len()).ok();
    let version = stores.knowledge.knowledge_version(&shop).await.ok().map(|v| usize::from(v > 0));
    let vectors = stores.knowledge.chunk_vectors(&shop, "model@2").await.map(|v| v.len()).ok();
    let challenges = stores.web_auth.login_challenges_since(&shop, now - far).await.map(|n| n as usize).ok();
    let session = stores.web_auth.touch_session(&owner_session(slug), now, SESSION_IDLE).await;
    let sessions = session.map(|s| usize::from(s.is_some())).ok();
    vec![
        ("call minutes", count(usage)),
        ("cap decisions", count(decisions)),
        ("invoices", count(invoices)),
        ("plan changes", count(plans)),
        ("bookings", count(bookings)),
        ("calls", count(calls)),
        ("questions", count(questions)),
        ("texts", count(texts)),
        ("opt-outs", count(opted_out)),
        ("audit entries", count(audit)),
        ("documents", count(documents)),
        ("knowledge versions", count(version)),
        ("passage vectors", count(vectors)),
        ("sign-in challenges", count(challenges)),
        ("owner sessions", count(sessions)),
    ]
}

fn everything_once() -> Vec<(&'static str, usize)> {
    vec![
        ("call minutes", 3),
        ("cap decisions", 1),
        ("invoices", 1),
        ("plan changes", 1),
        ("bookings", 1),
        ("calls", 1),
        ("questions", 1),
        ("texts", 1),
        ("opt-outs", 1),
        ("audit entries", 1),
        ("documents", 1),
        ("knowledge versions", 1),
        ("passage vectors", 1),
        ("sign-in challenges", 1),
        ("owner sessions", 1),
    ]
}

async fn jobs_of(stores: &Stores, slug: &str) -> usize {
    let recent = stores.job_admin.list_jobs(None, 100).await.unwrap_or_else(|e| panic!("{e}"));
    recent.iter().filter(|job| job.tenant.as_ref().is_some_and(|t| t.as_str() == slug)).count()
}

pub async fn a_sandbox_is_created_only_as_new_and_reads_back_as_a_sandbox(stores: Stores) {
    let sandbox = profile("sandbox-1a2b3c4d", &["+12025550101"]);
    assert!(stores.tenants.create_sandbox(&sandbox).await.is_ok());
    let record = stores.tenants.get_tenant(sandbox.slug()).await.ok().flatten();
    let record = record.unwrap_or_else(|| panic!("the sandbox was created"));
    assert_eq!((record.kind, record.status), (TenantKind::Sandbox, TenantStatus::Active));
    assert_eq!(record.profile, sandbox);
    let by_number = stores.tenants.tenant_by_number(&phone("+12025550101")).await.ok().flatten();
    assert_eq!(by_number.map(|r| r.kind), Some(TenantKind::Sandbox));

    // Only as new: an existing id (sandbox or live) is refused, nothing changes.
    let again = stores.tenants.create_sandbox(&profile("sandbox-1a2b3c4d", &["+12025550102"])).await;
    assert!(matches!(again, Err(PutTenantError::Exists(ref id)) if id.as_str() == "sandbox-1a2b3c4d"), "{again:?}");
    assert!(stores.tenants.put_tenant(&profile("fresh-cuts", &["+15555550100"])).await.is_ok());
    let over_live = stores.tenants.create_sandbox(&profile("fresh-cuts", &[])).await;
    assert!(matches!(over_live, Err(PutTenantError::Exists(_))), "{over_live:?}");
    let live = stores.tenants.get_tenant(&tenant("fresh-cuts")).await.ok().flatten();
    assert_eq!(live.map(|r| (r.kind, r.profile.phone_numbers().len())), Some((TenantKind::Live, 1)));
    // A number a tenant owns is refused too.
    let taken = stores.tenants.create_sandbox(&profile("sandbox-00000001", &["+15555550100"])).await;
    assert!(matches!(taken, Err(PutTenantError::PhoneNumbersTaken(_))), "{taken:?}");
    assert!(matches!(stores.tenants.get_tenant(&tenant("sandbox-00000001")).await, Ok(None)));

    // Replacing a sandbox's profile keeps it a sandbox.
    assert!(stores.tenants.put_tenant(&profile("sandbox-1a2b3c4d", &["+12025550103"])).await.is_ok());
    let replaced = stores.tenants.get_tenant(sandbox.slug()).await.ok().flatten();
    assert_eq!(replaced.map(|r| r.kind), Some(TenantKind::Sandbox));
}

pub async fn purging_a_sandbox_deletes_its_every_row_and_nothing_of_anyone_else(stores: Stores) {
    let sandbox: TenantId = tenant("sandbox-1a2b3c4d");
    assert!(stores.tenants.create_sandbox(&profile(sandbox.as_str(), &["+12025550101"])).await.is_ok());
    assert!(stores.tenants.put_tenant(&profile("fresh-cuts", &["+15555550100"])).await.is_ok());
    fill(&stores, "sandbox-1a2b3c4d", "+12025550101").await;
    fill(&stores, "fresh-cuts", "+15555550100").await;
    assert_eq!(rows_of(&stores, "sandbox-1a2b3c4d").await, everything_once());
    assert_eq!(jobs_of(&stores, "sandbox-1a2b3c4d").await, 1);

    // A live tenant is refused, and keeps everything.
    assert!(matches!(stores.tenants.purge_sandbox(&tenant("fresh-cuts")).await, Ok(PurgeOutcome::Live)));
    assert!(matches!(stores.tenants.get_tenant(&tenant("fresh-cuts")).await, Ok(Some(_))));
    assert_eq!(rows_of(&stores, "fresh-cuts").await, everything_once());

    assert!(matches!(stores.tenants.purge_sandbox(&sandbox).await, Ok(PurgeOutcome::Purged)));
    assert!(matches!(stores.tenants.get_tenant(&sandbox).await, Ok(None)));
    assert!(matches!(stores.tenants.tenant_by_number(&phone("+12025550101")).await, Ok(None)));
    assert!(matches!(stores.flags.flag_settings(&sandbox).await, Ok(None)));
    assert!(matches!(stores.billing.billing_account(&sandbox).await, Err(StoreError::NotFound(_))));
    assert_eq!(jobs_of(&stores, "sandbox-1a2b3c4d").await, 0);
    // Nothing is left to find, even under the same id made again; only the
    // audit log remembers.
    assert!(stores.tenants.create_sandbox(&profile(sandbox.as_str(), &["+12025550101"])).await.is_ok());
    let left: Vec<(&str, usize)> = rows_of(&stores, "sandbox-1a2b3c4d").await;
    let expected: Vec<(&str, usize)> =
        everything_once().into_iter().map(|(what, n)| (what, if what == "audit entries" { n } else { 0 })).collect();
    assert_eq!(left, expected);
    // Everyone else keeps everything.
    assert_eq!(rows_of(&stores, "fresh-cuts").await, everything_once());
    assert_eq!(jobs_of(&stores, "fresh-cuts").await, 1);

    // Purging what is not there.
    assert!(matches!(stores.tenants.purge_sandbox(&tenant("sandbox-ffffffff")).await, Err(StoreError::NotFound(_))));
}
