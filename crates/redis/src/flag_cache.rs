use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use fred::prelude::{
    Builder, Client, ClientLike, Config, Error as RedisError, EventInterface, Expiration, KeysInterface,
    PubsubInterface, ReconnectPolicy,
};
use fred::types::ConnectHandle;
use frontdesk_core::{Clock, TenantId};
use frontdesk_flags::{CacheError, FlagCache, LocalFlagCache, TenantFlagSettings};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How `RedisFlagCache` names things and how patient it is.
#[derive(Debug, Clone)]
pub struct RedisFlagCacheOptions {
    /// Prefix of the keys (`{namespace}:flags:{tenant}`) and of the
    /// invalidation channel (`{namespace}:flags:invalidate`). Processes that
    /// share flags must share the namespace; tests use their own.
    pub namespace: String,
    /// How long an entry lives, in this process and in Redis. It bounds how
    /// stale a process can be when an invalidation does not reach it.
    pub ttl: Duration,
    /// How long one Redis command may take before the cache gives up and the
    /// caller goes to the store.
    pub command_timeout: Duration,
    /// How long `connect` waits for the first connection before returning
    /// anyway (the connection is then retried in the background).
    pub startup_wait: Duration,
}

impl Default for RedisFlagCacheOptions {
    fn default() -> RedisFlagCacheOptions {
        RedisFlagCacheOptions {
            namespace: "frontdesk".to_owned(),
            ttl: LocalFlagCache::DEFAULT_TTL,
            command_timeout: Duration::from_millis(250),
            startup_wait: Duration::from_secs(1),
        }
    }
}

/// Why `RedisFlagCache::connect` refused to start. An unreachable Redis is
/// not one of them: that is retried in the background.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// Not `redis://`: `rediss://` (TLS), unix sockets, cluster and
    /// sentinel URLs are not supported by this build.
    #[error("unsupported Redis URL scheme {0:?}: expected redis:// (this build has no TLS for Redis)")]
    UnsupportedScheme(String),
    /// The URL does not parse (the message never repeats the URL, which may
    /// hold a password).
    #[error("invalid Redis URL: {0}")]
    InvalidUrl(String),
}

/// The `FlagCache` shared by every gateway process, in two levels: a
/// `LocalFlagCache` in this process, then Redis (`SET … EX ttl` of the
/// settings' text form under `{namespace}:flags:{tenant}`).
///
/// `invalidate` evicts the entry here, deletes the key and publishes the
/// tenant id on `{namespace}:flags:invalidate`; a task in every process
/// listens on that channel and evicts its own entry, so a change is seen
/// everywhere within milliseconds rather than after the TTL.
///
/// The first level is used only while this process is subscribed: a process
/// that might be missing invalidations reads Redis instead, and after its
/// subscriber reconnects it drops its whole first level. When Redis is down
/// every operation fails at once (or after `command_timeout`) with a
/// `CacheError`, and the connection is retried in the background.
///
/// Known gap, as with any cache filled after a store read: a fill racing a
/// concurrent change can write the old settings after the change's
/// invalidation; the TTL bounds how long that lasts.
pub struct RedisFlagCache {
    commands: Client,
    subscriber: Client,
    local: Arc<LocalFlagCache>,
    subscription: Arc<Subscription>,
    key_prefix: String,
    channel: String,
    ttl_seconds: i64,
    /// Off only for fred's mock layer, which never reports a connection.
    require_connection: bool,
    tasks: Vec<JoinHandle<()>>,
    connections: Vec<ConnectHandle>,
}

/// What the listener tells the cache about the invalidation channel.
struct Subscription {
    /// True while subscribed and no invalidation can have been missed since
    /// the first level was last cleared.
    live: watch::Sender<bool>,
    /// Bumped on every eviction, so a fill that raced one is not kept.
    evictions: AtomicU64,
    /// Every tenant an invalidation message named, for other caches of
    /// tenant data in this process.
    tenants: tokio::sync::broadcast::Sender<TenantId>,
}

impl Subscription {
    fn new() -> Subscription {
        Subscription {
            live: watch::Sender::new(false),
            evictions: AtomicU64::new(0),
            tenants: tokio::sync::broadcast::Sender::new(INVALIDATIONS_BUFFERED),
        }
    }

    fn is_live(&self) -> bool {
        *self.live.borrow()
    }

    fn set_live(&self, live: bool) {
        self.live.send_replace(live);
    }

    fn evictions(&self) -> u64 {
        self.evictions.load(Ordering::SeqCst)
    }

