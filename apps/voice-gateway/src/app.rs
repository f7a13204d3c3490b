//! The composition root: adapters chosen from settings, wired into one router.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::header::AUTHORIZATION;
use axum::http::{Request, StatusCode};
use frontdesk_audit::AuditLog;
use frontdesk_auth::TokenSecret;
use frontdesk_billing::{BillingStore, Invoicing, Metering, Plans};
use frontdesk_calendar::BookingService;
use frontdesk_core::{Clock, IdGenerator, Readiness, SystemClock, UuidV7Ids};
use frontdesk_flags::FlagService;
use frontdesk_jobs::{JobAdmin, JobQueue, Worker};
use frontdesk_messaging::MessageLog;
use frontdesk_routing::{CallSession, CallStore, CallbackStore, InboundTexts, PlanAllowance};

/// How long after a call's first "completed" report its duration is
/// checked against Twilio's record (Twilio has settled it by then).
const DURATION_CHECK_DELAY: chrono::Duration = chrono::Duration::minutes(2);
use frontdesk_runtime::{
    Backend, Billing, Settings, WorkerAdapters, build_billing, build_booking_service, build_call_ledger,
    build_embedders, build_external_calendar, build_language_model, build_message_transcription, build_messaging,
    build_outbound_calls, build_provisioning, build_worker, open_backend,
};
use frontdesk_stripe::WebhookVerifier;
use frontdesk_tenant::{TenantDirectory, TenantStore};
use secrecy::ExposeSecret;
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnRequest, DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::{admin, demo, error, health};

/// What every handler can reach. Ports only: handlers never see an adapter.
#[derive(Clone)]
pub struct AppState {
    pub tenants: Arc<dyn TenantStore>,
    /// The tenants by phone number, cached for the call path; forget a
    /// tenant here after changing it.
    pub directory: Arc<TenantDirectory>,
    pub calls: Arc<dyn CallStore>,
    pub callbacks: Arc<dyn CallbackStore>,
    pub messages: Arc<dyn MessageLog>,
    pub bookings: Arc<BookingService>,
    pub jobs: Arc<dyn JobQueue>,
    pub job_admin: Arc<dyn JobAdmin>,
    pub readiness: Arc<[Arc<dyn Readiness>]>,
    pub flags: Arc<FlagService>,
    pub metering: Arc<Metering>,
    pub invoicing: Arc<Invoicing>,
    pub billing: Arc<dyn BillingStore>,
    /// Plan changes (and the payment provider's setup jobs they cause).
    pub plans: Arc<Plans>,
    pub stripe_webhook: Arc<WebhookVerifier>,
    pub audit: Arc<dyn AuditLog>,
    /// The documents owners add to their shop's knowledge.
    pub knowledge: Arc<dyn frontdesk_rag::KnowledgeStore>,
    /// Questions answered from a shop's profile and documents.
    pub retriever: Arc<frontdesk_rag::Retriever>,
    /// An embedding model is configured: a change to a shop's knowledge (a
    /// document, its profile, an answered question) enqueues its reindex.
    pub reindex_knowledge: bool,
    pub ids: Arc<dyn IdGenerator>,
    pub clock: Arc<dyn Clock>,
    pub tokens: Arc<TokenSecret>,
    pub version: &'static str,
    /// The Twilio webhooks; `None` serves them as 404 (embedding without telephony).
    pub twilio: Option<crate::twilio::Telephony>,
    /// Calling customers back (the owner rung first); `None` without a
    /// provider that places calls (the embedded default).
    pub calling_back: Option<Arc<frontdesk_routing::CallingBack>>,
    /// The web pages' sign-in and sessions.
    pub web: crate::web::Web,
    /// Numbers, port-ins and texting registration (no provider: those
    /// steps answer that none is configured).
    pub provisioning: Arc<frontdesk_provisioning::Provisioning>,
    /// Calls' Media Streams bridged to a realtime voice model; `None`
    /// serves `/twilio/stream/…` as 404.
    pub realtime: Option<Arc<crate::realtime::RealtimeStreams>>,
    /// The gateway's metrics, recorded as calls go.
    pub metrics: Arc<crate::metrics::Metrics>,
    /// Who may read them at `/metrics` (`FRONTDESK_METRICS_TOKEN`); `None`
    /// serves `/metrics` as 404.
    pub metrics_token: Option<crate::metrics::MetricsToken>,
}

