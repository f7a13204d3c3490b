//! The provisioning use cases over in-memory stores and a scripted
//! provider: purchases that never happen twice, orphans adopted, numbers
//! sold meanwhile skipped, releases, porting events in order, and a texting
//! registration from brand to verified campaign.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{TimeZone, Utc};
use frontdesk_core::{Clock, E164, ManualClock, TenantId};
use frontdesk_jobs::{Job, JobAdmin, JobCounts, JobError, JobId, JobKind, JobState};
use frontdesk_provisioning::{
    AvailableNumber, BrandApplication, BrandDetails, BrandSid, BrandStatus, BundleKind, BundleSid, CampaignApplication,
    CampaignSid, CampaignStatus, Capabilities, Clearance, MemoryProvisioningStore, MessagingServiceSid, NumberProvider,
    NumberSearch, NumberSetup, NumberSid, NumberState, NumberWebhooks, OwnedNumber, PortEventOutcome, PortIn,
    PortInApplication, PortInSid, PortInStatus, Portability, PortingEvent, PortingProvider, ProviderError, Providers,
    Provisioning, ProvisioningError, ProvisioningStore, RegistrationProvider, RegistrationState, StartedPortIn,
};
use frontdesk_tenant::{MemoryTenantStore, ProfileDocument, TenantProfile, TenantStore};

const FALLBACK: &str = "https://handler.twilio.com/twiml/EH1?Owner={owner}";

fn number(raw: &str) -> E164 {
    E164::parse(raw).unwrap_or_else(|e| panic!("{e}"))
}

fn tenant(slug: &str) -> TenantId {
    TenantId::parse(slug).unwrap_or_else(|e| panic!("{e}"))
}

fn profile(slug: &str, numbers: &[&str]) -> TenantProfile {
    let document = ProfileDocument {
        slug: Some(slug.to_owned()),
        name: Some(format!("Shop {slug}")),
        timezone: Some("America/New_York".to_owned()),
        phone_numbers: numbers.iter().map(|n| (*n).to_owned()).collect(),
        owner_phone: Some("+15555559999".to_owned()),
        hours: frontdesk_tenant::HoursDocument { mon: vec!["09:00-17:00".to_owned()], ..Default::default() },
        services: vec![frontdesk_tenant::ServiceDocument {
            name: Some("Haircut".to_owned()),
            duration_minutes: Some(30),
            price_cents: Some(3500),
            ..Default::default()
        }],
        ..Default::default()
    };
    TenantProfile::parse(&document).unwrap_or_else(|e| panic!("{e}"))
}

/// Twilio, scripted: what is for sale, what the account holds, what the
/// carriers decided.
#[derive(Default)]
struct Provider {
    state: Mutex<ProviderState>,
}

#[derive(Default)]
struct ProviderState {
    for_sale: Vec<E164>,
    /// Bought by someone else between the search and the purchase.
    sold_elsewhere: Vec<E164>,
    owned: Vec<OwnedNumber>,
    purchases: u32,
    /// The next purchase goes through at Twilio but its reply never arrives.
    lose_next_reply: bool,
    configured: u32,
    released: Vec<NumberSid>,
    senders: Vec<(MessagingServiceSid, NumberSid)>,
    bundles: String,
    brand: Option<BrandStatus>,
    campaign: Option<CampaignStatus>,
    campaigns_submitted: u32,
    /// What the provider says of the port-in: its status, and its number's.
    port: Option<(String, (E164, String))>,
}

