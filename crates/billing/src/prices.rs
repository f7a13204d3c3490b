//! What things cost us: the rate card (telephone minutes, texts, number
//! rent) and the price table of model tokens, and the cost of one use.
//!
//! Providers price tokens in US dollars per million tokens, so a token price
//! here is an integer number of **micro-dollars per million tokens**
//! (OpenAI's `text-embedding-3-small` at $0.02 per 1M tokens is `20_000`),
//! and a cost is an integer number of micro-dollars, rounded up: a use of a
//! priced model never costs nothing. Voice models price audio tokens apart
//! from text tokens (OpenAI's realtime models charge 10 to 17 times more
//! for audio): a [`TokenCount`] counts both, a [`TokenPrice`] prices both.
//!
//! The standard table holds the models the product uses (figures from
//! `reference/ai-layer.md` §5 and OpenAI's model pages); an operator adds or replaces prices with
//! `FRONTDESK_AI_PRICES` (see [`PriceTable::with_overrides`]). A configured
//! model without a price is a startup error, so spend is never unmetered.
//!
//! The [`RateCard`] holds the token prices and what the telephone side costs
//! per unit (micro-dollars per minute, per segment, per number and month),
//! with Twilio's US list prices as defaults and `FRONTDESK_RATE_CARD` on top
//! (see [`RateCard::with_overrides`]). Twilio's own `price` for a call or a
//! message arrives only after the fact, so every usage record carries this
//! *estimated* cost when it is recorded.

use std::collections::BTreeMap;
use std::ops::Add;

use chrono::{Datelike, Months, NaiveDate};

/// Micro-dollars per million tokens of each kind. Voice models price audio
/// tokens apart from (and far above) text tokens; a model priced for text
/// only ([`TokenPrice::text`], [`TokenPrice::flat`]) prices any audio token
/// as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenPrice {
    /// Text tokens (every token of a model without audio).
    pub input: i64,
    /// Input tokens the provider served from its prompt cache.
    pub cached_input: i64,
    pub output: i64,
    pub audio_input: i64,
    /// Audio input tokens the provider served from its prompt cache.
    pub cached_audio_input: i64,
    pub audio_output: i64,
}

impl TokenPrice {
    /// One price for every kind of token (embeddings have input only).
    pub const fn flat(per_million: i64) -> TokenPrice {
        TokenPrice::text(per_million, per_million, per_million)
    }

    /// Text prices, which audio tokens (if any) pay too.
    pub const fn text(input: i64, cached_input: i64, output: i64) -> TokenPrice {
        TokenPrice {
            input,
            cached_input,
            output,
            audio_input: input,
            cached_audio_input: cached_input,
            audio_output: output,
        }
    }

    /// The price with audio tokens at their own prices.
    pub const fn with_audio(self, audio_input: i64, cached_audio_input: i64, audio_output: i64) -> TokenPrice {
        TokenPrice { audio_input, cached_audio_input, audio_output, ..self }
    }
}

/// The tokens of one model call, as the provider counted them: text and
/// audio apart (only voice models count audio).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TokenCount {
    /// Text input tokens (every input token of a model without audio).
    pub input: u64,
    /// Of `input`, the tokens read from the provider's cache.
    pub cached_input: u64,
    pub output: u64,
    pub audio_input: u64,
    /// Of `audio_input`, the tokens read from the provider's cache.
    pub cached_audio_input: u64,
    pub audio_output: u64,
}

impl TokenCount {
    /// Input tokens only (embeddings).
    pub const fn input(tokens: u64) -> TokenCount {
        TokenCount::text(tokens, 0, 0)
    }

    /// Text tokens: `cached_input` of the `input` were cached.
    pub const fn text(input: u64, cached_input: u64, output: u64) -> TokenCount {
        TokenCount { input, cached_input, output, audio_input: 0, cached_audio_input: 0, audio_output: 0 }
    }

    /// Audio tokens: `cached_input` of the `input` were cached.
    pub const fn audio(input: u64, cached_input: u64, output: u64) -> TokenCount {
        TokenCount {
            input: 0,
            cached_input: 0,
            output: 0,
            audio_input: input,
            cached_audio_input: cached_input,
            audio_output: output,
        }
    }