impl AppState {
    /// The state over one backend's ports and the billing services.
    pub fn new(
        backend: &Backend,
        billing: &Billing,
        bookings: Arc<BookingService>,
        clock: Arc<dyn Clock>,
        tokens: TokenSecret,
        stripe_webhook: WebhookVerifier,
        twilio: Option<crate::twilio::TwilioSettings>,
    ) -> AppState {
        let directory = Arc::new(TenantDirectory::new(backend.tenants.clone(), clock.clone()));
        follow_tenant_changes(&directory, &billing.flags);
        let public_base_url = twilio
            .as_ref()
            .map(|settings| settings.public_base_url.clone())
            .unwrap_or_else(|| "http://localhost".to_owned());
        let twilio = twilio.map(|settings| crate::twilio::Telephony {
            public_base_url: settings.public_base_url,
            validator: settings.validator,
            session: Arc::new({
                let session = CallSession::new(
                    backend.calls.clone(),
                    settings.dialogue,
                    Arc::new(PlanAllowance::new(billing.flags.clone(), billing.metering.clone())),
                );
                let link = format!("{public_base_url}/app/callbacks");
                let session = session.with_callbacks(backend.callbacks.clone(), backend.jobs.clone(), link);
                let session = if settings.transcribe_messages { session.transcribing_messages() } else { session };
                if settings.check_durations {
                    session.with_duration_checks(backend.jobs.clone(), DURATION_CHECK_DELAY)
                } else {
                    session
                }
            }),
            texts: Arc::new(InboundTexts::new(
                backend.messages.clone(),
                billing.flags.clone(),
                billing.metering.clone(),
                bookings.clone(),
                backend.jobs.clone(),
            )),
            directory: directory.clone(),
        });
        AppState {
            tenants: backend.tenants.clone(),
            directory,
            calls: backend.calls.clone(),
            callbacks: backend.callbacks.clone(),
            messages: backend.messages.clone(),
            bookings,
            jobs: backend.jobs.clone(),
            job_admin: backend.job_admin.clone(),
            readiness: Arc::from(vec![backend.readiness.clone()]),
            flags: billing.flags.clone(),
            metering: billing.metering.clone(),
            invoicing: billing.invoicing.clone(),
            billing: backend.billing.clone(),
            plans: billing.plans.clone(),
            stripe_webhook: Arc::new(stripe_webhook),
            audit: backend.audit.clone(),
            knowledge: backend.knowledge.clone(),
            retriever: Arc::new(frontdesk_rag::Retriever::new(backend.knowledge.clone())),
            reindex_knowledge: false,
            provisioning: Arc::new(frontdesk_provisioning::Provisioning::new(
                backend.provisioning.clone(),
                backend.tenants.clone(),
                frontdesk_provisioning::Providers::default(),
                frontdesk_provisioning::NumberWebhooks::new(&public_base_url, None).unwrap_or_default(),
                clock.clone(),
            )),
            ids: Arc::new(UuidV7Ids),
            clock,
            tokens: Arc::new(tokens),
            version: env!("CARGO_PKG_VERSION"),
            twilio,
            calling_back: None,
            realtime: None,
            metrics: Arc::new(crate::metrics::Metrics::default()),
            metrics_token: None,
            web: crate::web::Web::new(
                Arc::new(frontdesk_auth::web::WebLogins::new(backend.web_auth.clone())),
                Arc::new(frontdesk_routing::OutboxMessaging),
                true,
                public_base_url,
            ),
        }
    }
}

/// Other gateway processes announce tenant changes on the shared flag
/// cache's channel: the directory forgets those tenants at once.
fn follow_tenant_changes(directory: &Arc<TenantDirectory>, flags: &FlagService) {
    let Some(mut changes) = flags.invalidations() else { return };
    let directory = Arc::downgrade(directory);
    tokio::spawn(async move {
        loop {
            let change = changes.recv().await;
            let Some(directory) = directory.upgrade() else { break };
            match change {
                Ok(tenant) => directory.forget(&tenant),
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => directory.forget_all(),
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            }
        }
    });
}

/// Limits applied to every request.
#[derive(Debug, Clone, Copy)]
pub struct HttpLimits {
    pub request_timeout: Duration,
    pub body_limit_bytes: usize,
}