impl Provider {
    fn with(state: ProviderState) -> Arc<Provider> {
        Arc::new(Provider { state: Mutex::new(state) })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, ProviderState> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn sid_for(number: &E164) -> NumberSid {
    let digits: String = number.as_str().chars().filter(char::is_ascii_digit).collect();
    NumberSid::parse(&format!("PN{digits:0>32}")).unwrap_or_else(|e| panic!("{e}"))
}

fn held(number: &E164, label: &str) -> OwnedNumber {
    OwnedNumber {
        sid: sid_for(number),
        number: number.clone(),
        label: label.to_owned(),
        voice_url: None,
        sms_url: None,
        status_callback: None,
        voice_fallback_url: None,
        capabilities: Capabilities { voice: true, sms: true, mms: false },
    }
}

fn set_up(mut owned: OwnedNumber, setup: &NumberSetup) -> OwnedNumber {
    owned.label = setup.label.clone();
    owned.voice_url = Some(setup.voice_url.clone());
    owned.sms_url = Some(setup.sms_url.clone());
    owned.status_callback = Some(setup.status_callback.clone());
    owned.voice_fallback_url = Some(setup.voice_fallback_url.clone());
    owned
}

#[async_trait]
impl NumberProvider for Provider {
    async fn search(&self, _: &NumberSearch) -> Result<Vec<AvailableNumber>, ProviderError> {
        Ok(self
            .state()
            .for_sale
            .iter()
            .map(|n| AvailableNumber {
                number: n.clone(),
                friendly_name: n.to_string(),
                locality: None,
                region: None,
                postal_code: None,
                capabilities: Capabilities { voice: true, sms: true, mms: true },
                address_required: false,
            })
            .collect())
    }

    async fn buy(&self, number: &E164, setup: &NumberSetup) -> Result<OwnedNumber, ProviderError> {
        let mut state = self.state();
        state.purchases += 1;
        if state.sold_elsewhere.contains(number) {
            return Err(ProviderError::NumberUnavailable(format!("{number} is not available")));
        }
        let owned = set_up(held(number, ""), setup);
        state.for_sale.retain(|n| n != number);
        state.owned.push(owned.clone());
        if std::mem::take(&mut state.lose_next_reply) {
            return Err(ProviderError::Unavailable("timed out".to_owned()));
        }
        Ok(owned)
    }

    async fn find_owned(&self, number: &E164) -> Result<Option<OwnedNumber>, ProviderError> {
        Ok(self.state().owned.iter().find(|o| &o.number == number).cloned())
    }

    async fn owned_for(&self, tenant: &TenantId) -> Result<Vec<OwnedNumber>, ProviderError> {
        Ok(self.state().owned.iter().filter(|o| o.labelled_for(tenant)).cloned().collect())
    }

    async fn configure(&self, sid: &NumberSid, setup: &NumberSetup) -> Result<OwnedNumber, ProviderError> {
        let mut state = self.state();
        state.configured += 1;
        let owned = state.owned.iter_mut().find(|o| &o.sid == sid).ok_or(ProviderError::NotFound(sid.to_string()))?;
        *owned = set_up(owned.clone(), setup);
        Ok(owned.clone())
    }

    async fn release(&self, sid: &NumberSid) -> Result<(), ProviderError> {
        let mut state = self.state();
        state.owned.retain(|o| &o.sid != sid);
        state.released.push(sid.clone());
        Ok(())
    }
}

#[async_trait]
impl PortingProvider for Provider {
    async fn portability(&self, _: &E164) -> Result<Portability, ProviderError> {
        Ok(Portability {
            portable: true,
            pin_and_account_number_required: false,
            not_portable_reason: None,
            number_type: None,
        })
    }

    async fn start_port_in(&self, _: &PortInApplication) -> Result<StartedPortIn, ProviderError> {
        Ok(StartedPortIn {
            sid: PortInSid::parse("KW0123456789abcdef0123456789abcdef").unwrap_or_else(|e| panic!("{e}")),
            status: PortInStatus::WaitingForSignature,
            signature_url: None,
        })
    }

    async fn subscribe_port_events(&self, _: &str) -> Result<(), ProviderError> {
        Ok(())
    }

    async fn port_in_events(&self, sid: &PortInSid) -> Result<Vec<PortingEvent>, ProviderError> {
        let (status, line) = self.state().port.clone().ok_or(ProviderError::NotFound(sid.to_string()))?;
        let event = |number: Option<E164>, status: &str| PortingEvent {
            request: sid.clone(),
            number,
            status: status.to_owned(),
            reason: None,
        };
        Ok(vec![event(None, &status), event(Some(line.0), &line.1)])
    }
}

#[async_trait]
impl RegistrationProvider for Provider {
    async fn create_messaging_service(
        &self,
        _: &TenantId,
        _: &str,
        _: &str,
    ) -> Result<MessagingServiceSid, ProviderError> {
        Ok(MessagingServiceSid::parse("MG0123456789abcdef0123456789abcdef").unwrap_or_else(|e| panic!("{e}")))
    }

    async fn add_sender(&self, service: &MessagingServiceSid, number: &NumberSid) -> Result<(), ProviderError> {
        let mut state = self.state();
        if !state.senders.iter().any(|(s, n)| s == service && n == number) {
            state.senders.push((service.clone(), number.clone()));
        }
        Ok(())
    }

    async fn remove_sender(&self, service: &MessagingServiceSid, number: &NumberSid) -> Result<(), ProviderError> {
        self.state().senders.retain(|(s, n)| !(s == service && n == number));
        Ok(())
    }

    async fn bundle_status(&self, _: BundleKind, _: &BundleSid) -> Result<String, ProviderError> {
        Ok(self.state().bundles.clone())
    }

    async fn register_brand(
        &self,
        _: &BrandApplication,
    ) -> Result<RegistrationState<BrandSid, BrandStatus>, ProviderError> {
        let mut state = self.state();
        state.brand = Some(BrandStatus::Pending);
        Ok(RegistrationState { sid: brand_sid(), status: BrandStatus::Pending, reason: None })
    }

    async fn brand(&self, _: &BrandSid) -> Result<RegistrationState<BrandSid, BrandStatus>, ProviderError> {
        let status = self.state().brand.unwrap_or(BrandStatus::Pending);
        Ok(RegistrationState { sid: brand_sid(), status, reason: None })
    }

    async fn register_campaign(
        &self,
        _: &MessagingServiceSid,
        application: &CampaignApplication,
    ) -> Result<RegistrationState<CampaignSid, CampaignStatus>, ProviderError> {
        assert!(application.samples.len() >= 2 && application.opt_out_keywords.contains(&"STOP".to_owned()));
        let mut state = self.state();
        state.campaigns_submitted += 1;
        state.campaign = Some(CampaignStatus::InProgress);
        Ok(RegistrationState { sid: campaign_sid(), status: CampaignStatus::InProgress, reason: None })
    }

    async fn campaign(
        &self,
        _: &MessagingServiceSid,
        _: &CampaignSid,
    ) -> Result<RegistrationState<CampaignSid, CampaignStatus>, ProviderError> {
        let status = self.state().campaign.unwrap_or(CampaignStatus::InProgress);
        Ok(RegistrationState { sid: campaign_sid(), status, reason: None })
    }
}

fn brand_sid() -> BrandSid {
    BrandSid::parse("BN0123456789abcdef0123456789abcdef").unwrap_or_else(|e| panic!("{e}"))
}

fn campaign_sid() -> CampaignSid {
    CampaignSid::parse("QE0123456789abcdef0123456789abcdef").unwrap_or_else(|e| panic!("{e}"))
}

/// Dead jobs, and which were put back.
#[derive(Default)]
struct DeadJobs {
    jobs: Mutex<Vec<Job>>,
    retried: Mutex<Vec<JobId>>,
}

#[async_trait]
impl JobAdmin for DeadJobs {
    async fn job(&self, id: JobId) -> Result<Option<Job>, JobError> {
        Ok(self.jobs.lock().ok().and_then(|jobs| jobs.iter().find(|j| j.id == id).cloned()))
    }

    async fn list_jobs(&self, _: Option<JobState>, _: u32) -> Result<Vec<Job>, JobError> {
        Ok(self.jobs.lock().map(|jobs| jobs.clone()).unwrap_or_default())
    }

    async fn job_counts(&self) -> Result<JobCounts, JobError> {
        Err(JobError::NotFound(JobId::new()))
    }

    async fn retry_job(&self, id: JobId, _: chrono::DateTime<Utc>) -> Result<Job, JobError> {
        if let Ok(mut retried) = self.retried.lock() {
            retried.push(id);
        }
        self.job(id).await?.ok_or(JobError::NotFound(id))
    }
}

fn dead_text(tenant: &TenantId, error: &str) -> Job {
    let at = Utc.with_ymd_and_hms(2026, 12, 14, 10, 0, 0).single().unwrap_or_default();
    Job {
        id: JobId::new(),
        kind: JobKind::parse("sms.booking").unwrap_or_else(|e| panic!("{e}")),
        payload: serde_json::json!({}),
        tenant: Some(tenant.clone()),
        state: JobState::Dead,
        attempts: 10,
        max_attempts: 10,
        run_at: at,
        unique_key: None,
        last_error: Some(error.to_owned()),
        locked_by: None,
        locked_until: None,
        created_at: at,
        updated_at: at,
        finished_at: Some(at),
    }
}

struct World {
    provisioning: Provisioning,
    provider: Arc<Provider>,
    store: Arc<MemoryProvisioningStore>,
    tenants: Arc<MemoryTenantStore>,
    jobs: Arc<DeadJobs>,
}

async fn world(state: ProviderState, shops: &[(&str, &[&str])]) -> World {
    let tenants = Arc::new(MemoryTenantStore::default());
    for (slug, numbers) in shops {
        assert!(tenants.put_tenant(&profile(slug, numbers)).await.is_ok());
    }
    let provider = Provider::with(ProviderState { bundles: "twilio-approved".to_owned(), ..state });
    let store = Arc::new(MemoryProvisioningStore::new());
    let jobs = Arc::new(DeadJobs::default());
    let clock: Arc<dyn Clock> =
        Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 12, 14, 15, 0, 0).single().unwrap_or_default()));
    let providers = Providers {
        numbers: Some(provider.clone()),
        porting: Some(provider.clone()),
        registration: Some(provider.clone()),
    };
    let webhooks =
        NumberWebhooks::new("https://frontdesk.example.com", Some(FALLBACK)).unwrap_or_else(|e| panic!("{e}"));
    let provisioning = Provisioning::new(store.clone(), tenants.clone(), providers, webhooks, clock)
        .with_jobs(jobs.clone())
        .with_retries(1, Duration::ZERO);
    World { provisioning, provider, store, tenants, jobs }
}

