//! The shapes a figure takes on a page: an amount of money, a fraction shown
//! as "N of M", a figure stated with its formula, and a figure compared with
//! the previous period.

use std::fmt;

use frontdesk_core::{Currency, Money};
use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

/// An amount of money as the pages and the JSON API show it: integer minor
/// units of one currency (never a float).
///
/// Serialises as `{"minor": 1250, "currency": "USD", "text": "12.50 USD"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Amount(Money);

impl Amount {
    pub fn new(money: Money) -> Amount {
        Amount(money)
    }

    pub fn zero(currency: Currency) -> Amount {
        Amount(Money::zero(currency))
    }

    pub fn from_minor(minor: i64, currency: Currency) -> Amount {
        Amount(Money::from_minor(minor, currency))
    }

    pub fn money(&self) -> Money {
        self.0
    }

    pub fn minor(&self) -> i64 {
        self.0.minor()
    }

    pub fn currency(&self) -> Currency {
        self.0.currency()
    }

    /// The sum of `amounts`, all of `currency`. The facts a sum runs over
    /// were checked to be in one currency when they were built, so a
    /// stray amount in another currency cannot occur; it would be left out
    /// rather than added as if it were the same money. Saturates instead of
    /// overflowing (some 92 quadrillion dollars).
    pub(crate) fn sum(currency: Currency, amounts: impl IntoIterator<Item = Money>) -> Amount {
        let minor = amounts
            .into_iter()
            .filter(|money| money.currency() == currency)
            .fold(0_i64, |total, money| total.saturating_add(money.minor()));
        Amount::from_minor(minor, currency)
    }

    /// This amount in millionths of its currency's main unit (US
    /// micro-dollars for USD), the unit usage records state their costs in.
    pub fn micros(&self) -> i128 {
        let exponent = self.currency().minor_unit_exponent().min(6);
        i128::from(self.minor()) * 10_i128.pow(6 - exponent)
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut state = serializer.serialize_struct("Amount", 3)?;
        state.serialize_field("minor", &self.minor())?;
        state.serialize_field("currency", self.currency().code())?;
        state.serialize_field("text", &self.to_string())?;
        state.end()
    }
}

/// A count out of a count: "12 of 40". Its rate is `None` when the
/// denominator is zero: an empty period has no rate, not a rate of NaN or 0.
///
/// Serialises as `{"numerator": 12, "denominator": 40, "rate": 0.3}`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Fraction {
    numerator: u64,
    denominator: u64,
}

impl Fraction {
    /// The numerator may exceed the denominator (minutes used beyond those
    /// included).
    pub fn new(numerator: u64, denominator: u64) -> Fraction {
        Fraction { numerator, denominator }
    }

    pub fn numerator(&self) -> u64 {
        self.numerator
    }

    pub fn denominator(&self) -> u64 {
        self.denominator
    }

    /// `numerator ÷ denominator`, or `None` when the denominator is zero.
    pub fn rate(&self) -> Option<f64> {
        ratio(self.numerator as f64, self.denominator as f64)
    }

    /// The rate in percent.
    pub fn percent(&self) -> Option<f64> {
        self.rate().map(|rate| rate * 100.0)
    }
}

/// "12 of 40".
impl fmt::Display for Fraction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} of {}", self.numerator, self.denominator)
    }
}

impl Serialize for Fraction {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut state = serializer.serialize_struct("Fraction", 3)?;
        state.serialize_field("numerator", &self.numerator)?;
        state.serialize_field("denominator", &self.denominator)?;
        state.serialize_field("rate", &self.rate())?;
        state.end()
    }
}

/// `numerator ÷ denominator`, or `None` when that is not a finite number
/// (a zero denominator above all).
pub(crate) fn ratio(numerator: f64, denominator: f64) -> Option<f64> {
    if denominator == 0.0 {
        return None;
    }
    let value = numerator / denominator;
    value.is_finite().then_some(value)
}

/// A figure with the formula it was computed by, as the page prints it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stated<T> {
    pub value: T,
    pub formula: &'static str,
}

impl<T> Stated<T> {
    pub fn new(value: T, formula: &'static str) -> Stated<T> {
        Stated { value, formula }
    }
}

/// Something a figure for one period can be compared with: its figure for
/// the previous period.
pub trait Measure {
    /// How the figure moved.
    type Change: fmt::Debug + Clone + PartialEq + Serialize;

    fn change_since(&self, previous: &Self) -> Self::Change;
}

/// How a count moved: by how many, and by what share of the previous count
/// (`None` when the previous count was zero).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CountChange {
    pub difference: i64,
    pub relative: Option<f64>,
}

impl Measure for u64 {
    type Change = CountChange;

    fn change_since(&self, previous: &u64) -> CountChange {
        let difference = i64::try_from(i128::from(*self) - i128::from(*previous)).unwrap_or(i64::MAX);
        CountChange { difference, relative: ratio(difference as f64, *previous as f64) }
    }
}

/// How an amount moved: by how much, and by what share of the previous
/// amount (`None` when the previous amount was zero or in another currency).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct AmountChange {
    pub difference: Amount,
    pub relative: Option<f64>,
}

impl Measure for Amount {
    type Change = AmountChange;

    fn change_since(&self, previous: &Amount) -> AmountChange {
        if self.currency() != previous.currency() {
            return AmountChange { difference: Amount::zero(self.currency()), relative: None };
        }
        let difference = self.minor().saturating_sub(previous.minor());
        AmountChange {
            difference: Amount::from_minor(difference, self.currency()),
            relative: ratio(difference as f64, previous.minor() as f64),
        }
    }
}

/// How a rate moved, in percentage points (`None` when either period has no
/// rate).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RateChange {
    pub points: Option<f64>,
}

impl Measure for Fraction {
    type Change = RateChange;

    fn change_since(&self, previous: &Fraction) -> RateChange {
        let points = match (self.percent(), previous.percent()) {
            (Some(now), Some(before)) => Some(now - before),
            _ => None,
        };
        RateChange { points }
    }
}

/// A figure for the chosen period beside the same figure for the previous
/// period of equal length, and how it moved.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Compared<T: Measure> {
    pub current: T,
    pub previous: T,
    pub change: T::Change,
}

impl<T: Measure> Compared<T> {
    pub fn new(current: T, previous: T) -> Compared<T> {
        let change = current.change_since(&previous);
        Compared { current, previous, change }
    }
}
