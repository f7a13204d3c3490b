//! Syncing: one at a time (`Syncer`), on a schedule (`sync_every`) and on
//! demand; the sync itself is the domain's `sync_once`.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};
use std::sync::{Arc, PoisonError};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use frontdesk_core::Clock;
use frontdesk_inventory::{InventorySource, SheetSink, SyncOptions, SyncReport, SyncStores, sync_once};

/// What asked for a sync (logged with each run).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    Startup,
    Schedule,
    Button,
}

impl Trigger {
    fn as_str(self) -> &'static str {
        match self {
            Trigger::Startup => "startup",
            Trigger::Schedule => "schedule",
            Trigger::Button => "button",
        }
    }
}

/// How a requested sync went.
#[derive(Debug)]
pub enum SyncOutcome {
    Synced(Box<SyncReport>),
    Failed(String),
    /// Another sync was running; this one did not start.
    AlreadyRunning,
}

/// What the page and `/health` say about the syncs so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncStatus {
    /// The last successful sync (from the store at startup).
    pub last_sync: Option<DateTime<Utc>>,
    /// Why the last sync failed; cleared by a successful one.
    pub last_error: Option<String>,
    /// One line on what the last successful sync of this process did.
    pub last_summary: Option<String>,
    /// Since when the QtySold column counts sales (from the store at
    /// startup, then from each successful sync); `None` when not known.
    pub sales_since: Option<DateTime<Utc>>,
}

/// Runs `sync_once`, never two at once, and remembers how the last went.
pub struct Syncer {
    source: Arc<dyn InventorySource>,
    sink: Arc<dyn SheetSink>,
    stores: SyncStores,
    options: SyncOptions,
    clock: Arc<dyn Clock>,
    running: Arc<tokio::sync::Mutex<()>>,
    status: std::sync::Mutex<SyncStatus>,
    /// Counts finished syncs, so a page cache knows the workbook moved on.
    finished: AtomicU64,
}

impl Syncer {
    pub async fn new(
        source: Arc<dyn InventorySource>,
        sink: Arc<dyn SheetSink>,
        stores: SyncStores,
        options: SyncOptions,
        clock: Arc<dyn Clock>,
    ) -> Arc<Syncer> {
        let (last_sync, sales_since) = match stores.state.load_sync_state(&options.key).await {
            Ok(saved) => (saved.last_sync, saved.sales_since),
            Err(error) => {
                tracing::warn!(%error, "the sync state cannot be read; the next sync will say why");
                (None, None)
            }
        };
        Arc::new(Syncer {
            source,
            sink,
            stores,
            options,
            clock,
            running: Arc::new(tokio::sync::Mutex::new(())),
            status: std::sync::Mutex::new(SyncStatus { last_sync, sales_since, ..SyncStatus::default() }),
            finished: AtomicU64::new(0),
        })
    }

    /// How many syncs of this process have finished (either way).
    pub fn finished_syncs(&self) -> u64 {
        self.finished.load(AtomicOrdering::Acquire)
    }

    pub fn status(&self) -> SyncStatus {
        self.status.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Whether a sync is running right now.
    pub fn is_running(&self) -> bool {
        self.running.try_lock().is_err()
    }

    /// Waits until no sync is running (for a clean shutdown).
    pub async fn wait_idle(&self) {
        drop(self.running.lock().await);
    }

    /// One sync now, unless one is running. The sync runs in its own task,
    /// so a caller that goes away (a closed browser tab) cannot stop it
    /// halfway.
    pub async fn run(self: &Arc<Self>, trigger: Trigger) -> SyncOutcome {
        let Ok(guard) = Arc::clone(&self.running).try_lock_owned() else {
            tracing::info!(trigger = trigger.as_str(), "a sync is already running; not starting another");
            return SyncOutcome::AlreadyRunning;
        };
        let syncer = Arc::clone(self);
        let task = tokio::spawn(async move {
            let _running = guard;
            syncer.sync(trigger).await
        });
        match task.await {
            Ok(outcome) => outcome,
            Err(error) => {
                let message = format!("the sync stopped unexpectedly: {error}");
                tracing::error!(trigger = trigger.as_str(), %error, "the sync stopped unexpectedly");
                self.status.lock().unwrap_or_else(PoisonError::into_inner).last_error = Some(message.clone());
                SyncOutcome::Failed(message)
            }
        }
    }

    async fn sync(&self, trigger: Trigger) -> SyncOutcome {
        let started = Instant::now();
        let now = self.clock.now();
        let result = sync_once(self.source.as_ref(), self.sink.as_ref(), &self.stores, &self.options, now).await;
        // Even a failed sync may have written some worksheets.
        self.finished.fetch_add(1, AtomicOrdering::Release);
        let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let mut status = self.status.lock().unwrap_or_else(PoisonError::into_inner);
        match result {
            Ok(report) => {
                log_report(trigger, &report, elapsed_ms);
                status.last_sync = Some(now);
                status.last_error = None;
                status.last_summary = Some(report.plain());
                status.sales_since = report.sales_since;
                SyncOutcome::Synced(Box::new(report))
            }
            Err(error) => {
                tracing::error!(trigger = trigger.as_str(), elapsed_ms, %error, "sync failed");
                status.last_error = Some(error.to_string());
                SyncOutcome::Failed(error.to_string())
            }
        }
    }
}

/// Syncs now, then every `every` until the task is dropped. A scheduled
/// sync that finds one running (from the button) is skipped; a sync that
/// takes longer than `every` delays the next one rather than piling up.
pub async fn sync_every(syncer: Arc<Syncer>, every: Duration) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut trigger = Trigger::Startup;
    loop {
        ticks.tick().await;
        syncer.run(trigger).await;
        trigger = Trigger::Schedule;
    }
}