    /// Every token, text and audio, cached or not: what the usage record's
    /// quantity counts.
    pub fn total(&self) -> u64 {
        self.input.saturating_add(self.output).saturating_add(self.audio_input).saturating_add(self.audio_output)
    }

    /// In micro-dollars at `price`, each kind at its own price, rounded up
    /// once (0 only for no tokens).
    pub fn cost_micros(&self, price: TokenPrice) -> i64 {
        let cached = self.cached_input.min(self.input);
        let cached_audio = self.cached_audio_input.min(self.audio_input);
        let parts = [
            (self.input - cached, price.input),
            (cached, price.cached_input),
            (self.output, price.output),
            (self.audio_input - cached_audio, price.audio_input),
            (cached_audio, price.cached_audio_input),
            (self.audio_output, price.audio_output),
        ];
        let per_million: i128 = parts.iter().map(|(tokens, price)| i128::from(*tokens) * i128::from(*price)).sum();
        let micros = (per_million + 999_999) / 1_000_000;
        i64::try_from(micros).unwrap_or(i64::MAX)
    }
}

/// Both calls' tokens, kind by kind (saturating).
impl Add for TokenCount {
    type Output = TokenCount;

    fn add(self, other: TokenCount) -> TokenCount {
        TokenCount {
            input: self.input.saturating_add(other.input),
            cached_input: self.cached_input.saturating_add(other.cached_input),
            output: self.output.saturating_add(other.output),
            audio_input: self.audio_input.saturating_add(other.audio_input),
            cached_audio_input: self.cached_audio_input.saturating_add(other.cached_audio_input),
            audio_output: self.audio_output.saturating_add(other.audio_output),
        }
    }
}

/// OpenAI's `gpt-realtime-mini` and `gpt-realtime-2.1-mini`.
const REALTIME_MINI: TokenPrice =
    TokenPrice::text(600_000, 60_000, 2_400_000).with_audio(10_000_000, 300_000, 20_000_000);

/// OpenAI's `gpt-realtime` and `gpt-realtime-1.5`.
const REALTIME: TokenPrice =
    TokenPrice::text(4_000_000, 400_000, 16_000_000).with_audio(32_000_000, 400_000, 64_000_000);

