use chrono::Duration;

/// Exponential backoff with jitter between attempts.
///
/// The n-th retry waits `base · 2^(n-1)`, capped at `max`, then scaled by a
/// random factor in `[1 - jitter, 1]` so that jobs that failed together
/// (a provider outage) do not all retry in the same second.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    pub base: Duration,
    pub max: Duration,
    /// 0.0 (none) to 1.0 (full jitter).
    pub jitter: f64,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy { base: Duration::seconds(5), max: Duration::hours(1), jitter: 0.5 }
    }
}

impl RetryPolicy {
    /// The delay after failed attempt number `attempt` (1-based), with the
    /// random factor `unit` in `[0, 1)`.
    pub fn delay_with(&self, attempt: u32, unit: f64) -> Duration {
        let exponent = attempt.saturating_sub(1).min(30);
        let uncapped = self.base.num_milliseconds().saturating_mul(1_i64 << exponent);
        let capped = uncapped.min(self.max.num_milliseconds()).max(0);
        let factor = 1.0 - self.jitter.clamp(0.0, 1.0) * unit.clamp(0.0, 1.0);
        Duration::milliseconds((capped as f64 * factor).round() as i64)
    }

    pub fn delay(&self, attempt: u32) -> Duration {
        self.delay_with(attempt, fastrand::f64())
    }

    /// The delay after failed attempt `attempt` when the provider asked to
    /// wait `asked` (a `Retry-After`): the longer of the two, never more
    /// than the policy's `max` (a provider asking for a day is retried on
    /// the policy's longest wait).
    pub fn delay_at_least(&self, attempt: u32, asked: Duration) -> Duration {
        self.delay(attempt).max(asked.min(self.max))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_providers_retry_after_is_waited_up_to_the_longest_wait() {
        let policy = RetryPolicy { base: Duration::seconds(5), max: Duration::hours(1), jitter: 0.0 };
        assert_eq!(policy.delay_at_least(1, Duration::seconds(120)), Duration::seconds(120));
        assert_eq!(
            policy.delay_at_least(1, Duration::seconds(1)),
            Duration::seconds(5),
            "never sooner than the backoff"
        );
        assert_eq!(policy.delay_at_least(5, Duration::seconds(30)), Duration::seconds(80));
        assert_eq!(policy.delay_at_least(1, Duration::days(1)), Duration::hours(1));
    }

    #[test]
    fn doubles_up_to_the_cap() {
        let policy = RetryPolicy { base: Duration::seconds(5), max: Duration::minutes(1), jitter: 0.5 };
        let no_jitter: Vec<i64> = (1..=6).map(|a| policy.delay_with(a, 0.0).num_seconds()).collect();
        assert_eq!(no_jitter, [5, 10, 20, 40, 60, 60]);
        assert_eq!(policy.delay_with(3, 1.0).num_seconds(), 10, "full unit halves it with jitter 0.5");
        assert_eq!(policy.delay_with(1000, 0.0).num_seconds(), 60, "huge attempt numbers do not overflow");
    }

    #[test]
    fn jitter_stays_in_range() {
        let policy = RetryPolicy::default();
        for _ in 0..1000 {
            let delay = policy.delay(2).num_milliseconds();
            assert!((5_000..=10_000).contains(&delay), "{delay}");
        }
    }
}
