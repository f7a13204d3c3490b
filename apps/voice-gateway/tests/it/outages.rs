//! A database that fails under a call: the caller hears an apology and, when
//! the shop is known, reaches its owner; never "not in service", never a
//! Twilio error.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use frontdesk_core::{E164, ManualClock, StoreError, TenantId};
use frontdesk_routing::{
    CallError, CallRecord, CallSid, CallStatus, CallStore, CallTurn, IncomingCall, Outcome, SavedTurn, TurnKey,
    TurnUpdate,
};
use frontdesk_runtime::Backend;
use frontdesk_store_sqlite::SqliteStore;
use frontdesk_tenant::{
    PurgeOutcome, PutOutcome, PutTenantError, TenantDirectory, TenantProfile, TenantRecord, TenantStatus, TenantStore,
};

use crate::conversations::{call_params, harness_on, monday_morning, post, spoken};

/// The real store, failing every call while `down` is set.
struct Flaky {
    inner: Arc<SqliteStore>,
    down: AtomicBool,
}

impl Flaky {
    fn check(&self) -> Result<(), anyhow::Error> {
        if self.down.load(Ordering::SeqCst) { Err(anyhow::anyhow!("the database is down")) } else { Ok(()) }
    }
}

#[async_trait]
impl TenantStore for Flaky {
    async fn put_tenant(&self, profile: &TenantProfile) -> Result<PutOutcome, PutTenantError> {
        self.check().map_err(StoreError::from)?;
        self.inner.put_tenant(profile).await
    }
    async fn get_tenant(&self, tenant: &TenantId) -> Result<Option<TenantRecord>, StoreError> {
        self.check()?;
        self.inner.get_tenant(tenant).await
    }
    async fn list_tenants(&self) -> Result<Vec<TenantRecord>, StoreError> {
        self.check()?;
        self.inner.list_tenants().await
    }
    async fn set_tenant_status(&self, tenant: &TenantId, status: TenantStatus) -> Result<TenantRecord, StoreError> {
        self.check()?;
        self.inner.set_tenant_status(tenant, status).await
    }
    async fn tenant_by_number(&self, number: &E164) -> Result<Option<TenantRecord>, StoreError> {
        self.check()?;
        self.inner.tenant_by_number(number).await
    }
    async fn numbers_owned_elsewhere(&self, tenant: &TenantId, numbers: &[E164]) -> Result<Vec<E164>, StoreError> {
        self.check()?;
        self.inner.numbers_owned_elsewhere(tenant, numbers).await
    }
    async fn create_sandbox(&self, profile: &TenantProfile) -> Result<(), PutTenantError> {
        self.check().map_err(StoreError::from)?;
        self.inner.create_sandbox(profile).await
    }
    async fn purge_sandbox(&self, tenant: &TenantId) -> Result<PurgeOutcome, StoreError> {
        self.check()?;
        self.inner.purge_sandbox(tenant).await
    }
}