/// Why a price table entry was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PriceError {
    #[error(
        "{0:?} is not `model=input[/cached/output[/audio_input/cached_audio_input/audio_output]]` (US dollars per million tokens)"
    )]
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
            ("gpt-5.6-luna", TokenPrice::text(200_000, 20_000, 1_200_000)),
            ("gpt-4o-mini", TokenPrice::text(150_000, 75_000, 600_000)),
            ("gpt-4.1-mini", TokenPrice::text(400_000, 100_000, 1_600_000)),
            ("gpt-5-mini", TokenPrice::text(250_000, 25_000, 2_000_000)),
            // Realtime voice: text, then audio, each input / cached input /
            // output (OpenAI's model pages; audio costs 10 to 17 times text).
            ("gpt-realtime-2.1-mini", REALTIME_MINI),
            ("gpt-realtime-mini", REALTIME_MINI),
            (
                "gpt-4o-mini-realtime-preview",
                TokenPrice::text(600_000, 300_000, 2_400_000).with_audio(10_000_000, 300_000, 20_000_000),
            ),
            (
                "gpt-realtime-2",
                TokenPrice::text(4_000_000, 400_000, 24_000_000).with_audio(32_000_000, 400_000, 64_000_000),
            ),
            ("gpt-realtime-1.5", REALTIME),
            ("gpt-realtime", REALTIME),
            (
                "gpt-4o-realtime-preview",
                TokenPrice::text(5_000_000, 2_500_000, 20_000_000).with_audio(40_000_000, 2_500_000, 80_000_000),
            ),
            // Voicemail transcription: audio tokens in, text out (OpenAI's
            // list prices; about $0.003 and $0.006 a minute). No cache. The
            // transcriber reports its audio as input tokens.
            ("gpt-4o-mini-transcribe", TokenPrice::text(3_000_000, 3_000_000, 5_000_000)),
            ("gpt-4o-transcribe", TokenPrice::text(6_000_000, 6_000_000, 10_000_000)),
        ];
        PriceTable { prices: standard.into_iter().map(|(model, price)| (model.to_owned(), price)).collect() }
    }

    /// The table with `spec`'s entries added or replaced: comma-separated
    /// `model=input` (every token at one price), `model=input/cached/output`
    /// (audio tokens, if any, priced as text) or
    /// `model=input/cached/output/audio_input/cached_audio_input/audio_output`
    /// (a voice model: text, then audio), in US dollars per million tokens
    /// (`my-embedder=0.01,gpt-5.6-luna=0.2/0.02/1.2,gpt-realtime-mini=0.6/0.06/2.4/10/0.3/20`).
    pub fn with_overrides(mut self, spec: &str) -> Result<PriceTable, PriceError> {
        for entry in spec.split(',').map(str::trim).filter(|entry| !entry.is_empty()) {
            let (model, amounts) = entry.split_once('=').ok_or_else(|| PriceError::Malformed(entry.to_owned()))?;
            let model = model.trim();
            let amounts: Vec<i64> = amounts.split('/').map(dollars_to_micros).collect::<Result<_, _>>()?;
            let price = match amounts[..] {
                [flat] => TokenPrice::flat(flat),
                [input, cached_input, output] => TokenPrice::text(input, cached_input, output),
                [input, cached_input, output, audio_input, cached_audio_input, audio_output] => {
                    let text = TokenPrice::text(input, cached_input, output);
                    text.with_audio(audio_input, cached_audio_input, audio_output)
                }
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

/// Why a rate card entry was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RateCardError {
    #[error("{0:?} is not `rate=dollars` (e.g. `voice_minute=0.0085`)")]
    Malformed(String),
    #[error("unknown rate {0:?}; the rates are {known}", known = Rate::NAMES.join(", "))]
    Unknown(String),
    #[error("the rate {0} is given twice")]
    Repeated(&'static str),
    #[error("the rate {rate}={amount:?} is not a non-negative number of dollars with at most 6 decimals")]
    Amount { rate: &'static str, amount: String },
}

/// One line of the rate card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rate {
    VoiceMinute,
    TransferMinute,
    SmsSegment,
    NumberMonth,
}

impl Rate {
    const ALL: [Rate; 4] = [Rate::VoiceMinute, Rate::TransferMinute, Rate::SmsSegment, Rate::NumberMonth];
    const NAMES: [&'static str; 4] = ["voice_minute", "transfer_minute", "sms_segment", "number_month"];

    fn name(self) -> &'static str {
        Rate::NAMES[self as usize]
    }

    fn parse(raw: &str) -> Option<Rate> {
        Rate::ALL.into_iter().find(|rate| rate.name() == raw)
    }
}

/// What things cost us, in US micro-dollars: each billable minute of an
/// inbound call, each minute of the outbound leg when a call is transferred,
/// each SMS segment sent, each phone number per month, and model tokens (the
/// [`PriceTable`]). These are estimates made when usage is recorded (the
/// provider's own price arrives later, if at all); they feed gross margin
/// and cost per call, never what a shop is charged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateCard {
    voice_minute: i64,
    transfer_minute: i64,
    sms_segment: i64,
    number_month: i64,
    tokens: PriceTable,
}

impl RateCard {
    /// Receiving a call on a US local number, per minute: Twilio's US list
    /// price, $0.0085 (twilio.com/en-us/voice/pricing/us, "Receive calls,
    /// local"; `reference/product.md` quotes $0.0085-0.01).
    pub const DEFAULT_VOICE_MINUTE_MICROS: i64 = 8_500;
    /// The outbound leg dialled when a call is transferred to the owner, per
    /// minute: Twilio's US list price for making a call, $0.014 (same page,
    /// "Make calls"). The inbound leg keeps running meanwhile and is billed
    /// as voice minutes too.
    pub const DEFAULT_TRANSFER_MINUTE_MICROS: i64 = 14_000;
    /// One outbound SMS segment, carrier fee included: $0.0083 (Twilio's US
    /// SMS price as `reference/ai-layer.md` §5 cites it). US carriers add
    /// pass-through fees per segment that vary by carrier and registration;
    /// raise `sms_segment` when the provider's invoices run higher.
    pub const DEFAULT_SMS_SEGMENT_MICROS: i64 = 8_300;
    /// One US local phone number for a month: $1.15 (Twilio's US list price
    /// for a local number; `reference/product.md` rounds it to $1).
    pub const DEFAULT_NUMBER_MONTH_MICROS: i64 = 1_150_000;

    /// The default rates and the standard token prices.
    pub fn standard() -> RateCard {
        RateCard {
            voice_minute: RateCard::DEFAULT_VOICE_MINUTE_MICROS,
            transfer_minute: RateCard::DEFAULT_TRANSFER_MINUTE_MICROS,
            sms_segment: RateCard::DEFAULT_SMS_SEGMENT_MICROS,
            number_month: RateCard::DEFAULT_NUMBER_MONTH_MICROS,
            tokens: PriceTable::standard(),
        }
    }

    /// The card with `spec`'s rates replaced: comma-separated `rate=dollars`
    /// with rates `voice_minute`, `transfer_minute`, `sms_segment` and
    /// `number_month`, in US dollars with at most 6 decimals
    /// (`voice_minute=0.0085,sms_segment=0.0083,number_month=1.15`). The
    /// rates not named keep their value; a rate named twice is refused.
    pub fn with_overrides(mut self, spec: &str) -> Result<RateCard, RateCardError> {
        let mut seen = Vec::new();
        for entry in spec.split(',').map(str::trim).filter(|entry| !entry.is_empty()) {
            let (name, amount) = entry.split_once('=').ok_or_else(|| RateCardError::Malformed(entry.to_owned()))?;
            let name = name.trim();
            if name.is_empty() {
                return Err(RateCardError::Malformed(entry.to_owned()));
            }
            let rate = Rate::parse(name).ok_or_else(|| RateCardError::Unknown(name.to_owned()))?;
            if seen.contains(&rate) {
                return Err(RateCardError::Repeated(rate.name()));
            }
            seen.push(rate);
            let micros = dollars_to_micros(amount)
                .map_err(|_| RateCardError::Amount { rate: rate.name(), amount: amount.trim().to_owned() })?;
            match rate {
                Rate::VoiceMinute => self.voice_minute = micros,
                Rate::TransferMinute => self.transfer_minute = micros,
                Rate::SmsSegment => self.sms_segment = micros,
                Rate::NumberMonth => self.number_month = micros,
            }
        }
        Ok(self)
    }

    /// The card with model tokens priced by `tokens`.
    pub fn with_token_prices(mut self, tokens: PriceTable) -> RateCard {
        self.tokens = tokens;
        self
    }

    pub fn token_prices(&self) -> &PriceTable {
        &self.tokens
    }

    pub fn voice_minute_micros(&self) -> i64 {
        self.voice_minute
    }

    pub fn transfer_minute_micros(&self) -> i64 {
        self.transfer_minute
    }

    pub fn sms_segment_micros(&self) -> i64 {
        self.sms_segment
    }

    pub fn number_month_micros(&self) -> i64 {
        self.number_month
    }

    /// What `billable_minutes` of an inbound call cost (saturating; a
    /// negative count costs nothing).
    pub fn call_cost_micros(&self, billable_minutes: i64) -> i64 {
        times(billable_minutes, self.voice_minute)
    }

    /// What `billable_minutes` of an outbound leg (a transfer's dialled
    /// owner, a call back's dialled customer) cost, on top of the inbound
    /// call's own minutes: `Metering::record_outbound_leg`, from the Dial
    /// action's `DialCallDuration`.
    pub fn transfer_cost_micros(&self, billable_minutes: i64) -> i64 {
        times(billable_minutes, self.transfer_minute)
    }

    /// What `segments` SMS segments cost.
    pub fn sms_cost_micros(&self, segments: i64) -> i64 {
        times(segments, self.sms_segment)
    }

    /// The rent of `numbers` phone numbers over `window_days` days of a
    /// month of `days_in_month` days: `numbers × number_month ×
    /// window_days ÷ days_in_month`, rounded up to the micro-dollar (a
    /// window longer than the month costs more than a month). A
    /// `days_in_month` of 0 is taken as 1. For a window that spans months,
    /// see [`RateCard::number_rent_micros_between`].
    pub fn number_rent_micros(&self, numbers: u32, window_days: u32, days_in_month: u32) -> i64 {
        let numerator = i128::from(numbers) * i128::from(self.number_month.max(0)) * i128::from(window_days);
        let denominator = i128::from(days_in_month.max(1));
        let micros = (numerator + denominator - 1) / denominator;
        i64::try_from(micros).unwrap_or(i64::MAX)
    }

    /// The rent of `numbers` phone numbers from day `start` up to, not
    /// including, day `end`: each calendar month's days at that month's
    /// length ([`RateCard::number_rent_micros`] per month, so each month
    /// rounds up on its own). Nothing when `end` is not after `start`.
    pub fn number_rent_micros_between(&self, numbers: u32, start: NaiveDate, end: NaiveDate) -> i64 {
        let mut total: i64 = 0;
        let mut day = start;
        while day < end {
            let month_start = day.with_day(1).unwrap_or(day);
            let next_month = month_start.checked_add_months(Months::new(1)).unwrap_or(NaiveDate::MAX);
            let days_in_month = u32::try_from((next_month - month_start).num_days()).unwrap_or(31);
            let until = next_month.min(end);
            let window_days = u32::try_from((until - day).num_days()).unwrap_or(u32::MAX);
            total = total.saturating_add(self.number_rent_micros(numbers, window_days, days_in_month));
            if until <= day {
                break;
            }
            day = until;
        }
        total
    }
}

impl Default for RateCard {
    fn default() -> RateCard {
        RateCard::standard()
    }
}

/// The default rates with model tokens priced by `tokens`.
impl From<PriceTable> for RateCard {
    fn from(tokens: PriceTable) -> RateCard {
        RateCard::standard().with_token_prices(tokens)
    }
}

/// `quantity × rate` micro-dollars, saturating; nothing for no quantity.
fn times(quantity: i64, rate: i64) -> i64 {
    quantity.max(0).saturating_mul(rate.max(0))
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
        let turn = TokenCount::text(2_000, 1_700, 100);
        assert_eq!(turn.cost_micros(luna), 214);
        assert_eq!(turn.total(), 2_100);
        let odd = TokenCount::text(10, 50, 0);
        assert_eq!(odd.cost_micros(luna), TokenCount::text(10, 10, 0).cost_micros(luna));
        let odd_audio = TokenCount::audio(10, 50, 0);
        assert_eq!(odd_audio.cost_micros(luna), TokenCount::audio(10, 10, 0).cost_micros(luna));
        let huge = TokenCount::text(u64::MAX, 0, u64::MAX) + TokenCount::audio(u64::MAX, 0, u64::MAX);
        assert_eq!(huge.cost_micros(luna), i64::MAX);
        assert_eq!(huge.total(), u64::MAX);
    }

    #[test]
    fn audio_and_text_tokens_are_priced_apart() {
        let mini = PriceTable::standard().price("gpt-realtime-mini").unwrap_or_else(|| panic!("priced"));
        // One realtime answer: text 100 in (80 cached) and 10 out, audio 50
        // in (40 cached) and 200 out. In micro-dollars: text 20 × 0.6 +
        // 80 × 0.06 + 10 × 2.4 = 40.8; audio 10 × 10 + 40 × 0.3 + 200 × 20
        // = 4,112; 4,152.8 together, rounded up once.
        let answer = TokenCount::text(100, 80, 10) + TokenCount::audio(50, 40, 200);
        let expected = TokenCount {
            input: 100,
            cached_input: 80,
            output: 10,
            audio_input: 50,
            cached_audio_input: 40,
            audio_output: 200,
        };
        assert_eq!(answer, expected);
        assert_eq!(answer.total(), 360, "every token counts once, cached or not");
        let cases = [
            (answer, 4_153),
            (TokenCount::text(100, 80, 10), 41),
            (TokenCount::audio(50, 40, 200), 4_112),
            // The same 300 tokens out: audio at 20 micro-dollars each, text at 2.4.
            (TokenCount::audio(0, 0, 300), 6_000),
            (TokenCount::text(0, 0, 300), 720),
        ];
        for (tokens, micros) in cases {
            assert_eq!(tokens.cost_micros(mini), micros, "{tokens:?}");
        }
        // A model priced for text only prices audio tokens as text.
        let luna = PriceTable::standard().price("gpt-5.6-luna").unwrap_or_else(|| panic!("priced"));
        assert_eq!(TokenCount::audio(300, 100, 50).cost_micros(luna), TokenCount::text(300, 100, 50).cost_micros(luna));
    }

    #[test]
    fn the_realtime_models_have_their_audio_prices() {
        // Dollars per million tokens: text in / cached / out, audio in / cached / out.
        let cases = [
            ("gpt-realtime-2.1-mini", "0.6/0.06/2.4/10/0.3/20"),
            ("gpt-realtime-mini", "0.6/0.06/2.4/10/0.3/20"),
            ("gpt-4o-mini-realtime-preview", "0.6/0.3/2.4/10/0.3/20"),
            ("gpt-realtime-2", "4/0.4/24/32/0.4/64"),
            ("gpt-realtime-1.5", "4/0.4/16/32/0.4/64"),
            ("gpt-realtime", "4/0.4/16/32/0.4/64"),
            ("gpt-4o-realtime-preview", "5/2.5/20/40/2.5/80"),
        ];
        let table = PriceTable::standard();
        for (model, dollars) in cases {
            let price = table.price(model).unwrap_or_else(|| panic!("{model} is priced"));
            let actual = [
                price.input,
                price.cached_input,
                price.output,
                price.audio_input,
                price.cached_audio_input,
                price.audio_output,
            ];
            let expected: Vec<i64> = dollars.split('/').map(|d| dollars_to_micros(d).unwrap_or(-1)).collect();
            assert_eq!(actual.to_vec(), expected, "{model}");
        }
    }

    #[test]
    fn overrides_add_and_replace_prices() {
        let table = PriceTable::standard()
            .with_overrides(" local-embed=0.01 , gpt-5.6-luna=0.3/0.03/1.5,")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(table.price("local-embed@768"), Some(TokenPrice::flat(10_000)));
        assert_eq!(table.price("gpt-5.6-luna"), Some(TokenPrice::text(300_000, 30_000, 1_500_000)));
        assert_eq!(table.price("text-embedding-3-small"), Some(TokenPrice::flat(20_000)), "the rest is kept");
        assert_eq!(table.price("unknown-model"), None);
        assert_eq!(PriceTable::standard().with_overrides(""), Ok(PriceTable::standard()));
    }

    #[test]
    fn overrides_may_give_a_voice_models_audio_prices() {
        let table = PriceTable::standard()
            .with_overrides("my-voice=0.5/0.05/2/8/0.25/16, gpt-realtime-mini=1/0.1/3")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            table.price("my-voice"),
            Some(TokenPrice::text(500_000, 50_000, 2_000_000).with_audio(8_000_000, 250_000, 16_000_000))
        );
        // Three prices, as before audio was priced apart: audio pays them too.
        let three = table.price("gpt-realtime-mini").unwrap_or_else(|| panic!("priced"));
        assert_eq!(three, TokenPrice::text(1_000_000, 100_000, 3_000_000));
        assert_eq!(TokenCount::audio(1_000, 0, 1_000).cost_micros(three), 4_000);
        assert_eq!(table.price("gpt-realtime"), PriceTable::standard().price("gpt-realtime"), "the rest is kept");
    }

    #[test]
    fn malformed_overrides_are_refused() {
        let cases = [
            ("no-equals", PriceError::Malformed("no-equals".into())),
            ("=0.1", PriceError::Malformed("=0.1".into())),
            ("m=0.1/0.2", PriceError::Malformed("m=0.1/0.2".into())),
            ("m=1/2/3/4", PriceError::Malformed("m=1/2/3/4".into())),
            ("m=1/2/3/4/5", PriceError::Malformed("m=1/2/3/4/5".into())),
            ("m=1/2/3/4/5/6/7", PriceError::Malformed("m=1/2/3/4/5/6/7".into())),
            ("m=1/2/3/4/5/x", PriceError::Amount("x".into())),
            ("m=-1", PriceError::Amount("-1".into())),
            ("m=abc", PriceError::Amount("abc".into())),
            ("m=0.0000001", PriceError::Amount("0.0000001".into())),
            ("m=.", PriceError::Amount(".".into())),
        ];
        for (spec, error) in cases {
            assert_eq!(PriceTable::standard().with_overrides(spec), Err(error), "{spec}");
        }
        assert_eq!(
            PriceError::Malformed("m=1/2".into()).to_string(),
            "\"m=1/2\" is not `model=input[/cached/output[/audio_input/cached_audio_input/audio_output]]` (US dollars per million tokens)"
        );
        assert_eq!(dollars_to_micros("1.5"), Ok(1_500_000));
        assert_eq!(dollars_to_micros(".25"), Ok(250_000));
        assert_eq!(dollars_to_micros("20"), Ok(20_000_000));
    }

    fn card(spec: &str) -> RateCard {
        RateCard::standard().with_overrides(spec).unwrap_or_else(|e| panic!("{spec}: {e}"))
    }

    #[test]
    fn the_standard_card_holds_the_default_rates_and_token_prices() {
        let standard = RateCard::standard();
        let rates = [
            standard.voice_minute_micros(),
            standard.transfer_minute_micros(),
            standard.sms_segment_micros(),
            standard.number_month_micros(),
        ];
        assert_eq!(rates, [8_500, 14_000, 8_300, 1_150_000]);
        assert_eq!(standard.token_prices(), &PriceTable::standard());
        assert_eq!(RateCard::default(), standard);
        let local = PriceTable::standard().with_overrides("local=0").unwrap_or_else(|e| panic!("{e}"));
        let from_table = RateCard::from(local.clone());
        assert_eq!(from_table.token_prices(), &local);
        assert_eq!(from_table.voice_minute_micros(), 8_500, "the telephone rates are the defaults");
    }

    #[test]
    fn rate_card_overrides_replace_the_named_rates_only() {
        let cases = [
            ("", [8_500, 14_000, 8_300, 1_150_000]),
            (
                "voice_minute=0.0085,sms_segment=0.0083,number_month=1.15,transfer_minute=0.014",
                [8_500, 14_000, 8_300, 1_150_000],
            ),
            (" voice_minute = 0.013 ,", [13_000, 14_000, 8_300, 1_150_000]),
            ("number_month=2,sms_segment=.0109", [8_500, 14_000, 10_900, 2_000_000]),
            ("transfer_minute=0", [8_500, 0, 8_300, 1_150_000]),
            ("voice_minute=0.000001", [1, 14_000, 8_300, 1_150_000]),
        ];
        for (spec, expected) in cases {
            let card = card(spec);
            let actual = [
                card.voice_minute_micros(),
                card.transfer_minute_micros(),
                card.sms_segment_micros(),
                card.number_month_micros(),
            ];
            assert_eq!(actual, expected, "{spec:?}");
            assert_eq!(card.token_prices(), &PriceTable::standard(), "{spec:?}");
        }
    }

    #[test]
    fn malformed_rate_card_entries_are_refused_with_what_is_accepted() {
        let amount = |rate, amount: &str| RateCardError::Amount { rate, amount: amount.to_owned() };
        let cases = [
            ("voice_minute", RateCardError::Malformed("voice_minute".into())),
            ("=0.01", RateCardError::Malformed("=0.01".into())),
            ("voice=0.01", RateCardError::Unknown("voice".into())),
            ("gpt-5.6-luna=0.2", RateCardError::Unknown("gpt-5.6-luna".into())),
            ("voice_minute=0.01,voice_minute=0.02", RateCardError::Repeated("voice_minute")),
            ("voice_minute=-0.01", amount("voice_minute", "-0.01")),
            ("sms_segment=$0.0083", amount("sms_segment", "$0.0083")),
            ("number_month=", amount("number_month", "")),
            ("transfer_minute=0.0000001", amount("transfer_minute", "0.0000001")),
            ("number_month=1,15", RateCardError::Malformed("15".into())),
        ];
        for (spec, error) in cases {
            assert_eq!(RateCard::standard().with_overrides(spec), Err(error), "{spec}");
        }
        assert_eq!(
            RateCardError::Unknown("voice".into()).to_string(),
            "unknown rate \"voice\"; the rates are voice_minute, transfer_minute, sms_segment, number_month"
        );
        assert_eq!(
            amount("voice_minute", "-0.01").to_string(),
            "the rate voice_minute=\"-0.01\" is not a non-negative number of dollars with at most 6 decimals"
        );
    }

    #[test]
    fn usage_costs_are_quantity_times_rate() {
        let card = RateCard::standard();
        let cases = [
            (card.call_cost_micros(0), 0),
            (card.call_cost_micros(1), 8_500),
            (card.call_cost_micros(3), 25_500),
            (card.call_cost_micros(-2), 0),
            (card.call_cost_micros(i64::MAX), i64::MAX),
            (card.transfer_cost_micros(2), 28_000),
            (card.sms_cost_micros(1), 8_300),
            (card.sms_cost_micros(4), 33_200),
        ];
        for (index, (actual, expected)) in cases.into_iter().enumerate() {
            assert_eq!(actual, expected, "case {index}");
        }
    }

    #[test]
    fn number_rent_is_prorated_by_days_and_rounded_up() {
        let card = RateCard::standard();
        let cases = [
            // (numbers, window days, days in the month) → micro-dollars.
            ((1, 30, 30), 1_150_000),
            ((1, 31, 31), 1_150_000),
            ((3, 28, 28), 3_450_000),
            ((0, 30, 30), 0),
            ((1, 0, 30), 0),
            // 1.15 × 10 / 30 = 0.38333… dollars: 383,334 micro-dollars.
            ((1, 10, 30), 383_334),
            ((1, 1, 31), 37_097),
            // A 30-day window in February is more than a month.
            ((1, 30, 28), 1_232_143),
            // A month of 0 days is taken as 1.
            ((1, 1, 0), 1_150_000),
            ((u32::MAX, u32::MAX, 1), i64::MAX),
        ];
        for ((numbers, window_days, days_in_month), expected) in cases {
            assert_eq!(
                card.number_rent_micros(numbers, window_days, days_in_month),
                expected,
                "{numbers} numbers, {window_days} of {days_in_month} days"
            );
        }
    }

    #[test]
    fn number_rent_between_days_prorates_each_month_by_its_length() {
        let card = card("number_month=3.1");
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap_or_else(|| panic!("{y}-{m}-{d}"));
        let cases = [
            // All of January: a month.
            ((day(2026, 1, 1), day(2026, 2, 1)), 3_100_000),
            // 10 days of January (31) and 5 of February (28): 1 + 0.553571….
            ((day(2026, 1, 22), day(2026, 2, 6)), 1_000_000 + 553_572),
            // A whole year: twelve months.
            ((day(2026, 1, 1), day(2027, 1, 1)), 12 * 3_100_000),
            ((day(2026, 3, 5), day(2026, 3, 5)), 0),
            ((day(2026, 3, 6), day(2026, 3, 5)), 0),
        ];
        for ((start, end), expected) in cases {
            assert_eq!(card.number_rent_micros_between(1, start, end), expected, "{start} to {end}");
        }
        // Two numbers: each month's share rounds up once, not per number.
        assert_eq!(card.number_rent_micros_between(2, day(2026, 1, 22), day(2026, 2, 6)), 2_000_000 + 1_107_143);
    }
}
