//! Usage records for the facts we meter, with the stable keys that make a
//! repeated callback or a retried job count once: `call:{CallSid}`,
//! `sms:{message key}`, `llm:{key}`. Each record falls in the billing period
//! of the tenant's local month in which it occurred.
//!
//! Each record carries what the fact is estimated to have cost us, from the
//! [`RateCard`]: minutes at the voice rate, segments at the SMS rate, tokens
//! at the model's price. Records made before calls and texts were costed
//! hold 0 for them: a period's total cost is only an estimate from then on.
//!
//! A negative quantity (a call of -3 seconds) is refused rather than counted
//! as zero: it can only come from a bug or a forged callback, and it should
//! be seen. So is an empty id or key, which would make unrelated facts collide.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use frontdesk_core::TenantId;

use crate::model::{CallModelUsage, NewUsage, UsageKind};
use crate::period::BillingPeriod;
use crate::prices::{RateCard, TokenCount, TokenPrice};
use crate::segments::count_sms_segments;

/// Why a usage record could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MeteringError {
    #[error("{what} must not be negative, got {value}")]
    Negative { what: &'static str, value: i64 },
    #[error("{0} must not be empty")]
    Empty(&'static str),
}

/// Minutes billed for a call of `call_duration_seconds`: every started minute
/// counts whole, as Twilio bills (0 s → 0, 1 s → 1, 60 s → 1, 61 s → 2).
pub fn billable_minutes(call_duration_seconds: i64) -> Result<i64, MeteringError> {
    if call_duration_seconds < 0 {
        return Err(MeteringError::Negative { what: "call duration", value: call_duration_seconds });
    }
    // Not `(s + 59) / 60`, which overflows near `i64::MAX`.
    let started_minute = i64::from(call_duration_seconds % 60 != 0);
    Ok(call_duration_seconds / 60 + started_minute)
}

/// The call minutes of call `call_sid` (Twilio's CallSid), which ended at
/// `at`, costing the minutes at the card's voice rate.
pub fn call_usage(
    id: String,
    tenant: &TenantId,
    call_sid: &str,
    duration_seconds: i64,
    rates: &RateCard,
    at: DateTime<Utc>,
    zone: Tz,
) -> Result<NewUsage, MeteringError> {
    let minutes = billable_minutes(duration_seconds)?;
    let mut usage = new_usage(id, tenant, UsageKind::CallMinutes, minutes, ("call", "call SID", call_sid), at, zone)?;
    usage.cost_micros = rates.call_cost_micros(minutes);
    Ok(usage)
}

/// The minutes of call `call_sid`, which the receptionist never answered
/// (AI answering was suspended and the call was forwarded to the owner),
/// ended at `at`: costed at the card's voice rate like any inbound call, but
/// of kind [`UsageKind::ForwardedMinutes`], which the shop is never billed
/// for. Same key as [`call_usage`] (`call:{CallSid}`), so a call is metered
/// once, one way or the other.
pub fn forwarded_call_usage(
    id: String,
    tenant: &TenantId,
    call_sid: &str,
    duration_seconds: i64,
    rates: &RateCard,
    at: DateTime<Utc>,
    zone: Tz,
) -> Result<NewUsage, MeteringError> {
    let usage = call_usage(id, tenant, call_sid, duration_seconds, rates, at, zone)?;
    Ok(NewUsage { kind: UsageKind::ForwardedMinutes, ..usage })
}

/// The minutes of outbound leg `leg_sid` (a transfer's dialled owner, a
/// call back's dialled customer) placed for call `parent_call`, which
/// lasted `duration_seconds` (Twilio's `DialCallDuration`): every started
/// minute at the card's outbound (`transfer_minute`) rate, of kind
/// [`UsageKind::OutboundMinutes`] (never billed to the shop), keyed
/// `leg:{parent_call}:{leg_sid}` so a retried webhook counts once and the
/// parent call's cost can find it.
#[allow(clippy::too_many_arguments)]
pub fn outbound_leg_usage(
    id: String,
    tenant: &TenantId,
    parent_call: &str,
    leg_sid: &str,
    duration_seconds: i64,
    rates: &RateCard,
    at: DateTime<Utc>,
    zone: Tz,
) -> Result<NewUsage, MeteringError> {
    if parent_call.is_empty() {
        return Err(MeteringError::Empty("parent call SID"));
    }
    let minutes = billable_minutes(duration_seconds)?;
    let key = format!("{parent_call}:{leg_sid}");
    let leg = if leg_sid.is_empty() { "" } else { key.as_str() };
    let mut usage = new_usage(id, tenant, UsageKind::OutboundMinutes, minutes, ("leg", "leg SID", leg), at, zone)?;
    usage.cost_micros = rates.transfer_cost_micros(minutes);
    Ok(usage)
}

/// The SMS segments of outbound message `message_key` (typically the id of
/// the job that sends it) with text `body`, sent at `at`, costing the
/// segments at the card's SMS rate.
pub fn sms_usage(
    id: String,
    tenant: &TenantId,
    message_key: &str,
    body: &str,
    rates: &RateCard,
    at: DateTime<Utc>,
    zone: Tz,
) -> Result<NewUsage, MeteringError> {
    let segments = count_sms_segments(body).count;
    let mut usage =
        new_usage(id, tenant, UsageKind::SmsSegments, segments, ("sms", "message key", message_key), at, zone)?;
    usage.cost_micros = rates.sms_cost_micros(segments);
    Ok(usage)
}

/// The model tokens (input and output together) of the model call named
/// `key`, made at `at`, costing what `price` says (nothing when the model is
/// not priced, e.g. an offline one).
pub fn token_usage(
    id: String,
    tenant: &TenantId,
    key: &str,
    tokens: TokenCount,
    price: Option<TokenPrice>,
    at: DateTime<Utc>,
    zone: Tz,
) -> Result<NewUsage, MeteringError> {
    let quantity = i64::try_from(tokens.total()).unwrap_or(i64::MAX);
    let mut usage = new_usage(id, tenant, UsageKind::LlmTokens, quantity, ("llm", "usage key", key), at, zone)?;
    usage.cost_micros = price.map_or(0, |price| tokens.cost_micros(price));
    Ok(usage)
}

/// Whether the model usage record `key` names call `call_sid`: as a whole
/// segment between colons (`llm:{purpose}:{call_sid}:{turn}:{n}`), never
/// as the start of another call's id. The stores' rule for a call's model
/// use, one call or many.
pub fn model_key_names_call(key: &str, call_sid: &str) -> bool {
    calls_a_model_key_may_name(key).any(|segment| segment == call_sid)
}

/// The segments of the model usage record `key` that may be a call's id:
/// those between two colons.
pub fn calls_a_model_key_may_name(key: &str) -> impl Iterator<Item = &str> {
    let segments: Vec<&str> = key.split(':').collect();
    let inner = if segments.len() > 2 { segments[1..segments.len() - 1].to_vec() } else { Vec::new() };
    inner.into_iter()
}

/// What each of `calls` (`(tenant, call sid)`) cost besides its own minutes,
/// from `records` (`(tenant, kind, key, quantity, cost in micro-dollars)`
/// of kinds `llm_tokens`, `outbound_minutes` and `forwarded_minutes`, which
/// the stores read), each record counting for the calls
/// of its own tenant: `llm_tokens` records whose key names the call as a
/// whole segment (`llm:{purpose}:{call_sid}:{turn}:{n}`), `outbound_minutes`
/// records of legs placed for it (`leg:{call_sid}:{leg}`, never the leg's
/// own id), and its `forwarded_minutes` record (`call:{call_sid}`). Other
/// kinds are ignored; calls no record names are left out.
pub fn usage_by_call<T: AsRef<str>, K: AsRef<str>, R: AsRef<str>>(
    calls: &[(TenantId, String)],
    records: impl IntoIterator<Item = (T, K, R, i64, i64)>,
) -> HashMap<(TenantId, String), CallModelUsage> {
    let wanted: HashMap<(&str, &str), &(TenantId, String)> =
        calls.iter().map(|call| ((call.0.as_str(), call.1.as_str()), call)).collect();
    let mut usage: HashMap<(TenantId, String), CallModelUsage> = HashMap::new();
    for (tenant, kind, key, quantity, cost_micros) in records {
        let (tenant, key) = (tenant.as_ref(), key.as_ref());
        let mut add = |segment: &str, apply: &dyn Fn(&mut CallModelUsage)| {
            if let Some(call) = wanted.get(&(tenant, segment)) {
                apply(usage.entry((*call).clone()).or_default());
            }
        };
        match UsageKind::parse(kind.as_ref()) {
            Some(UsageKind::LlmTokens) => {
                for segment in calls_a_model_key_may_name(key) {
                    add(segment, &|sum| {
                        sum.tokens = sum.tokens.saturating_add(quantity);
                        sum.cost_micros = sum.cost_micros.saturating_add(cost_micros);
                    });
                }
            }
            Some(UsageKind::OutboundMinutes) => {
                if let Some(parent) = key.strip_prefix("leg:").and_then(|rest| rest.split_once(':')).map(|(p, _)| p) {
                    add(parent, &|sum| {
                        sum.leg_minutes = sum.leg_minutes.saturating_add(quantity);
                        sum.leg_cost_micros = sum.leg_cost_micros.saturating_add(cost_micros);
                    });
                }
            }
            Some(UsageKind::ForwardedMinutes) => {
                if let Some(call) = key.strip_prefix("call:") {
                    add(call, &|sum| sum.forwarded = true);
                }
            }
            Some(UsageKind::CallMinutes | UsageKind::SmsSegments) | None => {}
        }
    }
    usage
}

/// `(prefix, what the key is called, key)`.
type Key<'a> = (&'static str, &'static str, &'a str);

