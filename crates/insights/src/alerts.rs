//! When a shop's day is trouble the operator hears about: the rules the
//! operator's Alerts page shows and the alert job sends, defined once.

/// A day's cost above this many times the usual day is a spike…
pub const SPIKE_FACTOR: f64 = 3.0;
/// …when it is more than this (US micro-dollars): pennies are not spikes.
pub const SPIKE_FLOOR_MICROS: i64 = 500_000;
/// More than this share of a day's texts failing is trouble.
pub const FAILED_TEXTS_SHARE: f64 = 0.05;

/// The median of `values` (`None` when empty; the lower middle's and upper
/// middle's mean, rounded down, for an even count).
pub fn median(mut values: Vec<i64>) -> Option<i64> {
    values.sort_unstable();
    let middle = values.len() / 2;
    match values.len() {
        0 => None,
        n if n % 2 == 1 => Some(values[middle]),
        _ => Some((values[middle - 1] + values[middle]) / 2),
    }
}

/// Whether the last day's cost is a spike against the (up to) 7 days before
/// it: `daily` holds a shop's cost per day, oldest first. `Some((that day,
/// the usual day))` when the last day is over [`SPIKE_FLOOR_MICROS`] and
/// more than [`SPIKE_FACTOR`] times the median of the days before.
pub fn cost_spike(daily: &[i64]) -> Option<(i64, i64)> {
    let (last, before) = daily.split_last()?;
    let usual = median(before.iter().rev().take(7).copied().collect())?;
    (*last > SPIKE_FLOOR_MICROS && *last as f64 > SPIKE_FACTOR * usual as f64).then_some((*last, usual))
}

/// Whether `failed` of `sent` texts is more than [`FAILED_TEXTS_SHARE`].
pub fn failing_texts(sent: usize, failed: usize) -> bool {
    failed > 0 && failed as f64 > FAILED_TEXTS_SHARE * sent as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spike_is_three_times_the_usual_day_and_more_than_pennies() {
        let cases: [(&[i64], bool); 5] = [
            (&[100_000, 100_000, 100_000, 100_000, 100_000, 100_000, 100_000, 400_000], false),
            (&[200_000, 200_000, 200_000, 200_000, 200_000, 200_000, 200_000, 700_000], true),
            (&[200_000, 200_000, 200_000, 200_000, 200_000, 200_000, 200_000, 600_000], false),
            (&[0, 0, 0, 0, 0, 0, 0, 600_000], true),
            (&[], false),
        ];
        for (daily, expected) in cases {
            assert_eq!(cost_spike(daily).is_some(), expected, "{daily:?}");
        }
        assert_eq!(median(vec![3, 1, 2]), Some(2));
        assert_eq!(median(vec![4, 1, 2, 3]), Some(2));
    }

    #[test]
    fn texts_fail_past_five_percent() {
        let cases = [(100, 5, false), (100, 6, true), (1, 1, true), (10, 0, false), (0, 0, false)];
        for (sent, failed, expected) in cases {
            assert_eq!(failing_texts(sent, failed), expected, "{failed} of {sent}");
        }
    }
}