    fn evict(&self, local: &LocalFlagCache, tenant: &TenantId) {
        self.evictions.fetch_add(1, Ordering::SeqCst);
        local.evict(tenant);
    }

    fn clear(&self, local: &LocalFlagCache) {
        self.evictions.fetch_add(1, Ordering::SeqCst);
        local.clear();
    }
}

impl RedisFlagCache {
    /// Connects with the default options (namespace `frontdesk`, 30 s TTL,
    /// 250 ms per command). See `connect_with`.
    pub async fn connect(url: &str, clock: Arc<dyn Clock>) -> Result<RedisFlagCache, ConnectError> {
        RedisFlagCache::connect_with(url, clock, RedisFlagCacheOptions::default()).await
    }

    /// Starts the command and subscriber connections to the Redis at `url`
    /// (`redis://[user:password@]host[:port][/db]`) and the listener task.
    ///
    /// Fails only for a URL it cannot use. An unreachable Redis is logged and
    /// retried in the background, with backoff, for as long as the cache
    /// lives; meanwhile every operation returns `CacheError` at once. Waits at
    /// most `startup_wait` for the first connection.
    pub async fn connect_with(
        url: &str,
        clock: Arc<dyn Clock>,
        options: RedisFlagCacheOptions,
    ) -> Result<RedisFlagCache, ConnectError> {
        let config = redis_config(url)?;
        let builder = client_builder(config, &options);
        let build =
            |builder: &Builder| builder.build().map_err(|error| ConnectError::InvalidUrl(error.details().to_owned()));
        let commands = build(&builder)?;
        let subscriber = build(&builder)?;
        let mut cache = RedisFlagCache::new(commands, subscriber, clock, &options);

        // Take every event stream before connecting, so the first connection's
        // events are not missed.
        let events = SubscriberEvents {
            messages: cache.subscriber.message_rx(),
            reconnects: cache.subscriber.reconnect_rx(),
            errors: cache.subscriber.error_rx(),
        };
        let mut command_errors = cache.commands.error_rx();
        let mut subscriber_errors = cache.subscriber.error_rx();
        cache.connections = vec![cache.commands.connect(), cache.subscriber.connect()];
        cache.tasks.push(tokio::spawn(listen(
            cache.subscriber.clone(),
            events,
            cache.local.clone(),
            cache.subscription.clone(),
            cache.channel.clone(),
        )));

        let mut live = cache.subscription.live.subscribe();
        let ready = async {
            let commands_ready = cache.commands.wait_for_connect();
            let subscribed = live.wait_for(|live| *live);
            let _ = tokio::join!(commands_ready, subscribed);
        };
        let first_error = async {
            tokio::select! {
                error = command_errors.recv() => error,
                error = subscriber_errors.recv() => error,
            }
        };
        let outcome = tokio::time::timeout(options.startup_wait, async {
            tokio::select! {
                () = ready => None,
                error = first_error => error.ok().map(|(error, _)| error),
            }
        })
        .await;
        match outcome {
            Ok(None) => tracing::info!(namespace = %options.namespace, "flag cache connected to Redis"),
            Ok(Some(error)) => tracing::warn!(
                error = %error,
                "flag cache cannot reach Redis; flags come from the store until it does (retrying in the background)"
            ),
            Err(_) => tracing::warn!(
                waited_ms = options.startup_wait.as_millis(),
                "flag cache not connected to Redis yet; flags come from the store until it is (retrying in the background)"
            ),
        }
        Ok(cache)
    }

    fn new(
        commands: Client,
        subscriber: Client,
        clock: Arc<dyn Clock>,
        options: &RedisFlagCacheOptions,
    ) -> RedisFlagCache {
        RedisFlagCache {
            commands,
            subscriber,
            local: Arc::new(LocalFlagCache::with_ttl(clock, options.ttl)),
            subscription: Arc::new(Subscription::new()),
            key_prefix: format!("{}:flags:", options.namespace),
            channel: format!("{}:flags:invalidate", options.namespace),
            ttl_seconds: i64::try_from(options.ttl.as_secs()).unwrap_or(i64::MAX).max(1),
            require_connection: true,
            tasks: Vec::new(),
            connections: Vec::new(),
        }
    }

    /// Whether both connections are up and invalidations are being received:
    /// for readiness reports. The cache works (through the store) without.
    pub fn is_connected(&self) -> bool {
        self.commands.is_connected() && self.subscriber.is_connected() && self.subscription.is_live()
    }

