//! `GET /metrics`: the gateway's metrics in Prometheus's text format, for a
//! scraper holding `FRONTDESK_METRICS_TOKEN` (`Authorization: Bearer
//! <token>`; 401 without it or with another). Without the setting nothing
//! is served there (404).
//!
//! The realtime voice's, recorded when a call's stream ends (with its
//! `frontdesk::realtime` log event): each caller turn's latency, from the
//! caller's speech stopping to the first audio of the answer sent to
//! Twilio; the streams by how they ended; the model's tokens by kind and
//! direction. Each process counts from its start (Prometheus sums the
//! gateways and follows restarts).
//!
//! A few atomics and a hand-written exposition: these series need no
//! metrics crate.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use frontdesk_auth::web::TokenDigest;
use frontdesk_routing::StreamEnd;
use frontdesk_voice_bridge::BridgeOutcome;

use crate::app::AppState;
use crate::error::ApiError;

/// Prometheus's text exposition format.
const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The turn latency histogram's upper bounds, in milliseconds, and as
/// Prometheus's `le` labels (seconds).
const LATENCY_BUCKETS_MS: [u64; 11] = [100, 200, 300, 400, 500, 750, 1_000, 1_500, 2_000, 3_000, 5_000];
const LATENCY_BUCKET_LABELS: [&str; 11] = ["0.1", "0.2", "0.3", "0.4", "0.5", "0.75", "1", "1.5", "2", "3", "5"];

/// How a stream ended, as `ended` labels, in [`end_index`]'s order.
const ENDS: [&str; 4] = ["hung_up", "model_failed", "cap_reached", "handed_off"];

/// The tokens' `kind` and `direction` labels, in [`Metrics::realtime_outcome`]'s order.
const TOKEN_SERIES: [(&str, &str); 4] =
    [("text", "input"), ("text", "output"), ("audio", "input"), ("audio", "output")];

/// Who may read `/metrics`: the holder of `FRONTDESK_METRICS_TOKEN`.
#[derive(Clone)]
pub struct MetricsToken(TokenDigest);

impl MetricsToken {
    pub fn new(secret: &str) -> MetricsToken {
        MetricsToken(TokenDigest::of(secret))
    }

    /// Constant-time: the digests are compared, never the secrets.
    fn admits(&self, given: &str) -> bool {
        !given.is_empty() && self.0.matches(&TokenDigest::of(given))
    }
}

/// The gateway's metrics since this process started.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Turns per latency bucket (not cumulative), the last one past 5 s.
    turn_latency: [AtomicU64; LATENCY_BUCKETS_MS.len() + 1],
    turn_latency_sum_micros: AtomicU64,
    calls: [AtomicU64; ENDS.len()],
    tokens: [AtomicU64; TOKEN_SERIES.len()],
}

impl Metrics {
    /// A call's stream with the realtime voice model ended as `end`.
    pub fn realtime_call_ended(&self, end: StreamEnd) {
        self.calls[end_index(end)].fetch_add(1, Ordering::Relaxed);
    }

    /// What a realtime call's bridge measured: its caller turns' latencies
    /// and its answers' tokens.
    pub fn realtime_outcome(&self, outcome: &BridgeOutcome) {
        for latency in &outcome.latencies.turns {
            self.observe_turn_latency(*latency);
        }
        for usage in &outcome.usages {
            let counts = [
                usage.text.input_tokens,
                usage.text.output_tokens,
                usage.audio.input_tokens,
                usage.audio.output_tokens,
            ];
            for (series, count) in self.tokens.iter().zip(counts) {
                series.fetch_add(count, Ordering::Relaxed);
            }
        }
    }

    fn observe_turn_latency(&self, latency: Duration) {
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        let bucket = LATENCY_BUCKETS_MS
            .iter()
            .position(|bound_ms| micros <= bound_ms * 1_000)
            .unwrap_or(LATENCY_BUCKETS_MS.len());
        self.turn_latency[bucket].fetch_add(1, Ordering::Relaxed);
        self.turn_latency_sum_micros.fetch_add(micros, Ordering::Relaxed);
    }

    /// Every series in Prometheus's text format.
    pub fn render(&self) -> String {
        let mut text = String::new();
        let name = "frontdesk_realtime_turn_latency_seconds";
        let _ = writeln!(
            text,
            "# HELP {name} Per caller turn with the realtime voice model: from the caller's speech stopping to the \
             first audio of the answer sent to Twilio.\n# TYPE {name} histogram"
        );
        let mut cumulative = 0;
        for (index, bucket) in self.turn_latency.iter().enumerate() {
            cumulative += bucket.load(Ordering::Relaxed);
            let le = LATENCY_BUCKET_LABELS.get(index).copied().unwrap_or("+Inf");
            let _ = writeln!(text, "{name}_bucket{{le=\"{le}\"}} {cumulative}");
        }
        let sum = self.turn_latency_sum_micros.load(Ordering::Relaxed);
        let _ = writeln!(text, "{name}_sum {}.{:06}", sum / 1_000_000, sum % 1_000_000);
        let _ = writeln!(text, "{name}_count {cumulative}");

        let name = "frontdesk_realtime_calls_total";
        let _ = writeln!(
            text,
            "# HELP {name} Calls whose stream with the realtime voice model ended, by how it ended.\n# TYPE {name} counter"
        );
        for (ended, count) in ENDS.iter().zip(&self.calls) {
            let _ = writeln!(text, "{name}{{ended=\"{ended}\"}} {}", count.load(Ordering::Relaxed));
        }

        let name = "frontdesk_realtime_tokens_total";
        let _ = writeln!(
            text,
            "# HELP {name} The realtime voice model's tokens (cached input included), by kind and direction.\n\
             # TYPE {name} counter"
        );
        for ((kind, direction), count) in TOKEN_SERIES.iter().zip(&self.tokens) {
            let count = count.load(Ordering::Relaxed);
            let _ = writeln!(text, "{name}{{kind=\"{kind}\",direction=\"{direction}\"}} {count}");
        }
        text
    }
}