async fn numbers_of(tenants: &MemoryTenantStore, slug: &str) -> Vec<String> {
    let record = tenants.get_tenant(&tenant(slug)).await.ok().flatten();
    record.map(|r| r.profile.phone_numbers().iter().map(E164::to_string).collect()).unwrap_or_default()
}

fn search() -> NumberSearch {
    NumberSearch::parse(Some("718"), None, None).unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn a_purchase_whose_reply_was_lost_is_finished_on_the_next_call_without_buying_again() {
    let w = world(
        ProviderState { for_sale: vec![number("+17185550123")], lose_next_reply: true, ..Default::default() },
        &[("shop-a", &[])],
    )
    .await;
    let shop = tenant("shop-a");
    let first = w.provisioning.buy_matching(&shop, &search()).await;
    assert!(matches!(&first, Err(e) if e.is_retryable()), "{first:?}");
    assert!(numbers_of(&w.tenants, "shop-a").await.is_empty());
    let order = w.store.number_order(&shop, &number("+17185550123")).await.ok().flatten();
    assert_eq!(order.map(|o| (o.state, o.attempts)), Some((NumberState::Chosen, 1)));

    let retried = w.provisioning.buy_matching(&shop, &search()).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((retried.order.state, retried.purchases_sent), (NumberState::Attached, 0));
    assert_eq!(w.provider.state().purchases, 1, "bought once");
    assert_eq!(w.provider.state().configured, 0, "the purchase set it up already");
    assert_eq!(numbers_of(&w.tenants, "shop-a").await, ["+17185550123"]);
}

#[tokio::test]
async fn an_orphan_labelled_for_the_shop_is_adopted_instead_of_buying_another() {
    let orphan = held(&number("+17185550199"), "frontdesk:shop-a");
    let w = world(
        ProviderState { for_sale: vec![number("+17185550123")], owned: vec![orphan], ..Default::default() },
        &[("shop-a", &[])],
    )
    .await;
    let outcome = w.provisioning.buy_matching(&tenant("shop-a"), &search()).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(outcome.order.number, number("+17185550199"));
    assert_eq!(w.provider.state().purchases, 0);
    assert_eq!(w.provider.state().configured, 1, "set up to reach the gateway");
    let owned = w.provider.state().owned[0].clone();
    assert_eq!(owned.voice_url.as_deref(), Some("https://frontdesk.example.com/twilio/voice"));
    assert_eq!(
        owned.voice_fallback_url.as_deref(),
        Some("https://handler.twilio.com/twiml/EH1?Owner=%2B15555559999"),
        "the owner's phone in the fallback"
    );
}

#[tokio::test]
async fn a_number_sold_meanwhile_gives_way_to_the_next_one() {
    let w = world(
        ProviderState {
            for_sale: vec![number("+17185550123"), number("+17185550124")],
            sold_elsewhere: vec![number("+17185550123")],
            ..Default::default()
        },
        &[("shop-a", &[])],
    )
    .await;
    let shop = tenant("shop-a");
    let outcome = w.provisioning.buy_matching(&shop, &search()).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(outcome.order.number, number("+17185550124"));
    let first = w.store.number_order(&shop, &number("+17185550123")).await.ok().flatten();
    assert_eq!(first.map(|o| o.state), Some(NumberState::Released), "not ours to finish");
}

#[tokio::test]
async fn a_number_of_another_shop_is_never_taken_and_sandboxes_get_none() {
    let theirs = held(&number("+17185550150"), "frontdesk:shop-b");
    let w =
        world(ProviderState { owned: vec![theirs], ..Default::default() }, &[("shop-a", &[]), ("shop-b", &[])]).await;
    let taken = w.provisioning.buy(&tenant("shop-a"), &number("+17185550150")).await;
    assert!(matches!(taken, Err(ProvisioningError::NumberTaken(_))), "{taken:?}");
    let taken = w.provisioning.assign(&tenant("shop-a"), &number("+17185550150")).await;
    assert!(matches!(taken, Err(ProvisioningError::NumberTaken(_))), "{taken:?}");
    let sandbox = profile("sandbox-1", &["+15555550142"]);
    assert!(w.tenants.create_sandbox(&sandbox).await.is_ok());
    let refused = w.provisioning.buy(&tenant("sandbox-1"), &number("+17185550123")).await;
    assert!(matches!(refused, Err(ProvisioningError::Sandbox(_))), "{refused:?}");
}

#[tokio::test]
async fn a_release_detaches_leaves_the_sender_pool_and_gives_the_number_back() {
    let line = number("+17185550123");
    let w =
        world(ProviderState { owned: vec![held(&line, "frontdesk:shop-a")], ..Default::default() }, &[("shop-a", &[])])
            .await;
    let shop = tenant("shop-a");
    assert!(w.provisioning.assign(&shop, &line).await.is_ok());
    let brand = BrandDetails {
        customer_profile: BundleSid::parse("BU0000000000000000000000000000000a").unwrap_or_else(|e| panic!("{e}")),
        a2p_profile: BundleSid::parse("BU0000000000000000000000000000000b").unwrap_or_else(|e| panic!("{e}")),
        brand_type: None,
        mock: true,
    };
    assert!(w.provisioning.start_registration(&shop, &brand).await.is_ok());
    assert_eq!(w.provider.state().senders.len(), 1, "the number texts through the shop's pool");

    let unconfirmed = w.provisioning.release(&shop, &line, "yes").await;
    assert!(matches!(unconfirmed, Err(ProvisioningError::Invalid(_))), "{unconfirmed:?}");
    assert_eq!(numbers_of(&w.tenants, "shop-a").await, ["+17185550123"], "nothing changed");

    let released = w.provisioning.release(&shop, &line, "+1 718 555 0123").await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(released.order.state, NumberState::Released);
    assert!(numbers_of(&w.tenants, "shop-a").await.is_empty());
    assert!(w.provider.state().senders.is_empty());
    assert_eq!(w.provider.state().released, vec![sid_for(&line)]);
    let again = w.provisioning.release(&shop, &line, "+17185550123").await;
    assert!(again.is_ok(), "released already is released: {again:?}");
}

#[tokio::test]
async fn porting_events_move_a_port_in_forward_and_never_back() {
    let w = world(ProviderState::default(), &[("shop-a", &[])]).await;
    let shop = tenant("shop-a");
    let application = PortInApplication {
        number: number("+17185550100"),
        customer_name: "Shop A LLC".to_owned(),
        authorized_representative: "Ana".to_owned(),
        authorized_representative_email: "ana@shop-a.example".to_owned(),
        customer_type: None,
        account_number: None,
        pin: None,
        address: None,
        documents: vec!["RD1".to_owned()],
        target_date: None,
    };
    let filed = w.provisioning.start_port_in(&shop, &application, None).await.unwrap_or_else(|e| panic!("{e}"));
    let again = w.provisioning.start_port_in(&shop, &application, None).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(again.sid, filed.sid, "an open port-in is not filed twice");
    let event = |status: &str, number: Option<&str>| PortingEvent {
        request: filed.sid.clone(),
        number: number.map(self::number),
        status: status.to_owned(),
        reason: None,
    };
    let status = |outcome: Result<PortEventOutcome, ProvisioningError>| match outcome {
        Ok(PortEventOutcome::Applied(record)) => ("applied", record.status),
        Ok(PortEventOutcome::Stale(record)) => ("stale", record.status),
        Ok(PortEventOutcome::Unknown) => ("unknown", PortInStatus::Canceled),
        Err(error) => panic!("{error}"),
    };
    assert_eq!(
        status(w.provisioning.apply_port_event(&event("In review", None)).await),
        ("applied", PortInStatus::InReview)
    );
    assert_eq!(
        status(w.provisioning.apply_port_event(&event("PortInCanceled", None)).await),
        ("applied", PortInStatus::Canceled)
    );
    assert_eq!(
        status(w.provisioning.apply_port_event(&event("In progress", None)).await),
        ("stale", PortInStatus::Canceled),
        "a canceled port stays canceled"
    );
    let unknown = w.provisioning.apply_port_event(&event("ported maybe", None)).await;
    assert!(matches!(unknown, Err(ProvisioningError::Invalid(_))), "{unknown:?}");
    let stored: Vec<PortIn> = w.store.port_ins(&shop).await.unwrap_or_default();
    assert_eq!(stored.len(), 1);
}

#[tokio::test]
async fn a_registration_goes_from_brand_to_verified_campaign_and_requeues_the_texts_that_gave_up() {
    let line = number("+17185550123");
    let w = world(
        ProviderState { owned: vec![held(&line, "frontdesk:shop-a")], ..Default::default() },
        &[("shop-a", &[]), ("shop-b", &[])],
    )
    .await;
    let shop = tenant("shop-a");
    assert!(w.provisioning.assign(&shop, &line).await.is_ok());
    let waiting = w.provisioning.texting_clearance(&shop, Some(&line)).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(&waiting, Clearance::Waiting(why) if why.contains("has not been submitted")), "{waiting:?}");
    let ours = dead_text(&shop, "waiting for texting registration: its texting campaign is under review");
    let failed_otherwise = dead_text(&shop, "invalid recipient number: 21211");
    let someone_elses = dead_text(&tenant("shop-b"), "waiting for texting registration: …");
    if let Ok(mut jobs) = w.jobs.jobs.lock() {
        jobs.extend([ours.clone(), failed_otherwise, someone_elses]);
    }

    let brand = BrandDetails {
        customer_profile: BundleSid::parse("BU0000000000000000000000000000000a").unwrap_or_else(|e| panic!("{e}")),
        a2p_profile: BundleSid::parse("BU0000000000000000000000000000000b").unwrap_or_else(|e| panic!("{e}")),
        brand_type: None,
        mock: false,
    };
    w.provider.state().bundles = "in-review".to_owned();
    let early = w.provisioning.start_registration(&shop, &brand).await;
    assert!(matches!(&early, Err(ProvisioningError::Invalid(why)) if why.contains("in-review")), "{early:?}");
    w.provider.state().bundles = "twilio-approved".to_owned();

    let started = w.provisioning.start_registration(&shop, &brand).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(started.brand_status, Some(BrandStatus::Pending));
    assert!(matches!(started.clearance(), Clearance::Waiting(why) if why.contains("brand is under review")));
    assert_eq!(w.provider.state().senders.len(), 1);

    w.provider.state().brand = Some(BrandStatus::Approved);
    let submitted = w.provisioning.refresh_registration(&shop).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(submitted.campaign_status, Some(CampaignStatus::InProgress));
    let again = w.provisioning.refresh_registration(&shop).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(again.campaign_status, Some(CampaignStatus::InProgress));
    assert_eq!(w.provider.state().campaigns_submitted, 1, "one campaign");
    assert!(w.jobs.retried.lock().map(|r| r.is_empty()).unwrap_or(false), "still waiting");

    w.provider.state().campaign = Some(CampaignStatus::Verified);
    assert_eq!(w.provisioning.refresh_all_registrations().await.ok(), Some(1));
    let cleared = w.provisioning.texting_clearance(&shop, Some(&line)).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cleared, Clearance::Cleared);
    assert_eq!(
        w.jobs.retried.lock().map(|r| r.clone()).unwrap_or_default(),
        vec![ours.id],
        "only its own waiting texts"
    );
    assert_eq!(
        w.provisioning.refresh_all_registrations().await.ok(),
        Some(0),
        "a settled registration is not asked about"
    );
}