#[async_trait]
impl CallStore for Flaky {
    async fn open_call(
        &self,
        tenant: &TenantId,
        call: &IncomingCall,
        initial_state: &str,
        now: DateTime<Utc>,
    ) -> Result<CallRecord, CallError> {
        self.check()?;
        self.inner.open_call(tenant, call, initial_state, now).await
    }
    async fn call(&self, tenant: &TenantId, call_sid: &CallSid) -> Result<Option<CallRecord>, CallError> {
        self.check()?;
        self.inner.call(tenant, call_sid).await
    }
    async fn call_for_turn(
        &self,
        tenant: &TenantId,
        call_sid: &CallSid,
        turn: &TurnKey,
    ) -> Result<Option<CallTurn>, CallError> {
        self.check()?;
        self.inner.call_for_turn(tenant, call_sid, turn).await
    }
    async fn save_turn(
        &self,
        tenant: &TenantId,
        call_sid: &CallSid,
        turn: &TurnKey,
        update: &TurnUpdate,
        now: DateTime<Utc>,
    ) -> Result<SavedTurn, CallError> {
        self.check()?;
        self.inner.save_turn(tenant, call_sid, turn, update, now).await
    }
    async fn record_status(
        &self,
        tenant: &TenantId,
        call_sid: &CallSid,
        status: CallStatus,
        sequence: u32,
        duration_secs: Option<u32>,
        ended_outcome: Outcome,
        now: DateTime<Utc>,
    ) -> Result<(), CallError> {
        self.check()?;
        self.inner.record_status(tenant, call_sid, status, sequence, duration_secs, ended_outcome, now).await
    }
    async fn list_calls(
        &self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<CallRecord>, CallError> {
        self.check()?;
        self.inner.list_calls(tenant, from, to).await
    }
    async fn call_summaries_of_all_tenants(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<frontdesk_routing::CallSummary>, CallError> {
        self.check()?;
        self.inner.call_summaries_of_all_tenants(from, to).await
    }
    async fn transfer_ends(
        &self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<frontdesk_routing::CallTransfer>, CallError> {
        self.check()?;
        self.inner.transfer_ends(tenant, from, to).await
    }
    async fn close_question(
        &self,
        tenant: &TenantId,
        id: i64,
        at: DateTime<Utc>,
    ) -> Result<Option<frontdesk_routing::AskedQuestion>, CallError> {
        self.check()?;
        self.inner.close_question(tenant, id, at).await
    }
    async fn questions(&self, tenant: &TenantId) -> Result<Vec<frontdesk_routing::AskedQuestion>, CallError> {
        self.check()?;
        self.inner.questions(tenant).await
    }
}

async fn flaky_gateway() -> (crate::conversations::Harness, Arc<Flaky>, Arc<ManualClock>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let clock = Arc::new(ManualClock::new(monday_morning()));
    let url = format!("sqlite://{}", dir.path().join("outage.db").display());
    let store = Arc::new(SqliteStore::open(&url, clock.clone()).await.unwrap_or_else(|e| panic!("{e:#}")));
    let flaky = Arc::new(Flaky { inner: store.clone(), down: AtomicBool::new(false) });
    let mut backend = Backend::from_store("sqlite", store);
    backend.tenants = flaky.clone();
    backend.calls = flaky.clone();
    let harness = harness_on(backend, clock.clone()).await;
    (harness, flaky, clock, dir)
}

#[tokio::test]
async fn a_caller_reaches_the_owner_when_the_database_fails_under_the_call() {
    let (h, flaky, clock, _dir) = flaky_gateway().await;
    // A first call resolves the barbershop's number.
    let twiml = post(&h.router, "/twilio/voice", &call_params("CA-before", "+15555550100")).await;
    assert!(twiml.contains("<Gather"), "{twiml}");
    clock.advance(TenantDirectory::DEFAULT_TTL * 3);
    flaky.down.store(true, Ordering::SeqCst);

    // A new call while the database is down: an apology and the owner.
    let twiml = post(&h.router, "/twilio/voice", &call_params("CA-during", "+15555550100")).await;
    assert!(spoken(&twiml).contains("Sorry, I'm having trouble right now"), "{twiml}");
    assert!(twiml.contains("<Number>+15555550199</Number>"), "forwarded to the owner: {twiml}");
    assert!(!twiml.contains("not in service"), "{twiml}");

    // A number this process never resolved: an apology, never "not in service".
    let twiml = post(&h.router, "/twilio/voice", &call_params("CA-clinic", "+15555550200")).await;
    assert!(spoken(&twiml).contains("Please call back in a few minutes"), "{twiml}");
    assert!(!twiml.contains("not in service") && twiml.contains("<Hangup />"), "{twiml}");
}

#[tokio::test]
async fn a_turn_whose_call_cannot_be_read_hands_the_caller_to_the_owner() {
    let (h, flaky, _clock, _dir) = flaky_gateway().await;
    let mut params = call_params("CA-mid", "+15555550100");
    let twiml = post(&h.router, "/twilio/voice", &params).await;
    assert!(twiml.contains("<Gather"), "{twiml}");
    // The tenant is cached; the call store fails on the turn.
    flaky.down.store(true, Ordering::SeqCst);
    params.push(("SpeechResult".to_owned(), "I'd like a haircut on Friday at 2".to_owned()));
    let twiml = post(&h.router, "/twilio/gather?turn=1", &params).await;
    assert!(spoken(&twiml).contains("having trouble"), "{twiml}");
    assert!(twiml.contains("<Number>+15555550199</Number>"), "{twiml}");
}

#[tokio::test]
async fn an_out_of_range_turn_number_is_refused() {
    let (h, _flaky, _clock, _dir) = flaky_gateway().await;
    let mut params = call_params("CA-range", "+15555550100");
    let _ = post(&h.router, "/twilio/voice", &params).await;
    params.push(("SpeechResult".to_owned(), "hello".to_owned()));
    for turn in ["4294967295", "0", "-1", "1001", "two"] {
        let (status, body) =
            crate::support::twilio_post(&h.router, &format!("/twilio/gather?turn={turn}"), &params).await;
        assert_eq!(status, 400, "turn={turn}: {body}");
        let error: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        assert_eq!(error["error"]["code"], "bad_request", "{body}");
        assert!(error["error"]["message"].as_str().is_some_and(|m| m.contains("turn number")), "{body}");
    }
}
