use chrono::{DateTime, Utc};
use frontdesk_core::{Currency, Money};
use frontdesk_insights::operator::formulas;
use frontdesk_insights::{
    Amount, CallRef, CostTarget, FactsError, MrrChange, OperatorFacts, ShopAccount, UsageKind, UsageRecord,
    nearest_rank,
};

use crate::fixture::{mar, march, ny, usd};

fn amount(cents: i64) -> Amount {
    Amount::from_minor(cents, Currency::USD)
}

fn account(shop: &str, monthly_cents: i64, enabled: bool, paying: bool) -> ShopAccount {
    ShopAccount {
        shop: shop.to_owned(),
        monthly_price: usd(monthly_cents),
        enabled,
        paying,
        revenue: usd(0),
        usage: Vec::new(),
    }
}

fn facts(shops: Vec<ShopAccount>, changes: Vec<MrrChange>) -> OperatorFacts {
    OperatorFacts::new(Currency::USD, shops, changes).expect("valid facts")
}

fn change(shop: &str, at: DateTime<Utc>, cents: i64) -> MrrChange {
    MrrChange { shop: shop.to_owned(), at, mrr: usd(cents) }
}

fn cost(at: DateTime<Utc>, micros: i64, call: Option<&str>) -> UsageRecord {
    UsageRecord {
        occurred_at: at,
        kind: UsageKind::Other,
        quantity: 1,
        cost_micros: micros,
        call: call.map(CallRef::new),
    }
}

fn call_minutes(at: DateTime<Utc>, quantity: i64) -> UsageRecord {
    UsageRecord { occurred_at: at, kind: UsageKind::CallMinutes, quantity, cost_micros: 0, call: None }
}

