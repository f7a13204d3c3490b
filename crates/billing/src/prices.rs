//! What model tokens cost: a price table by model, and the cost of one use.
//!
//! Providers price tokens in US dollars per million tokens, so a price here
//! is an integer number of **micro-dollars per million tokens** (OpenAI's
//! `text-embedding-3-small` at $0.02 per 1M tokens is `20_000`), and a cost
//! is an integer number of micro-dollars, rounded up: a use of a priced model
//! never costs nothing.
//!
//! The standard table holds the models the product uses (figures from
//! `reference/ai-layer.md` §5); an operator adds or replaces prices with
//! `FRONTDESK_AI_PRICES` (see [`PriceTable::with_overrides`]). A configured
//! model without a price is a startup error, so spend is never unmetered.

use std::collections::BTreeMap;

/// Micro-dollars per million tokens of each kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenPrice {
    pub input: i64,
    /// Input tokens the provider served from its prompt cache.
    pub cached_input: i64,
    pub output: i64,
}

impl TokenPrice {
    /// One price for every kind of token (embeddings have input only).
    pub const fn flat(per_million: i64) -> TokenPrice {
        TokenPrice { input: per_million, cached_input: per_million, output: per_million }
    }
}

/// The tokens of one model call, as the provider counted them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TokenCount {
    pub input: u64,
    /// Of `input`, the tokens read from the provider's cache.
    pub cached_input: u64,
    pub output: u64,
}

impl TokenCount {
    /// Input tokens only (embeddings).
    pub const fn input(tokens: u64) -> TokenCount {
        TokenCount { input: tokens, cached_input: 0, output: 0 }
    }

    /// Every token, cached or not: what the usage record's quantity counts.
    pub fn total(&self) -> u64 {
        self.input.saturating_add(self.output)
    }

    /// In micro-dollars at `price`, rounded up (0 only for no tokens).
    pub fn cost_micros(&self, price: TokenPrice) -> i64 {
        let cached = self.cached_input.min(self.input);
        let parts = [(self.input - cached, price.input), (cached, price.cached_input), (self.output, price.output)];
        let per_million: i128 = parts.iter().map(|(tokens, price)| i128::from(*tokens) * i128::from(*price)).sum();
        let micros = (per_million + 999_999) / 1_000_000;
        i64::try_from(micros).unwrap_or(i64::MAX)
    }
}

/// Why a price table entry was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PriceError {
    #[error("{0:?} is not `model=input[/cached/output]` (US dollars per million tokens)")]
    Malformed(String),
    #[error("the price {0:?} is not a non-negative number of dollars")]
    Amount(String),
}

/// Prices by model name (`text-embedding-3-small`, `gpt-5.6-luna`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceTable {
    prices: BTreeMap<String, TokenPrice>,
}

impl PriceTable {
    /// The models the product uses, at the providers' list prices.
    pub fn standard() -> PriceTable {
        let standard = [
            ("text-embedding-3-small", TokenPrice::flat(20_000)),
            ("text-embedding-3-large", TokenPrice::flat(130_000)),
            ("text-embedding-ada-002", TokenPrice::flat(100_000)),
            ("gpt-5.6-luna", TokenPrice { input: 200_000, cached_input: 20_000, output: 1_200_000 }),
            ("gpt-4o-mini", TokenPrice { input: 150_000, cached_input: 75_000, output: 600_000 }),
            ("gpt-4.1-mini", TokenPrice { input: 400_000, cached_input: 100_000, output: 1_600_000 }),
            ("gpt-5-mini", TokenPrice { input: 250_000, cached_input: 25_000, output: 2_000_000 }),
            ("gpt-realtime-2.1-mini", TokenPrice { input: 10_000_000, cached_input: 300_000, output: 20_000_000 }),
            ("gpt-realtime-2", TokenPrice { input: 32_000_000, cached_input: 400_000, output: 64_000_000 }),
        ];
        PriceTable { prices: standard.into_iter().map(|(model, price)| (model.to_owned(), price)).collect() }
    }

    /// The table with `spec`'s entries added or replaced: comma-separated
    /// `model=input` or `model=input/cached/output`, in US dollars per
    /// million tokens (`my-embedder=0.01,gpt-5.6-luna=0.2/0.02/1.2`).
    pub fn with_overrides(mut self, spec: &str) -> Result<PriceTable, PriceError> {
        for entry in spec.split(',').map(str::trim).filter(|entry| !entry.is_empty()) {
            let (model, amounts) = entry.split_once('=').ok_or_else(|| PriceError::Malformed(entry.to_owned()))?;
            let model = model.trim();
            let amounts: Vec<i64> = amounts.split('/').map(dollars_to_micros).collect::<Result<_, _>>()?;
            let price = match amounts[..] {
                [flat] => TokenPrice::flat(flat),
                [input, cached_input, output] => TokenPrice { input, cached_input, output },
                _ => return Err(PriceError::Malformed(entry.to_owned())),
            };
            if model.is_empty() {
                return Err(PriceError::Malformed(entry.to_owned()));
            }
            self.prices.insert(model.to_owned(), price);
        }
        Ok(self)
    }