fn log_report(trigger: Trigger, report: &SyncReport, elapsed_ms: u64) {
    tracing::info!(
        trigger = trigger.as_str(),
        elapsed_ms,
        products_fetched = report.products_fetched,
        stock_levels_fetched = report.stock_levels_fetched,
        sales_fetched = report.sales_fetched,
        added = report.merge.added.len(),
        changed = report.merge.changed.len(),
        removed = report.merge.removed.len(),
        sale_lines_applied = report.sales.applied.len(),
        sale_lines_reversed = report.sales.reversed.len(),
        sale_lines_already_applied = report.sales.duplicates.len(),
        sale_lines_waiting = report.sales.open.len(),
        inventory_rows = report.inventory_rows,
        restock_rows = report.restock_rows,
        write_requests = report.write.write_requests,
        rows_written = report.write.rows_written,
        "sync finished"
    );
    for unknown in &report.sales.unknown {
        tracing::warn!(trigger = trigger.as_str(), "{unknown}");
    }
    for clamp in &report.sales.clamped {
        tracing::warn!(trigger = trigger.as_str(), "{clamp}");
    }
    for problem in &report.merge.problems {
        tracing::warn!(trigger = trigger.as_str(), "{problem}");
    }
    for warning in &report.config_warnings {
        tracing::warn!(trigger = trigger.as_str(), "Config: {warning}");
    }
}

/// Reads a humane duration: a number and a unit, repeated (`90s`, `15m`,
/// `1h`, `1h30m`, `2d`; units s, m, h, d). Zero and more than 365 days are
/// refused.
pub fn parse_every(raw: &str) -> Result<Duration, String> {
    let explain =
        || format!("{raw:?} is not a duration: use a number and a unit, like 15m, 1h or 1h30m (units: s, m, h, d)");
    let text: String = raw.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_lowercase();
    if text.is_empty() {
        return Err(explain());
    }
    let mut total: u64 = 0;
    let mut rest = text.as_str();
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        let (number, after) = rest.split_at(digits);
        let unit = after.chars().next().ok_or_else(explain)?;
        let seconds_per_unit = match unit {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return Err(explain()),
        };
        let number: u64 = number.parse().map_err(|_| explain())?;
        total = number.checked_mul(seconds_per_unit).and_then(|s| total.checked_add(s)).ok_or_else(explain)?;
        rest = &after[1..];
    }
    if total == 0 {
        return Err(format!("{raw:?}: the interval must be more than zero"));
    }
    if total > 365 * 86_400 {
        return Err(format!("{raw:?}: the interval can be at most 365 days"));
    }
    Ok(Duration::from_secs(total))
}

/// `3600 s` → `1h`, `5400 s` → `1h30m`.
pub fn format_every(every: Duration) -> String {
    let mut seconds = every.as_secs();
    let mut text = String::new();
    for (unit, size) in [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)] {
        if seconds >= size {
            let _ = write!(text, "{}{unit}", seconds / size);
            seconds %= size;
        }
    }
    if text.is_empty() { "0s".to_owned() } else { text }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn humane_durations() {
        let cases: [(&str, Result<u64, &str>); 12] = [
            ("15m", Ok(900)),
            ("1h", Ok(3600)),
            ("1h30m", Ok(5400)),
            (" 1h 30m ", Ok(5400)),
            ("90s", Ok(90)),
            ("2d", Ok(172_800)),
            ("1H", Ok(3600)),
            ("15", Err("use a number and a unit")),
            ("m", Err("use a number and a unit")),
            ("1w", Err("use a number and a unit")),
            ("0m", Err("more than zero")),
            ("366d", Err("at most 365 days")),
        ];
        for (raw, expected) in cases {
            match (parse_every(raw), expected) {
                (Ok(got), Ok(seconds)) => assert_eq!(got, Duration::from_secs(seconds), "{raw:?}"),
                (Err(got), Err(says)) => assert!(got.contains(says), "{raw:?}: {got}"),
                (got, expected) => panic!("{raw:?}: got {got:?}, expected {expected:?}"),
            }
        }
        assert!(parse_every("99999999999999999999d").is_err(), "overflow is an error, not a panic");
        for seconds in [90, 900, 3600, 5400, 90_061] {
            let every = Duration::from_secs(seconds);
            assert_eq!(parse_every(&format_every(every)), Ok(every), "{}", format_every(every));
        }
        assert_eq!(format_every(Duration::from_secs(5400)), "1h30m");
    }
}
