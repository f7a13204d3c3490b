use frontdesk_core::{Currency, Money};
use frontdesk_insights::{Amount, Compared, Fraction};

#[test]
fn a_fraction_over_nothing_has_no_rate() {
    let cases = [
        (Fraction::new(0, 0), None, "0 of 0"),
        (Fraction::new(5, 0), None, "5 of 0"),
        (Fraction::new(0, 4), Some(0.0), "0 of 4"),
        (Fraction::new(3, 4), Some(0.75), "3 of 4"),
        (Fraction::new(6, 4), Some(1.5), "6 of 4"),
    ];
    for (fraction, rate, shown) in cases {
        assert_eq!((fraction.rate(), fraction.to_string().as_str()), (rate, shown));
    }
}

#[test]
fn counts_amounts_and_rates_change_in_their_own_units() {
    // (current, previous, difference, relative)
    let counts = [(12_u64, 10_u64, 2, Some(0.2)), (0, 4, -4, Some(-1.0)), (3, 0, 3, None), (0, 0, 0, None)];
    for (current, previous, difference, relative) in counts {
        let change = Compared::new(current, previous).change;
        assert_eq!((change.difference, change.relative), (difference, relative), "{current} after {previous}");
    }

    let usd = |cents| Amount::from_minor(cents, Currency::USD);
    let change = Compared::new(usd(15_000), usd(10_000)).change;
    assert_eq!((change.difference, change.relative), (usd(5_000), Some(0.5)));
    let change = Compared::new(usd(15_000), Amount::from_minor(10_000, Currency::EUR)).change;
    assert_eq!(change.relative, None);

    // Percentage points, and none when either side has no rate.
    let rates = [
        (Fraction::new(1, 4), Fraction::new(1, 2), Some(-25.0)),
        (Fraction::new(1, 4), Fraction::new(0, 0), None),
        (Fraction::new(0, 0), Fraction::new(1, 2), None),
    ];
    for (current, previous, points) in rates {
        assert_eq!(Compared::new(current, previous).change.points, points);
    }
}

#[test]
fn amounts_serialise_with_their_currency_and_convert_to_micros() {
    let amount = Amount::new(Money::from_minor(1_250, Currency::USD));
    let json = serde_json::to_value(amount).expect("serialises");
    assert_eq!(json, serde_json::json!({"minor": 1250, "currency": "USD", "text": "12.50 USD"}));
    let yen = Currency::parse("JPY").expect("a currency");
    let dinar = Currency::parse("KWD").expect("a currency");
    let cases = [
        (amount, 12_500_000),
        (Amount::from_minor(1_500, yen), 1_500_000_000),
        (Amount::from_minor(1_234, dinar), 1_234_000),
    ];
    for (amount, micros) in cases {
        assert_eq!(amount.micros(), micros, "{amount}");
    }
}
