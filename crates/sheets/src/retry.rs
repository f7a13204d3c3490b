//! When to try a Sheets request again.

use std::time::Duration;

/// Exponential backoff for 429 `RESOURCE_EXHAUSTED`, 5xx and network errors,
/// as Google asks: the n-th retry waits `min(first_delay · 2ⁿ + random(0 ..=
/// max_jitter), max_delay)`. The defaults (1 s, 64 s, up to 1 s of jitter,
/// 6 retries) wait about a minute in all, which is how long Sheets' per-minute
/// quotas take to refill. Tests use delays of a millisecond.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub first_delay: Duration,
    pub max_delay: Duration,
    pub max_jitter: Duration,
    /// Retries after the first attempt; 0 never retries.
    pub max_retries: u32,
}

impl Default for Backoff {
    fn default() -> Backoff {
        Backoff {
            first_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(64),
            max_jitter: Duration::from_secs(1),
            max_retries: 6,
        }
    }
}

impl Backoff {
    /// The wait before retry number `retry` (0 for the first retry).
    pub fn delay(&self, retry: u32) -> Duration {
        let jitter_ms = u64::try_from(self.max_jitter.as_millis()).unwrap_or(u64::MAX);
        self.delay_with_jitter(retry, Duration::from_millis(fastrand::u64(..=jitter_ms)))
    }

    fn delay_with_jitter(&self, retry: u32, jitter: Duration) -> Duration {
        let exponential = self.first_delay.saturating_mul(2u32.saturating_pow(retry));
        exponential.saturating_add(jitter).min(self.max_delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_from_the_first_delay_and_stops_at_the_maximum() {
        let backoff = Backoff::default();
        let check = |retry: u32, jitter_ms: u64, expected_ms: u64| {
            assert_eq!(
                backoff.delay_with_jitter(retry, Duration::from_millis(jitter_ms)),
                Duration::from_millis(expected_ms),
                "retry {retry} with {jitter_ms} ms of jitter"
            );
        };
        check(0, 0, 1_000);
        check(0, 437, 1_437);
        check(1, 0, 2_000);
        check(5, 999, 32_999);
        check(6, 0, 64_000);
        check(6, 500, 64_000);
        check(40, 0, 64_000);
    }

    #[test]
    fn jitter_stays_within_its_bound() {
        let backoff = Backoff { max_jitter: Duration::from_millis(10), ..Backoff::default() };
        for _ in 0..200 {
            let delay = backoff.delay(1);
            assert!((Duration::from_millis(2_000)..=Duration::from_millis(2_010)).contains(&delay), "{delay:?}");
        }
    }
}