#[test]
fn mrr_and_arpa_count_enabled_paying_shops() {
    // (name, shops, MRR cents, active shops, ARPA)
    type Case = (&'static str, Vec<ShopAccount>, i64, u64, Option<Amount>);
    let cases: Vec<Case> = vec![
        (
            "a disabled shop and a sandbox do not count",
            vec![
                account("a", 14_900, true, true),
                account("b", 39_900, true, true),
                account("disabled", 4_900, false, true),
                account("sandbox", 14_900, true, false),
            ],
            54_800,
            2,
            Some(amount(27_400)),
        ),
        ("no shops", Vec::new(), 0, 0, None),
        (
            "ARPA rounds to the nearest cent",
            vec![account("a", 100, true, true), account("b", 100, true, true), account("c", 0, true, true)],
            200,
            3,
            Some(amount(67)),
        ),
    ];
    for (name, shops, mrr, active, arpa) in cases {
        let facts = facts(shops, Vec::new());
        assert_eq!((facts.mrr(), facts.active_shops(), facts.arpa()), (amount(mrr), active, arpa), "{name}");
    }
}

/// (new, expansion, contraction, churn, reactivation) in cents.
type Kinds = (i64, i64, i64, i64, i64);

#[test]
fn each_change_of_a_shops_mrr_is_one_movement() {
    let jan = ny(2026, 1, 10, 9, 0);
    let cases: Vec<(&str, Vec<MrrChange>, Kinds)> = vec![
        ("a new shop", vec![change("s", mar(5, 9, 0), 14_900)], (14_900, 0, 0, 0, 0)),
        ("an upgrade", vec![change("s", jan, 14_900), change("s", mar(10, 9, 0), 39_900)], (0, 25_000, 0, 0, 0)),
        ("a downgrade", vec![change("s", jan, 39_900), change("s", mar(12, 9, 0), 14_900)], (0, 0, 25_000, 0, 0)),
        ("a churn", vec![change("s", jan, 14_900), change("s", mar(15, 9, 0), 0)], (0, 0, 0, 14_900, 0)),
        (
            "a churn and a reactivation in the same period",
            vec![change("s", jan, 4_900), change("s", mar(3, 9, 0), 0), change("s", mar(20, 9, 0), 4_900)],
            (0, 0, 0, 4_900, 4_900),
        ),
        (
            "new and churned in the same period",
            vec![change("s", mar(3, 9, 0), 4_900), change("s", mar(20, 9, 0), 0)],
            (4_900, 0, 0, 4_900, 0),
        ),
        (
            "back after churning last month",
            vec![change("s", jan, 4_900), change("s", ny(2026, 2, 1, 9, 0), 0), change("s", mar(25, 9, 0), 14_900)],
            (0, 0, 0, 0, 14_900),
        ),
        ("the same price again", vec![change("s", jan, 4_900), change("s", mar(3, 9, 0), 4_900)], (0, 0, 0, 0, 0)),
        ("only before the period", vec![change("s", jan, 4_900)], (0, 0, 0, 0, 0)),
        ("only after the period", vec![change("s", ny(2026, 4, 1, 0, 0), 4_900)], (0, 0, 0, 0, 0)),
        (
            "changes given out of order",
            vec![change("s", mar(10, 9, 0), 39_900), change("s", jan, 14_900)],
            (0, 25_000, 0, 0, 0),
        ),
    ];
    for (name, changes, expected) in cases {
        let movements = facts(Vec::new(), changes).movements(&march());
        let kinds = (
            movements.new.amount.minor(),
            movements.expansion.amount.minor(),
            movements.contraction.amount.minor(),
            movements.churn.amount.minor(),
            movements.reactivation.amount.minor(),
        );
        assert_eq!(kinds, expected, "{name}");
        let net = movements.mrr_at_end.minor() - movements.mrr_at_start.minor();
        assert_eq!(movements.net_new.minor(), net, "{name}: net new MRR is the difference");
    }
}

#[test]
fn a_month_of_movements_gives_net_new_mrr_and_churn_rates() {
    let jan = ny(2026, 1, 10, 9, 0);
    let changes = vec![
        change("new", mar(5, 9, 0), 14_900),
        change("up", jan, 14_900),
        change("up", mar(10, 9, 0), 39_900),
        change("down", jan, 39_900),
        change("down", mar(12, 9, 0), 14_900),
        change("gone", jan, 14_900),
        change("gone", mar(15, 9, 0), 0),
        change("flip", jan, 4_900),
        change("flip", mar(3, 9, 0), 0),
        change("flip", mar(20, 9, 0), 4_900),
        change("back", ny(2026, 1, 5, 9, 0), 4_900),
        change("back", ny(2026, 2, 1, 9, 0), 0),
        change("back", mar(25, 9, 0), 14_900),
        change("april", ny(2026, 4, 2, 9, 0), 14_900),
    ];
    let movements = facts(Vec::new(), changes).movements(&march());
    assert_eq!(movements.mrr_at_start, amount(74_600));
    assert_eq!(movements.mrr_at_end, amount(89_500));
    assert_eq!((movements.new.amount, movements.new.changes), (amount(14_900), 1));
    assert_eq!((movements.expansion.amount, movements.contraction.amount), (amount(25_000), amount(25_000)));
    assert_eq!((movements.churn.amount, movements.churn.changes), (amount(19_800), 2));
    assert_eq!((movements.reactivation.amount, movements.reactivation.changes), (amount(19_800), 2));
    assert_eq!(movements.net_new, amount(14_900));
    let rounded = |rate: Option<f64>| rate.map(|rate| (rate * 10_000.0).round() as i64);
    // (19,800 + 25,000) ÷ 74,600 and (19,800 + 25,000 − 25,000 − 19,800) ÷ 74,600.
    assert_eq!(rounded(movements.gross_churn), Some(6_005));
    assert_eq!(rounded(movements.net_churn), Some(0));

    let from_nothing = facts(Vec::new(), vec![change("new", mar(5, 9, 0), 14_900)]).movements(&march());
    assert_eq!((from_nothing.gross_churn, from_nothing.net_churn), (None, None));
}

#[test]
fn minutes_per_shop_are_the_mean_and_median_over_active_shops() {
    let shop_with = |name: &str, minutes: &[i64]| ShopAccount {
        usage: minutes.iter().map(|quantity| call_minutes(mar(10, 9, 0), *quantity)).collect(),
        ..account(name, 14_900, true, true)
    };
    // (name, shops, total, mean, median)
    type Case = (&'static str, Vec<ShopAccount>, i64, Option<f64>, Option<f64>);
    let cases: Vec<Case> = vec![
        ("no shops", Vec::new(), 0, None, None),
        ("one shop", vec![shop_with("a", &[30, 12])], 42, Some(42.0), Some(42.0)),
        ("odd", vec![shop_with("a", &[10]), shop_with("b", &[50]), shop_with("c", &[30])], 90, Some(30.0), Some(30.0)),
        (
            "even, with an idle shop",
            vec![shop_with("a", &[100]), shop_with("b", &[]), shop_with("c", &[10]), shop_with("d", &[30])],
            140,
            Some(35.0),
            Some(20.0),
        ),
    ];
    for (name, shops, total, mean, median) in cases {
        let figure = facts(shops, Vec::new()).minutes_per_shop(&march());
        assert_eq!((figure.total, figure.mean, figure.median), (total, mean, median), "{name}");
    }

    let mut disabled = shop_with("off", &[500]);
    disabled.enabled = false;
    let mut outside = shop_with("a", &[10]);
    outside.usage.push(call_minutes(ny(2026, 4, 1, 0, 0), 99));
    outside.usage.push(UsageRecord { kind: UsageKind::SmsSegments, ..call_minutes(mar(10, 9, 0), 7) });
    let figure = facts(vec![disabled, outside], Vec::new()).minutes_per_shop(&march());
    assert_eq!((figure.shops, figure.total), (1, 10));
}

#[test]
fn gross_margin_is_revenue_less_cost_over_revenue() {
    let shop = |name: &str, revenue_cents: i64, costs: &[i64]| ShopAccount {
        revenue: usd(revenue_cents),
        usage: costs.iter().map(|micros| cost(mar(10, 9, 0), *micros, None)).collect(),
        ..account(name, 14_900, true, true)
    };
    let mut late = shop("late", 0, &[]);
    late.usage.push(cost(ny(2026, 4, 1, 0, 0), 5_000_000, None));
    let shops = vec![
        shop("healthy", 14_900, &[20_000_000, 9_800_000]),
        shop("losing", 4_900, &[60_000_000]),
        shop("free", 0, &[1_000_000]),
        late,
    ];
    let margins = facts(shops, Vec::new()).margins(&march());
    let rounded = |margin: Option<f64>| margin.map(|margin| (margin * 10_000.0).round() as i64);
    let per_shop: Vec<(Option<String>, i64, Option<i64>)> =
        margins.shops.iter().map(|shop| (shop.shop.clone(), shop.cost_micros, rounded(shop.margin))).collect();
    assert_eq!(
        per_shop,
        vec![
            (Some("healthy".to_owned()), 29_800_000, Some(8_000)),
            (Some("losing".to_owned()), 60_000_000, Some(-2_245)),
            (Some("free".to_owned()), 1_000_000, None),
            (Some("late".to_owned()), 0, None),
        ]
    );
    // (198.00 − 90.80) ÷ 198.00
    assert_eq!(margins.overall.revenue, amount(19_800));
    assert_eq!(margins.overall.cost_micros, 90_800_000);
    assert_eq!(rounded(margins.overall.margin), Some(5_414));
    assert_eq!(facts(Vec::new(), Vec::new()).margins(&march()).overall.margin, None);
}

#[test]
fn texts_and_number_rent_count_in_the_margins() {
    let at = mar(10, 9, 0);
    let texts = UsageRecord { kind: UsageKind::SmsSegments, quantity: 10, ..cost(at, 83_000, None) };
    let rent = cost(at, 1_150_000, None);
    let call = cost(at, 50_000, Some("CA1"));
    // (name, usage, cost)
    let cases: [(&str, Vec<UsageRecord>, i64); 3] = [
        ("a call", vec![call.clone()], 50_000),
        ("a call and its shop's texts", vec![call.clone(), texts.clone()], 133_000),
        ("a call, texts and number rent", vec![call, texts, rent], 1_283_000),
    ];
    for (name, usage, expected) in cases {
        let shop = ShopAccount { revenue: usd(14_900), usage, ..account("a", 14_900, true, true) };
        let margins = facts(vec![shop], Vec::new()).margins(&march());
        assert_eq!((margins.shops[0].cost_micros, margins.overall.cost_micros), (expected, expected), "{name}");
    }
}

#[test]
fn p95_is_the_nearest_rank() {
    let ranked = |count: i64| (1..=count).collect::<Vec<i64>>();
    let cases = [
        (Vec::new(), None),
        (vec![7], Some(7)),
        (vec![1, 2, 3], Some(3)),
        (ranked(19), Some(19)),
        (ranked(20), Some(19)),
        (ranked(21), Some(20)),
        (ranked(100), Some(95)),
        (ranked(101), Some(96)),
    ];
    for (values, expected) in cases {
        assert_eq!(nearest_rank(&values, 95), expected, "{} values", values.len());
    }
}

#[test]
fn cost_per_call_sums_each_calls_records_and_compares_with_the_target() {
    let shop = |name: &str, usage: Vec<UsageRecord>| ShopAccount { usage, ..account(name, 14_900, true, true) };
    let at = mar(10, 9, 0);
    // (name, shops, calls, mean, p95, p95 within the target, calls over it)
    type Case = (&'static str, Vec<ShopAccount>, u64, Option<f64>, Option<i64>, Option<bool>, u64);
    let cases: Vec<Case> = vec![
        ("no calls", vec![shop("a", vec![cost(at, 2_000_000, None)])], 0, None, None, None, 0),
        (
            "one call",
            vec![shop("a", vec![cost(at, 30_000, Some("CA1")), cost(at, 20_000, Some("CA1"))])],
            1,
            Some(50_000.0),
            Some(50_000),
            Some(true),
            0,
        ),
        (
            "few calls: p95 is the dearest",
            vec![shop(
                "a",
                vec![cost(at, 10_000, Some("CA1")), cost(at, 20_000, Some("CA2")), cost(at, 90_000, Some("CA3"))],
            )],
            3,
            Some(40_000.0),
            Some(90_000),
            Some(false),
            1,
        ),
        (
            // A text's record names its message, not a call: the shop's cost, not a call's.
            "texts are no call's cost",
            vec![shop(
                "a",
                vec![
                    cost(at, 30_000, Some("CA1")),
                    UsageRecord { kind: UsageKind::SmsSegments, quantity: 3, ..cost(at, 24_900, None) },
                ],
            )],
            1,
            Some(30_000.0),
            Some(30_000),
            Some(true),
            0,
        ),
        (
            "the same call id in two shops is two calls",
            vec![shop("a", vec![cost(at, 10_000, Some("CA1"))]), shop("b", vec![cost(at, 30_000, Some("CA1"))])],
            2,
            Some(20_000.0),
            Some(30_000),
            Some(true),
            0,
        ),
        (
            "records outside the window are left out",
            vec![shop("a", vec![cost(at, 10_000, Some("CA1")), cost(ny(2026, 4, 1, 0, 0), 500_000, Some("CA1"))])],
            1,
            Some(10_000.0),
            Some(10_000),
            Some(true),
            0,
        ),
    ];
    for (name, shops, calls, mean, p95, p95_within, over) in cases {
        let figure = facts(shops, Vec::new()).cost_per_call(&march(), CostTarget::DEFAULT);
        assert_eq!(
            (figure.calls, figure.mean_micros, figure.p95_micros, figure.p95_within_target, figure.over_target),
            (calls, mean, p95, p95_within, over),
            "{name}"
        );
        assert_eq!(figure.target_micros, 80_000, "{name}");
    }

    let many: Vec<UsageRecord> = (1..=20).map(|n| cost(at, n * 5_000, Some(&format!("CA{n}")))).collect();
    let figure = facts(vec![shop("a", many)], Vec::new())
        .cost_per_call(&march(), CostTarget::from_micros(90_000).expect("a target"));
    // 5,000 … 100,000: mean 52,500; p95 the 19th, 95,000; 100,000 over 90,000.
    assert_eq!(
        (
            figure.mean_micros,
            figure.p95_micros,
            figure.mean_within_target,
            figure.p95_within_target,
            figure.over_target
        ),
        (Some(52_500.0), Some(95_000), Some(true), Some(false), 2)
    );
    assert_eq!(CostTarget::from_micros(-1), Err(FactsError::Negative { what: "the cost target", value: -1 }));
}

#[test]
fn the_overview_states_every_formula() {
    let shops = vec![ShopAccount { revenue: usd(14_900), ..account("a", 14_900, true, true) }];
    let overview = facts(shops, vec![change("a", mar(2, 9, 0), 14_900)]).overview(&march(), CostTarget::default());
    assert_eq!(overview.mrr.value, amount(14_900));
    assert_eq!(overview.movements.value.new.amount, amount(14_900));
    let stated = [
        (overview.mrr.formula, formulas::MRR),
        (overview.movements.formula, formulas::NET_NEW_MRR),
        (overview.gross_mrr_churn.formula, formulas::GROSS_MRR_CHURN),
        (overview.net_mrr_churn.formula, formulas::NET_MRR_CHURN),
        (overview.arpa.formula, formulas::ARPA),
        (overview.active_shops.formula, formulas::ACTIVE_SHOPS),
        (overview.minutes_per_shop.formula, formulas::MINUTES_PER_SHOP),
        (overview.gross_margin.formula, formulas::GROSS_MARGIN),
        (overview.cost_per_call.formula, formulas::COST_PER_CALL),
    ];
    for (used, expected) in stated {
        assert_eq!(used, expected);
    }
    let json = serde_json::to_value(&overview).expect("serialises");
    assert_eq!(json["mrr"]["formula"], formulas::MRR);
    assert_eq!(json["mrr"]["value"]["text"], "149.00 USD");
    assert_eq!(json["gross_mrr_churn"]["value"], serde_json::Value::Null);
}

#[test]
fn facts_in_another_currency_or_negative_are_refused() {
    let euro = ShopAccount { monthly_price: Money::from_minor(14_900, Currency::EUR), ..account("eu", 0, true, true) };
    let cases: Vec<(&str, Vec<ShopAccount>, Vec<MrrChange>, FactsError)> = vec![
        (
            "a price in euros",
            vec![euro],
            Vec::new(),
            FactsError::ShopCurrency {
                shop: "eu".to_owned(),
                what: "the monthly price",
                expected: Currency::USD,
                found: Currency::EUR,
            },
        ),
        (
            "a shop twice",
            vec![account("a", 0, true, true), account("a", 0, true, true)],
            Vec::new(),
            FactsError::DuplicateShop("a".to_owned()),
        ),
        (
            "a negative MRR",
            Vec::new(),
            vec![change("a", mar(2, 9, 0), -1)],
            FactsError::Negative { what: "an MRR change", value: -1 },
        ),
        (
            "a negative cost",
            vec![ShopAccount { usage: vec![cost(mar(2, 9, 0), -5, None)], ..account("a", 0, true, true) }],
            Vec::new(),
            FactsError::Negative { what: "a usage cost", value: -5 },
        ),
    ];
    for (name, shops, changes, expected) in cases {
        assert_eq!(OperatorFacts::new(Currency::USD, shops, changes).err(), Some(expected), "{name}");
    }
}