#[tokio::test]
async fn a_shop_without_a_number_of_ours_texts_as_before() {
    let w = world(ProviderState::default(), &[("shop-a", &["+15555550100"])]).await;
    let clearance = w.provisioning.texting_clearance(&tenant("shop-a"), Some(&number("+15555550100"))).await;
    assert_eq!(clearance.ok(), Some(Clearance::Cleared));
}

#[tokio::test]
async fn a_refresh_asks_about_open_port_ins_and_a_completed_one_attaches_the_number() {
    let old_line = number("+17185550100");
    let w = world(ProviderState::default(), &[("shop-a", &[])]).await;
    let shop = tenant("shop-a");
    let application = PortInApplication {
        number: old_line.clone(),
        customer_name: "Shop A LLC".to_owned(),
        authorized_representative: "Ana".to_owned(),
        authorized_representative_email: "ana@shop-a.example".to_owned(),
        customer_type: None,
        account_number: None,
        pin: None,
        address: None,
        documents: vec!["RD1".to_owned()],
        target_date: None,
    };
    assert!(w.provisioning.start_port_in(&shop, &application, None).await.is_ok());
    w.provider.state().port = Some(("In progress".to_owned(), (old_line.clone(), "Pending".to_owned())));
    let refreshed = w.provisioning.refresh_port_ins(Some(&shop)).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(refreshed.iter().map(|p| p.status).collect::<Vec<_>>(), [PortInStatus::InProgress]);

    // Ported: the account holds the line now.
    {
        let mut state = w.provider.state();
        state.port = Some(("Completed".to_owned(), (old_line.clone(), "Completed".to_owned())));
        state.owned.push(held(&old_line, "(718) 555-0100"));
    }
    let refreshed = w.provisioning.refresh_port_ins(None).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(refreshed.iter().map(|p| p.status).collect::<Vec<_>>(), [PortInStatus::Completed]);
    assert_eq!(numbers_of(&w.tenants, "shop-a").await, ["+17185550100"], "the ported line reaches the shop");
    assert!(w.provisioning.refresh_port_ins(None).await.is_ok_and(|r| r.is_empty()), "nothing open any more");
}