/// The whole HTTP surface, given its ports.
pub fn router(state: AppState, limits: HttpLimits) -> Router {
    // Outermost last: request ids and tracing see every response, including
    // the JSON-ified errors produced by the inner layers.
    let observability = ServiceBuilder::new()
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(SetSensitiveRequestHeadersLayer::new([AUTHORIZATION]))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request<_>| {
                    let request_id = request.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
                    tracing::info_span!(
                        "request",
                        method = %request.method(),
                        path = %request.uri().path(),
                        request_id = %request_id,
                        tenant_id = tracing::field::Empty,
                        admin_sub = tracing::field::Empty,
                    )
                })
                .on_request(DefaultOnRequest::new().level(Level::DEBUG))
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .layer(PropagateRequestIdLayer::x_request_id());
    let limits_layer = ServiceBuilder::new()
        .layer(CatchPanicLayer::new())
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, limits.request_timeout))
        .layer(DefaultBodyLimit::max(limits.body_limit_bytes));
    // Cookie-signed pages refuse cross-site form posts; the API (bearer
    // tokens) and the providers' webhooks (signatures) are outside it.
    let pages = crate::web::routes().layer(
        tower_http::csrf::CsrfLayer::new()
            .add_trusted_origin(&state.web.public_base_url)
            .unwrap_or_else(|_| tower_http::csrf::CsrfLayer::new()),
    );
    Router::new()
        .merge(health::routes())
        .merge(admin::routes())
        .merge(crate::twilio::routes())
        .merge(crate::realtime::routes())
        .merge(crate::metrics::routes())
        .merge(crate::porting::routes())
        .merge(crate::stripe::routes())
        .merge(pages)
        .fallback(no_route)
        .with_state(state)
        .layer(limits_layer)
        .layer(axum::middleware::map_response(error::json_errors))
        .layer(observability)
}

/// A URL no route serves: 404 naming it, so a stray path or a typo is
/// obvious from the reply.
async fn no_route(method: axum::http::Method, uri: axum::http::Uri) -> error::ApiError {
    error::ApiError::not_found(format!(
        "nothing is served at {method} {}; the admin API is under /admin/tenants/…, Twilio's webhooks under /twilio/…",
        uri.path()
    ))
}

/// A bound, ready-to-run gateway (with its in-process worker, if any).
pub struct Application {
    listener: TcpListener,
    router: Router,
    backend: &'static str,
    worker: Option<Worker>,
}