fn end_index(end: StreamEnd) -> usize {
    match end {
        StreamEnd::HungUp => 0,
        StreamEnd::ModelFailed => 1,
        StreamEnd::CapReached => 2,
        StreamEnd::HandedOff => 3,
    }
}

pub fn routes() -> Router<AppState> {
    Router::new().route("/metrics", get(metrics))
}

async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let Some(token) = &state.metrics_token else {
        return Err(ApiError::not_found(
            "nothing is served at GET /metrics: the gateway's metrics are served only when FRONTDESK_METRICS_TOKEN is set",
        ));
    };
    let given = crate::admin::bearer_token(&headers)?;
    if !token.admits(given) {
        tracing::warn!("refused a metrics scrape: the token is not FRONTDESK_METRICS_TOKEN's");
        return Err(ApiError::unauthorized("the bearer token is not the gateway's FRONTDESK_METRICS_TOKEN"));
    }
    Ok((StatusCode::OK, [(header::CONTENT_TYPE, CONTENT_TYPE)], state.metrics.render()).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(text: &str, name: &str) -> Vec<String> {
        text.lines().filter(|line| line.starts_with(name)).map(str::to_owned).collect()
    }

    #[test]
    fn turn_latencies_fall_in_cumulative_buckets_with_their_sum_and_count() {
        let metrics = Metrics::default();
        for millis in [50, 100, 101, 420, 750, 4_000, 5_001, 12_000] {
            metrics.observe_turn_latency(Duration::from_millis(millis));
        }
        let text = metrics.render();
        let expected = [
            "frontdesk_realtime_turn_latency_seconds_bucket{le=\"0.1\"} 2",
            "frontdesk_realtime_turn_latency_seconds_bucket{le=\"0.2\"} 3",
            "frontdesk_realtime_turn_latency_seconds_bucket{le=\"0.3\"} 3",
            "frontdesk_realtime_turn_latency_seconds_bucket{le=\"0.4\"} 3",
            "frontdesk_realtime_turn_latency_seconds_bucket{le=\"0.5\"} 4",
            "frontdesk_realtime_turn_latency_seconds_bucket{le=\"0.75\"} 5",
            "frontdesk_realtime_turn_latency_seconds_bucket{le=\"1\"} 5",
            "frontdesk_realtime_turn_latency_seconds_bucket{le=\"1.5\"} 5",
            "frontdesk_realtime_turn_latency_seconds_bucket{le=\"2\"} 5",
            "frontdesk_realtime_turn_latency_seconds_bucket{le=\"3\"} 5",
            "frontdesk_realtime_turn_latency_seconds_bucket{le=\"5\"} 6",
            "frontdesk_realtime_turn_latency_seconds_bucket{le=\"+Inf\"} 8",
            "frontdesk_realtime_turn_latency_seconds_sum 22.422000",
            "frontdesk_realtime_turn_latency_seconds_count 8",
        ];
        assert_eq!(series(&text, "frontdesk_realtime_turn_latency_seconds"), expected);
    }

    #[test]
    fn nothing_recorded_renders_every_series_at_zero_with_its_help_and_type() {
        let text = Metrics::default().render();
        for name in [
            "frontdesk_realtime_turn_latency_seconds",
            "frontdesk_realtime_calls_total",
            "frontdesk_realtime_tokens_total",
        ] {
            assert!(text.contains(&format!("# HELP {name} ")), "{name}: {text}");
        }
        assert!(text.contains("# TYPE frontdesk_realtime_turn_latency_seconds histogram\n"), "{text}");
        assert!(text.contains("# TYPE frontdesk_realtime_calls_total counter\n"), "{text}");
        assert!(text.contains("# TYPE frontdesk_realtime_tokens_total counter\n"), "{text}");
        assert!(text.contains("frontdesk_realtime_turn_latency_seconds_sum 0.000000\n"), "{text}");
        assert_eq!(series(&text, "frontdesk_realtime_calls_total{").len(), 4, "{text}");
        assert!(
            series(&text, "frontdesk_realtime_").iter().all(|line| line.ends_with(" 0") || line.ends_with(" 0.000000"))
        );
        assert!(text.ends_with('\n'));
    }

    #[test]
    fn calls_are_counted_by_how_they_ended() {
        let metrics = Metrics::default();
        for end in [StreamEnd::HungUp, StreamEnd::HungUp, StreamEnd::CapReached, StreamEnd::ModelFailed] {
            metrics.realtime_call_ended(end);
        }
        assert_eq!(
            series(&metrics.render(), "frontdesk_realtime_calls_total{"),
            [
                "frontdesk_realtime_calls_total{ended=\"hung_up\"} 2",
                "frontdesk_realtime_calls_total{ended=\"model_failed\"} 1",
                "frontdesk_realtime_calls_total{ended=\"cap_reached\"} 1",
                "frontdesk_realtime_calls_total{ended=\"handed_off\"} 0",
            ]
        );
    }

    #[test]
    fn the_token_is_compared_whole() {
        let token = MetricsToken::new("scrape-secret");
        assert!(token.admits("scrape-secret"));
        for wrong in ["", "scrape-secre", "scrape-secret2", "SCRAPE-SECRET"] {
            assert!(!token.admits(wrong), "{wrong:?}");
        }
    }
}