    /// Stops the listener and closes both connections, waiting at most a
    /// second for Redis to acknowledge. Dropping the cache also stops
    /// everything, just less politely.
    pub async fn quit(&self) {
        for task in &self.tasks {
            task.abort();
        }
        self.subscription.set_live(false);
        let quit_both = async {
            let _ = tokio::join!(self.commands.quit(), self.subscriber.quit());
        };
        // Nothing to do about a failed QUIT: the connections are dropped next.
        let _ = tokio::time::timeout(Duration::from_secs(1), quit_both).await;
        for connection in &self.connections {
            connection.abort();
        }
    }

    fn key(&self, tenant: &TenantId) -> String {
        format!("{}{}", self.key_prefix, tenant.as_str())
    }

    fn local_usable(&self) -> bool {
        self.subscription.is_live() && self.subscriber.is_connected()
    }

    /// Fails at once, rather than after the command timeout, while the
    /// command connection is known to be down.
    fn ensure_connected(&self) -> Result<(), CacheError> {
        if self.require_connection && !self.commands.is_connected() {
            return Err(CacheError("not connected to Redis (reconnecting in the background)".to_owned()));
        }
        Ok(())
    }

    /// Keeps `settings` in the first level, unless an eviction happened since
    /// `evictions_before` (the settings may be the ones it evicted) or the
    /// subscription is down (an eviction may be missed).
    fn fill_local(&self, tenant: &TenantId, settings: &TenantFlagSettings, evictions_before: u64) {
        if self.local_usable() && self.subscription.evictions() == evictions_before {
            self.local.store(tenant, settings);
        }
    }
}

impl Drop for RedisFlagCache {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
        // Aborting the connection tasks drops their sockets.
        for connection in &self.connections {
            connection.abort();
        }
    }
}

#[async_trait]
impl FlagCache for RedisFlagCache {
    async fn get(&self, tenant: &TenantId) -> Result<Option<TenantFlagSettings>, CacheError> {
        if self.local_usable()
            && let Some(settings) = self.local.lookup(tenant)
        {
            return Ok(Some(settings));
        }
        self.ensure_connected()?;
        let evictions_before = self.subscription.evictions();
        let text: Option<String> = self.commands.get(self.key(tenant)).await.map_err(cache_error)?;
        let Some(text) = text else {
            return Ok(None);
        };
        let settings = TenantFlagSettings::decode(&text)
            .map_err(|error| CacheError(format!("unreadable cached flags for tenant {tenant}: {error}")))?;
        self.fill_local(tenant, &settings, evictions_before);
        Ok(Some(settings))
    }

    async fn put(&self, tenant: &TenantId, settings: &TenantFlagSettings) -> Result<(), CacheError> {
        self.ensure_connected()?;
        let evictions_before = self.subscription.evictions();
        let expiry = Some(Expiration::EX(self.ttl_seconds));
        let () =
            self.commands.set(self.key(tenant), settings.encode(), expiry, None, false).await.map_err(cache_error)?;
        self.fill_local(tenant, settings, evictions_before);
        Ok(())
    }

    fn invalidations(&self) -> Option<tokio::sync::broadcast::Receiver<TenantId>> {
        Some(self.subscription.tenants.subscribe())
    }

    async fn invalidate(&self, tenant: &TenantId) -> Result<(), CacheError> {
        self.subscription.evict(&self.local, tenant);
        self.ensure_connected()?;
        // Delete before telling: a process that evicts on the message and
        // reads again must not find the old entry in Redis.
        let _deleted: i64 = self.commands.del(self.key(tenant)).await.map_err(cache_error)?;
        let _receivers: i64 =
            self.commands.publish(self.channel.as_str(), tenant.as_str()).await.map_err(cache_error)?;
        Ok(())
    }
}

fn cache_error(error: RedisError) -> CacheError {
    CacheError(format!("redis: {error}"))
}

/// Accepts only plain `redis://` URLs to one server: fred would otherwise
/// only warn about a `rediss://` URL in a build without TLS, then fail in
/// confusing ways.
fn redis_config(url: &str) -> Result<Config, ConnectError> {
    let scheme = url.split_once("://").map(|(scheme, _)| scheme).unwrap_or_default();
    if !scheme.eq_ignore_ascii_case("redis") {
        return Err(ConnectError::UnsupportedScheme(scheme.to_owned()));
    }
    // The URL may hold a password: report fred's reason, never the URL.
    let mut config =
        Config::from_url_centralized(url).map_err(|error| ConnectError::InvalidUrl(error.details().to_owned()))?;
    // Keep retrying a first connection that fails instead of giving up:
    // Redis may come up after us.
    config.fail_fast = false;
    Ok(config)
}