impl Application {
    /// Opens the store selected by `FRONTDESK_DATABASE_URL` (migrating it),
    /// seeds the demo tenants in demo mode, prepares the in-process worker
    /// when `FRONTDESK_RUN_WORKER` says so, and binds the listener.
    pub async fn build(settings: &Settings) -> anyhow::Result<Application> {
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let backend = open_backend(&settings.database, settings.database_max_connections, clock.clone()).await?;
        if settings.demo {
            demo::seed_demo_tenants(backend.tenants.as_ref()).await.context("seeding the demo tenants")?;
        }
        let calendar = build_external_calendar(settings, clock.clone())?;
        let messaging = build_messaging(settings)?;
        let ledger = build_call_ledger(settings)?;
        let embedders = build_embedders(settings)?;
        let check_durations = ledger.is_some();
        let billing = build_billing(&backend, settings, clock.clone()).await?;
        if settings.demo {
            demo::put_demo_tenants_on_their_plans(&billing, clock.now()).await.context("demo plans")?;
        }
        let stripe_webhook = WebhookVerifier::new(settings.stripe_webhook_secret.expose_secret())
            .context("FRONTDESK_STRIPE_WEBHOOK_SECRET")?;
        let page_messaging = messaging.clone();
        let worker = settings.run_worker.then(|| {
            let embedder = embedders.as_ref().map(|embedders| embedders.passages.clone());
            let adapters = WorkerAdapters { calendar: calendar.clone(), messaging, ledger, embedder };
            build_worker(&backend, settings, adapters, &billing, clock.clone(), "gateway")
        });
        let bookings = Arc::new(build_booking_service(&backend, settings, &billing, calendar, clock.clone()));
        let retriever = frontdesk_rag::Retriever::new(backend.knowledge.clone());
        let retriever = Arc::new(match &embedders {
            Some(embedders) => retriever.with_embedder(embedders.questions.clone()),
            None => retriever,
        });
        let dialogue = frontdesk_routing::Dialogue::new(bookings.clone()).with_knowledge(retriever.clone());
        let twilio = crate::twilio::TwilioSettings {
            public_base_url: settings.public_base_url.as_str().trim_end_matches('/').to_owned(),
            validator: Arc::new(frontdesk_twilio::RequestValidator::new(settings.twilio_auth_token.expose_secret())),
            dialogue: Arc::new(match build_language_model(settings)? {
                Some(model) => dialogue.with_model(model),
                None => dialogue,
            }),
            check_durations,
            transcribe_messages: build_message_transcription(settings)?.is_some(),
        };
        let tokens = TokenSecret::new(settings.admin_jwt_secret.expose_secret().as_bytes());
        let mut state = AppState::new(&backend, &billing, bookings, clock, tokens, stripe_webhook, Some(twilio));
        state.provisioning = build_provisioning(&backend, settings, state.clock.clone())?;
        // One retriever (and its cache) for the calls and the admin API.
        state.retriever = retriever;
        state.reindex_knowledge = embedders.is_some();
        // Calling customers back needs a provider that places calls.
        state.calling_back = build_outbound_calls(settings)?.map(|calls| {
            let base = settings.public_base_url.as_str().trim_end_matches('/').to_owned();
            Arc::new(frontdesk_routing::CallingBack::new(backend.callbacks.clone(), calls, base))
        });
        // Calls of Pro shops answered by the realtime voice model, when one
        // is configured; stream tokens signed apart from the admin tokens.
        state.realtime = frontdesk_runtime::build_realtime_voice(settings)?
            .map(|voice| Arc::new(crate::realtime::RealtimeStreams::from_settings(voice, settings)));
        state.metrics_token =
            settings.metrics_token.as_ref().map(|token| crate::metrics::MetricsToken::new(token.expose_secret()));
        // Texts go nowhere without a Twilio account (the embedded outbox).
        state.web = crate::web::Web::new(
            state.web.logins.clone(),
            page_messaging,
            settings.twilio_account_sid.is_none(),
            state.web.public_base_url.clone(),
        );
        let limits =
            HttpLimits { request_timeout: settings.request_timeout, body_limit_bytes: settings.body_limit_bytes };
        let listener = TcpListener::bind(settings.http_addr)
            .await
            .with_context(|| format!("cannot listen on {} (FRONTDESK_HTTP_ADDR)", settings.http_addr))?;
        Ok(Application { listener, router: router(state, limits), backend: backend.name, worker })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` completes, then lets in-flight requests finish
    /// and the in-process worker finish or release its jobs.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let addr = self.listener.local_addr()?;
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            shutdown.await;
            let _ = stop_tx.send(true);
        });
        let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|stop| *stop).await;
        };
        let worker = self.worker.map(|worker| tokio::spawn(worker.run(stopped(stop_rx.clone()))));
        tracing::info!(
            %addr,
            backend = self.backend,
            in_process_worker = worker.is_some(),
            version = env!("CARGO_PKG_VERSION"),
            "voice-gateway listening"
        );
        let served = axum::serve(self.listener, self.router.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(stopped(stop_rx))
            .await;
        if let Some(worker) = worker {
            match worker.await {
                Ok(Ok(_)) => {}
                Ok(Err(error)) => tracing::error!(%error, "the in-process worker failed"),
                Err(error) => tracing::error!(%error, "the in-process worker panicked"),
            }
        }
        served
    }
}

impl Application {
    /// Runs the gateway on the current runtime until [`RunningGateway::shutdown`]
    /// (or drop): for embedding it in another program or a test.
    pub fn spawn(self) -> std::io::Result<RunningGateway> {
        let addr = self.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(self.run_until(async {
            let _ = stopped.await;
        }));
        Ok(RunningGateway { addr, stop: Some(stop), server })
    }
}

/// A gateway serving in the background; stops gracefully when shut down or
/// dropped.
pub struct RunningGateway {
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl RunningGateway {
    /// `http://127.0.0.1:PORT`
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Starts a graceful shutdown without waiting for it.
    pub fn begin_shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    pub fn is_finished(&self) -> bool {
        self.server.is_finished()
    }

    /// Stops accepting, lets in-flight requests finish, and waits.
    pub async fn shutdown(mut self) -> std::io::Result<()> {
        self.begin_shutdown();
        (&mut self.server).await.map_err(std::io::Error::other)?
    }
}

impl Drop for RunningGateway {
    fn drop(&mut self) {
        self.begin_shutdown();
    }
}