    /// The price of `model`; a model id with dimensions
    /// (`text-embedding-3-small@512`) is priced as its model.
    pub fn price(&self, model: &str) -> Option<TokenPrice> {
        let name = model.split_once('@').map_or(model, |(name, _)| name);
        self.prices.get(name).copied()
    }
}

impl Default for PriceTable {
    fn default() -> PriceTable {
        PriceTable::standard()
    }
}

/// `"0.02"` dollars per million → `20_000` micro-dollars per million.
fn dollars_to_micros(raw: &str) -> Result<i64, PriceError> {
    let refused = || PriceError::Amount(raw.trim().to_owned());
    let raw = raw.trim();
    let (whole, fraction) = raw.split_once('.').unwrap_or((raw, ""));
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if whole.is_empty() && fraction.is_empty() || !digits(whole) || !digits(fraction) || fraction.len() > 6 {
        return Err(refused());
    }
    let whole: i64 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| refused())? };
    let fraction: i64 = format!("{fraction:0<6}").parse().map_err(|_| refused())?;
    whole.checked_mul(1_000_000).and_then(|w| w.checked_add(fraction)).ok_or_else(refused)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn costs_round_up_to_the_micro_dollar() {
        let small = PriceTable::standard().price("text-embedding-3-small@512").unwrap_or_else(|| panic!("priced"));
        let cases = [
            (TokenCount::input(0), 0),
            // 1 token at $0.02 per million is 0.02 micro-dollars: 1.
            (TokenCount::input(1), 1),
            (TokenCount::input(50), 1),
            (TokenCount::input(51), 2),
            (TokenCount::input(1_000_000), 20_000),
        ];
        for (count, micros) in cases {
            assert_eq!(count.cost_micros(small), micros, "{count:?}");
        }
    }

    #[test]
    fn cached_input_is_priced_apart_and_never_more_than_the_input() {
        let luna = PriceTable::standard().price("gpt-5.6-luna").unwrap_or_else(|| panic!("priced"));
        // 2,000 in of which 1,700 cached, 100 out (ai-layer.md's example turn):
        // 300 × 0.2 + 1,700 × 0.02 + 100 × 1.2 = 60 + 34 + 120 micro-dollars.
        let turn = TokenCount { input: 2_000, cached_input: 1_700, output: 100 };
        assert_eq!(turn.cost_micros(luna), 214);
        assert_eq!(turn.total(), 2_100);
        let odd = TokenCount { input: 10, cached_input: 50, output: 0 };
        assert_eq!(odd.cost_micros(luna), TokenCount { input: 10, cached_input: 10, output: 0 }.cost_micros(luna));
        let huge = TokenCount { input: u64::MAX, cached_input: 0, output: u64::MAX };
        assert_eq!(huge.cost_micros(luna), i64::MAX);
    }

    #[test]
    fn overrides_add_and_replace_prices() {
        let table = PriceTable::standard()
            .with_overrides(" local-embed=0.01 , gpt-5.6-luna=0.3/0.03/1.5,")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(table.price("local-embed@768"), Some(TokenPrice::flat(10_000)));
        assert_eq!(
            table.price("gpt-5.6-luna"),
            Some(TokenPrice { input: 300_000, cached_input: 30_000, output: 1_500_000 })
        );
        assert_eq!(table.price("text-embedding-3-small"), Some(TokenPrice::flat(20_000)), "the rest is kept");
        assert_eq!(table.price("unknown-model"), None);
        assert_eq!(PriceTable::standard().with_overrides(""), Ok(PriceTable::standard()));
    }

    #[test]
    fn malformed_overrides_are_refused() {
        let cases = [
            ("no-equals", PriceError::Malformed("no-equals".into())),
            ("=0.1", PriceError::Malformed("=0.1".into())),
            ("m=0.1/0.2", PriceError::Malformed("m=0.1/0.2".into())),
            ("m=-1", PriceError::Amount("-1".into())),
            ("m=abc", PriceError::Amount("abc".into())),
            ("m=0.0000001", PriceError::Amount("0.0000001".into())),
            ("m=.", PriceError::Amount(".".into())),
        ];
        for (spec, error) in cases {
            assert_eq!(PriceTable::standard().with_overrides(spec), Err(error), "{spec}");
        }
        assert_eq!(dollars_to_micros("1.5"), Ok(1_500_000));
        assert_eq!(dollars_to_micros(".25"), Ok(250_000));
        assert_eq!(dollars_to_micros("20"), Ok(20_000_000));
    }
}