fn client_builder(config: Config, options: &RedisFlagCacheOptions) -> Builder {
    let mut builder = Builder::from_config(config);
    builder
        .with_connection_config(|connection| {
            connection.connection_timeout = Duration::from_secs(1);
            connection.internal_command_timeout = Duration::from_secs(1);
            // A command caught by a dropped connection fails rather than
            // waiting for the reconnection: the store answers instead.
            connection.max_command_attempts = 1;
            // A connection that stops answering is replaced instead of making
            // every command wait for its timeout.
            connection.unresponsive.max_timeout = Some(Duration::from_secs(2));
            connection.unresponsive.interval = Duration::from_millis(500);
        })
        .with_performance_config(|performance| {
            performance.default_command_timeout = options.command_timeout;
        })
        // Forever (0 attempts = no limit), 100 ms doubling up to 5 s.
        .set_policy(ReconnectPolicy::new_exponential(0, 100, 5_000, 2));
    builder
}

struct SubscriberEvents {
    messages: tokio::sync::broadcast::Receiver<fred::types::Message>,
    reconnects: tokio::sync::broadcast::Receiver<fred::types::config::Server>,
    errors: tokio::sync::broadcast::Receiver<(RedisError, Option<fred::types::config::Server>)>,
}

/// Invalidations held for a follower that has not read them yet; one that
/// falls further behind is told it lagged and forgets everything.
const INVALIDATIONS_BUFFERED: usize = 1024;

/// How often the listener retries a subscription that failed while the
/// connection stayed up.
const RESUBSCRIBE_INTERVAL: Duration = Duration::from_secs(2);

/// Evicts first-level entries as invalidations arrive, and keeps the
/// subscription (and `Subscription::live`) in step with the connection.
async fn listen(
    subscriber: Client,
    mut events: SubscriberEvents,
    local: Arc<LocalFlagCache>,
    subscription: Arc<Subscription>,
    channel: String,
) {
    let mut resubscribe = tokio::time::interval(RESUBSCRIBE_INTERVAL);
    resubscribe.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            message = events.messages.recv() => match message {
                Ok(message) if *message.channel == *channel => {
                    let tenant = message.value.as_string().and_then(|raw| TenantId::parse(&raw).ok());
                    match tenant {
                        Some(tenant) => {
                            subscription.evict(&local, &tenant);
                            // Nobody may be following: that is fine.
                            let _ = subscription.tenants.send(tenant);
                        }
                        None => tracing::warn!(channel = %channel, "ignoring a flag invalidation that is not a tenant id"),
                    }
                }
                Ok(_) => {}
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "flag invalidations arrived faster than handled; dropping the local flag cache");
                    subscription.clear(&local);
                }
                Err(RecvError::Closed) => break,
            },
            reconnect = events.reconnects.recv() => match reconnect {
                Ok(_) | Err(RecvError::Lagged(_)) => subscribe(&subscriber, &local, &subscription, &channel).await,
                Err(RecvError::Closed) => break,
            },
            error = events.errors.recv() => match error {
                Ok((error, _)) => {
                    if subscription.is_live() {
                        tracing::warn!(%error, "flag invalidation subscriber lost Redis; reading flags from Redis or the store until it is back");
                    }
                    subscription.set_live(false);
                }
                Err(RecvError::Lagged(_)) => subscription.set_live(false),
                Err(RecvError::Closed) => break,
            },
            _ = resubscribe.tick() => {
                if !subscription.is_live() && subscriber.is_connected() {
                    subscribe(&subscriber, &local, &subscription, &channel).await;
                }
            }
        }
    }
    subscription.set_live(false);
}

