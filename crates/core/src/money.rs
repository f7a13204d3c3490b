use std::fmt;

/// An ISO 4217 currency code: three uppercase ASCII letters.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Currency([u8; 3]);

/// An amount in integer minor units (cents) of one currency.
///
/// Never a float: invoices and prices must add up to the cent. Arithmetic is
/// checked; mixing currencies or overflowing is an error, not a wrong number.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money {
    minor: i64,
    currency: Currency,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("currency {0:?} is not a three-letter ISO 4217 code such as USD")]
    InvalidCurrency(String),
    #[error("cannot combine {0} and {1} amounts")]
    CurrencyMismatch(Currency, Currency),
    #[error("amount overflows")]
    Overflow,
    #[error("amount {0:?} is not a decimal number with at most {1} decimal places")]
    InvalidAmount(String, u32),
}

impl Currency {
    pub const USD: Currency = Currency(*b"USD");
    pub const EUR: Currency = Currency(*b"EUR");
    pub const GBP: Currency = Currency(*b"GBP");

    pub fn parse(raw: &str) -> Result<Currency, MoneyError> {
        let bytes = raw.as_bytes();
        match bytes {
            [a, b, c] if bytes.iter().all(u8::is_ascii_uppercase) => Ok(Currency([*a, *b, *c])),
            _ => Err(MoneyError::InvalidCurrency(raw.to_owned())),
        }
    }

    pub fn code(&self) -> &str {
        // Only ASCII uppercase letters get in through `parse`.
        std::str::from_utf8(&self.0).unwrap_or("???")
    }

    /// Digits after the decimal point in this currency's usual notation.
    pub fn minor_unit_exponent(&self) -> u32 {
        match &self.0 {
            b"JPY" | b"KRW" | b"VND" | b"CLP" | b"ISK" | b"UGX" | b"XAF" | b"XOF" => 0,
            b"BHD" | b"KWD" | b"OMR" | b"JOD" | b"TND" | b"LYD" | b"IQD" => 3,
            _ => 2,
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Money {
    pub fn from_minor(minor: i64, currency: Currency) -> Money {
        Money { minor, currency }
    }

    pub fn zero(currency: Currency) -> Money {
        Money { minor: 0, currency }
    }

    /// Parses `"12.50"` in the currency's own notation (no thousands
    /// separators, no symbol).
    pub fn parse_decimal(raw: &str, currency: Currency) -> Result<Money, MoneyError> {
        let places = currency.minor_unit_exponent();
        let invalid = || MoneyError::InvalidAmount(raw.to_owned(), places);
        let (negative, unsigned) = match raw.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, raw),
        };
        let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
        let digits_only = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !digits_only(whole) || !digits_only(fraction) || fraction.len() > places as usize {
            return Err(invalid());
        }
        if unsigned.contains('.') && fraction.is_empty() {
            return Err(invalid());
        }
        let scale = 10_i64.pow(places);
        let whole: i64 = whole.parse().map_err(|_| MoneyError::Overflow)?;
        let mut fraction_value: i64 = if fraction.is_empty() { 0 } else { fraction.parse().map_err(|_| invalid())? };
        for _ in fraction.len()..places as usize {
            fraction_value *= 10;
        }
        let minor = whole.checked_mul(scale).and_then(|w| w.checked_add(fraction_value)).ok_or(MoneyError::Overflow)?;
        Ok(Money { minor: if negative { -minor } else { minor }, currency })
    }

    pub fn minor(&self) -> i64 {
        self.minor
    }

    pub fn currency(&self) -> Currency {
        self.currency
    }

    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let minor = self.minor.checked_add(other.minor).ok_or(MoneyError::Overflow)?;
        Ok(Money { minor, currency: self.currency })
    }

    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let minor = self.minor.checked_sub(other.minor).ok_or(MoneyError::Overflow)?;
        Ok(Money { minor, currency: self.currency })
    }

    pub fn checked_mul(self, factor: i64) -> Result<Money, MoneyError> {
        let minor = self.minor.checked_mul(factor).ok_or(MoneyError::Overflow)?;
        Ok(Money { minor, currency: self.currency })
    }

    fn same_currency(&self, other: Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch(self.currency, other.currency))
        }
    }
}

/// `12.50 USD`, `-0.05 EUR`, `1500 JPY`.
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let places = self.currency.minor_unit_exponent();
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        if places == 0 {
            return write!(f, "{sign}{abs} {}", self.currency);
        }
        let scale = 10_u64.pow(places);
        write!(f, "{sign}{}.{:0width$} {}", abs / scale, abs % scale, self.currency, width = places as usize)
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Money({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd(minor: i64) -> Money {
        Money::from_minor(minor, Currency::USD)
    }

    #[test]
    fn displays_in_the_currencys_notation() {
        let jpy = Currency::parse("JPY").unwrap_or(Currency::USD);
        let kwd = Currency::parse("KWD").unwrap_or(Currency::USD);
        let cases = [
            (usd(11000), "110.00 USD"),
            (usd(5), "0.05 USD"),
            (usd(-5), "-0.05 USD"),
            (usd(i64::MIN), "-92233720368547758.08 USD"),
            (Money::from_minor(1500, jpy), "1500 JPY"),
            (Money::from_minor(1234, kwd), "1.234 KWD"),
        ];
        for (money, expected) in cases {
            assert_eq!(money.to_string(), expected);
        }
    }

    #[test]
    fn parses_decimals_exactly() {
        let cases = [("12.50", Ok(1250)), ("12.5", Ok(1250)), ("12", Ok(1200)), ("0.05", Ok(5)), ("-3.10", Ok(-310))];
        for (raw, expected) in cases {
            assert_eq!(Money::parse_decimal(raw, Currency::USD).map(|m| m.minor()), expected, "{raw}");
        }
        for bad in ["", "12.", ".5", "1.234", "1,000", "$5", "abc", "1e3"] {
            assert_eq!(
                Money::parse_decimal(bad, Currency::USD),
                Err(MoneyError::InvalidAmount(bad.to_owned(), 2)),
                "{bad}"
            );
        }
        assert_eq!(Money::parse_decimal("99999999999999999999", Currency::USD), Err(MoneyError::Overflow));
    }

    #[test]
    fn arithmetic_is_checked() {
        assert_eq!(usd(10000).checked_add(usd(1000)), Ok(usd(11000)));
        assert_eq!(usd(5).checked_mul(200), Ok(usd(1000)));
        assert_eq!(usd(i64::MAX).checked_add(usd(1)), Err(MoneyError::Overflow));
        assert_eq!(
            usd(1).checked_add(Money::from_minor(1, Currency::EUR)),
            Err(MoneyError::CurrencyMismatch(Currency::USD, Currency::EUR))
        );
        assert_eq!(usd(100).checked_sub(usd(150)), Ok(usd(-50)));
    }

    #[test]
    fn currency_codes_are_three_uppercase_letters() {
        assert_eq!(Currency::parse("USD"), Ok(Currency::USD));
        for bad in ["usd", "US", "USDX", "U$D", ""] {
            assert_eq!(Currency::parse(bad), Err(MoneyError::InvalidCurrency(bad.to_owned())));
        }
    }
}