fn new_usage(
    id: String,
    tenant: &TenantId,
    kind: UsageKind,
    quantity: i64,
    (prefix, key_name, key): Key<'_>,
    at: DateTime<Utc>,
    zone: Tz,
) -> Result<NewUsage, MeteringError> {
    if id.is_empty() {
        return Err(MeteringError::Empty("usage id"));
    }
    if key.is_empty() {
        return Err(MeteringError::Empty(key_name));
    }
    Ok(NewUsage {
        id,
        tenant: tenant.clone(),
        kind,
        quantity,
        key: format!("{prefix}:{key}"),
        period: BillingPeriod::containing(at, zone),
        occurred_at: at,
        cost_micros: 0,
    })
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn a_model_key_names_a_call_as_a_whole_inner_segment() {
        let check = |key: &str, call: &str, expected: bool| {
            assert_eq!(model_key_names_call(key, call), expected, "{key} names {call}");
        };
        check("llm:llm-turn:CA1:1:0", "CA1", true);
        check("llm:embed-question:CA1:2:0", "CA1", true);
        check("llm:llm-turn:CA10:1:0", "CA1", false);
        check("llm:llm-turn:CA1", "CA1", false);
        check("CA1:llm-turn:x", "CA1", false);
        check("llm:CA1", "CA1", false);
        check("llm:knowledge.reindex:job-1", "job-1", false);
        assert_eq!(calls_a_model_key_may_name("llm:chat:CA9:3:0").collect::<Vec<_>>(), ["chat", "CA9", "3"]);
    }

    #[test]
    fn a_calls_costs_are_summed_per_call_of_its_own_tenant() {
        let shop = |slug: &str| TenantId::parse(slug).unwrap_or_else(|e| panic!("{e}"));
        let calls = [
            (shop("shop-a"), "CA1".to_owned()),
            (shop("shop-b"), "CA1".to_owned()),
            (shop("shop-a"), "CA3".to_owned()),
        ];
        let records = [
            ("shop-a", "llm_tokens", "llm:chat:CA1:1:0", 100, 5),
            ("shop-a", "llm_tokens", "llm:embed-question:CA1:2:0", 9, 1),
            ("shop-a", "llm_tokens", "llm:chat:CA2:1:0", 1_000, 50),
            ("shop-c", "llm_tokens", "llm:chat:CA1:1:0", 1_000, 50),
            // Legs placed for CA1: counted for it, never for the leg itself.
            ("shop-a", "outbound_minutes", "leg:CA1:CA3", 2, 28_000),
            ("shop-a", "outbound_minutes", "leg:CA1:CA4", 1, 14_000),
            ("shop-c", "outbound_minutes", "leg:CA1:CA5", 1, 14_000),
            // Its own minutes are not a cost besides them; another call's
            // forwarded minutes say nothing of it.
            ("shop-a", "call_minutes", "call:CA1", 3, 25_500),
            ("shop-a", "forwarded_minutes", "call:CA3", 1, 8_500),
            ("shop-a", "carrier_pigeons", "leg:CA1:CA6", 1, 1),
        ];
        let usage = usage_by_call(&calls, records);
        assert_eq!(usage.len(), 2, "shop-b's CA1 has no records: {usage:?}");
        assert_eq!(
            usage.get(&calls[0]),
            Some(&CallModelUsage {
                tokens: 109,
                cost_micros: 6,
                leg_minutes: 3,
                leg_cost_micros: 42_000,
                forwarded: false
            })
        );
        assert_eq!(usage.get(&calls[2]), Some(&CallModelUsage { forwarded: true, ..CallModelUsage::default() }));
        assert_eq!(usage.get(&calls[0]).map(CallModelUsage::extra_cost_micros), Some(42_006));
    }

    #[test]
    fn every_started_minute_counts_whole() {
        let cases = [
            (0, Ok(0)),
            (1, Ok(1)),
            (59, Ok(1)),
            (60, Ok(1)),
            (61, Ok(2)),
            (119, Ok(2)),
            (120, Ok(2)),
            (3_601, Ok(61)),
            (i64::MAX, Ok(i64::MAX / 60 + 1)),
            (-1, Err(MeteringError::Negative { what: "call duration", value: -1 })),
        ];
        for (seconds, expected) in cases {
            assert_eq!(billable_minutes(seconds), expected, "{seconds} s");
        }
    }

    fn tenant() -> TenantId {
        TenantId::parse("fresh-cuts").unwrap_or_else(|error| panic!("{error}"))
    }

    fn new_york() -> Tz {
        "America/New_York".parse().unwrap_or_else(|error| panic!("{error}"))
    }

    /// 03:30 UTC on 1 December, still 30 November in New York.
    fn late_november_evening() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 3, 30, 0).single().unwrap_or_else(|| panic!("a valid instant"))
    }

    #[test]
    fn usage_records_carry_stable_keys_and_the_local_period() {
        let at = late_november_evening();
        let november = BillingPeriod::parse("2026-11").unwrap_or_else(|error| panic!("{error}"));
        let expected = |kind, quantity, key: &str| NewUsage {
            id: "u1".to_owned(),
            tenant: tenant(),
            kind,
            quantity,
            key: key.to_owned(),
            period: november,
            occurred_at: at,
            cost_micros: 0,
        };
        let call_sid = "CA0123456789abcdef0123456789abcdef";
        let rates = RateCard::standard();
        let cases = [
            (
                call_usage("u1".to_owned(), &tenant(), call_sid, 125, &rates, at, new_york()),
                // 3 started minutes at $0.0085.
                NewUsage {
                    cost_micros: 25_500,
                    ..expected(UsageKind::CallMinutes, 3, "call:CA0123456789abcdef0123456789abcdef")
                },
            ),
            (
                forwarded_call_usage("u1".to_owned(), &tenant(), call_sid, 125, &rates, at, new_york()),
                // Forwarded unanswered: costed the same, of its own kind, under the call's key.
                NewUsage {
                    cost_micros: 25_500,
                    ..expected(UsageKind::ForwardedMinutes, 3, "call:CA0123456789abcdef0123456789abcdef")
                },
            ),
            (
                outbound_leg_usage("u1".to_owned(), &tenant(), "CA1", "CA2", 61, &rates, at, new_york()),
                // 2 started minutes of the dialled leg at $0.014, under the parent call.
                NewUsage { cost_micros: 28_000, ..expected(UsageKind::OutboundMinutes, 2, "leg:CA1:CA2") },
            ),
            (
                call_usage("u1".to_owned(), &tenant(), "CA-silent", 0, &rates, at, new_york()),
                expected(UsageKind::CallMinutes, 0, "call:CA-silent"),
            ),
            (
                sms_usage("u1".to_owned(), &tenant(), "job-42", &"a".repeat(161), &rates, at, new_york()),
                // 2 segments at $0.0083.
                NewUsage { cost_micros: 16_600, ..expected(UsageKind::SmsSegments, 2, "sms:job-42") },
            ),
            (
                sms_usage("u1".to_owned(), &tenant(), "job-43", "", &rates, at, new_york()),
                NewUsage { cost_micros: 8_300, ..expected(UsageKind::SmsSegments, 1, "sms:job-43") },
            ),
            (
                token_usage("u1".to_owned(), &tenant(), "CA01:turn-3", TokenCount::input(1_250), None, at, new_york()),
                expected(UsageKind::LlmTokens, 1_250, "llm:CA01:turn-3"),
            ),
            (
                token_usage(
                    "u1".to_owned(),
                    &tenant(),
                    "embed:CA01:2",
                    TokenCount::text(1_000, 0, 250),
                    Some(TokenPrice::text(20_000, 20_000, 4_000_000)),
                    at,
                    new_york(),
                ),
                // 1,000 × 0.02 + 250 × 4 micro-dollars.
                NewUsage { cost_micros: 1_020, ..expected(UsageKind::LlmTokens, 1_250, "llm:embed:CA01:2") },
            ),
        ];
        for (actual, expected) in cases {
            assert_eq!(actual, Ok(expected));
        }
    }

    #[test]
    fn the_period_is_the_month_in_the_tenants_zone() {
        let usage =
            call_usage("u1".to_owned(), &tenant(), "CA1", 60, &RateCard::standard(), late_november_evening(), Tz::UTC);
        assert_eq!(usage.map(|usage| usage.period.to_string()), Ok("2026-12".to_owned()));
    }

    #[test]
    fn refuses_negative_quantities_and_empty_keys() {
        let at = late_november_evening();
        let zone = new_york();
        let rates = &RateCard::standard();
        let cases = [
            (
                call_usage("u1".to_owned(), &tenant(), "CA1", -5, rates, at, zone),
                MeteringError::Negative { what: "call duration", value: -5 },
            ),
            (call_usage("u1".to_owned(), &tenant(), "", 60, rates, at, zone), MeteringError::Empty("call SID")),
            (sms_usage("u1".to_owned(), &tenant(), "", "hi", rates, at, zone), MeteringError::Empty("message key")),
            (
                token_usage("u1".to_owned(), &tenant(), "", TokenCount::input(10), None, at, zone),
                MeteringError::Empty("usage key"),
            ),
            (sms_usage(String::new(), &tenant(), "job-1", "hi", rates, at, zone), MeteringError::Empty("usage id")),
        ];
        for (actual, expected) in cases {
            assert_eq!(actual, Err(expected));
        }
    }
}