/// (Re)subscribes after a connection: invalidations sent while the
/// subscriber was away are lost, so the first level starts empty.
async fn subscribe(subscriber: &Client, local: &LocalFlagCache, subscription: &Subscription, channel: &str) {
    subscription.set_live(false);
    subscription.clear(local);
    match subscriber.subscribe(channel).await {
        Ok(()) => {
            // A read that started before now may hold settings an
            // invalidation sent before the subscription took effect replaced.
            subscription.evictions.fetch_add(1, Ordering::SeqCst);
            subscription.set_live(true);
        }
        Err(error) => {
            tracing::warn!(%error, channel, "cannot subscribe to flag invalidations; will retry");
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Mutex;

    use chrono::{TimeZone, Utc};
    use fred::mocks::{MockCommand, Mocks};
    use fred::prelude::Value;
    use frontdesk_core::{ManualClock, Plan};
    use frontdesk_flags::Flag;

    use super::*;

    /// A Redis that keeps strings in a map and writes down every command as
    /// text (`SET key value EX 30`).
    #[derive(Debug, Default)]
    struct RecordingRedis {
        strings: Mutex<HashMap<String, String>>,
        commands: Mutex<Vec<String>>,
    }

    impl RecordingRedis {
        fn take_commands(&self) -> Vec<String> {
            std::mem::take(&mut *self.commands.lock().unwrap_or_else(|poisoned| poisoned.into_inner()))
        }

        fn insert(&self, key: &str, value: &str) {
            self.strings
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .insert(key.to_owned(), value.to_owned());
        }
    }

    impl Mocks for RecordingRedis {
        fn process_command(&self, command: MockCommand) -> Result<Value, RedisError> {
            let args: Vec<String> = command.args.iter().map(|arg| arg.as_string().unwrap_or_default()).collect();
            let mut line = vec![command.cmd.to_string()];
            line.extend(args.iter().cloned());
            self.commands.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push(line.join(" "));
            let mut strings = self.strings.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let key = args.first().cloned().unwrap_or_default();
            Ok(match &*command.cmd {
                "GET" => strings.get(&key).map_or(Value::Null, |value| Value::String(value.as_str().into())),
                "SET" => {
                    strings.insert(key, args.get(1).cloned().unwrap_or_default());
                    Value::from_static_str("OK")
                }
                "DEL" => Value::Integer(i64::from(strings.remove(&key).is_some())),
                _ => Value::Integer(0),
            })
        }
    }

    async fn mocked_cache() -> (RedisFlagCache, Arc<RecordingRedis>) {
        let redis = Arc::new(RecordingRedis::default());
        let build = || {
            let config = Config { mocks: Some(redis.clone()), ..Config::default() };
            Builder::from_config(config).build().unwrap_or_else(|error| panic!("{error}"))
        };
        let (commands, subscriber) = (build(), build());
        for client in [&commands, &subscriber] {
            client.init().await.unwrap_or_else(|error| panic!("{error}"));
        }
        let start = Utc.with_ymd_and_hms(2026, 3, 8, 6, 0, 0).single().unwrap_or_default();
        let clock = Arc::new(ManualClock::new(start));
        let mut cache = RedisFlagCache::new(commands, subscriber, clock, &RedisFlagCacheOptions::default());
        cache.require_connection = false;
        (cache, redis)
    }

    fn tenant() -> TenantId {
        TenantId::parse("fresh-cuts").unwrap_or_else(|error| panic!("{error}"))
    }

    #[tokio::test]
    async fn put_get_and_invalidate_send_the_expected_commands() {
        let (cache, redis) = mocked_cache().await;
        let mut settings = TenantFlagSettings::on_plan(Plan::Pro);
        settings.overrides.insert(Flag::EnableRag, false);

        assert!(cache.put(&tenant(), &settings).await.is_ok());
        assert_eq!(redis.take_commands(), ["SET frontdesk:flags:fresh-cuts v1;plan=pro;enable_rag=0 EX 30"]);

        assert_eq!(cache.get(&tenant()).await.ok(), Some(Some(settings)));
        assert_eq!(redis.take_commands(), ["GET frontdesk:flags:fresh-cuts"]);

        assert!(cache.invalidate(&tenant()).await.is_ok());
        assert_eq!(
            redis.take_commands(),
            ["DEL frontdesk:flags:fresh-cuts", "PUBLISH frontdesk:flags:invalidate fresh-cuts"]
        );
        assert_eq!(cache.get(&tenant()).await.ok(), Some(None));
    }

    #[tokio::test]
    async fn an_unreadable_entry_is_a_cache_error_not_a_miss() {
        let (cache, redis) = mocked_cache().await;
        redis.insert("frontdesk:flags:fresh-cuts", "v9;whatever");
        let error = cache.get(&tenant()).await.err().map(|error| error.to_string()).unwrap_or_default();
        assert!(error.contains("unsupported flag settings version"), "{error}");
    }

    #[test]
    fn only_plain_redis_urls_are_accepted() {
        assert!(redis_config("redis://127.0.0.1:6379/2").is_ok());
        assert!(redis_config("REDIS://localhost").is_ok());
        for (url, scheme) in [("rediss://secret@host:6380", "rediss"), ("http://host", "http"), ("host:6379", "")] {
            match redis_config(url) {
                Err(ConnectError::UnsupportedScheme(found)) => assert_eq!(found, scheme),
                other => panic!("{url}: expected an unsupported scheme, got {other:?}"),
            }
        }
        assert!(matches!(redis_config("redis://"), Err(ConnectError::InvalidUrl(_))));
    }
}
