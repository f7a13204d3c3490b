//! Whatever the recogniser sends, nothing panics and every result keeps its
//! promises (sorted scores in range, byte ranges on char boundaries, codes of
//! six allowed characters).

use chrono::NaiveDate;
use frontdesk_language::{
    CODE_ALPHABET, ServiceNames, classify, extract_code, extract_name, extract_when, find_card_numbers, match_service,
    normalize, redact_card_numbers, yes_no,
};

const PIECES: &[&str] = &[
    "the",
    "next",
    "this",
    "at",
    "after",
    "before",
    "between",
    "and",
    "to",
    "from",
    "quarter",
    "half",
    "past",
    "of",
    "in",
    "a",
    "week",
    "weekend",
    "month",
    "day",
    "tomorrow",
    "friday",
    "march",
    "may",
    "3rd",
    "the",
    "first",
    "2",
    "12",
    "230",
    "1430",
    "2:30",
    "12/24",
    "12/",
    "/24",
    ":",
    "pm",
    "a.m.",
    "o'clock",
    "o",
    "clock",
    "oh",
    "two",
    "twenty",
    "five",
    "thirty",
    "hundred",
    "noon",
    "lunch",
    "ish",
    "or",
    "so",
    "no",
    "yes",
    "not",
    "I'm",
    "my",
    "name",
    "is",
    "Jane",
    "O'Brien",
    "J",
    "K",
    "7",
    "as",
    "x-ray",
    "double",
    "you",
    "4111",
    "1111",
    "-",
    ".",
    ",",
    "uh",
    "like",
    "café",
    "¿",
    "😀",
    "'",
    "",
    " ",
    "day after",
    "fade",
    "hair cut",
    "cancel",
    "book",
    "31st",
    "february",
    "29th",
    "0",
    "00",
    "99",
    "9999",
    "00:00",
    "24:00",
    "13",
    "pm",
    "am",
    "midnight",
    "through",
];

/// A small deterministic generator so the test needs no extra crates.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: usize) -> usize {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) as usize) % below
    }
}

#[test]
fn random_utterances_keep_every_promise() {
    let now = NaiveDate::from_ymd_opt(2028, 2, 29).and_then(|d| d.and_hms_opt(23, 59, 0)).unwrap_or_default();
    let services = vec![
        ServiceNames::new("Haircut and beard", ["cut and beard"]),
        ServiceNames::new("Skin fade", ["fade"]),
        ServiceNames::new("", Vec::<String>::new()),
    ];
    let mut random = Lcg(7);
    for _ in 0..3000 {
        let length = random.next(9);
        let text: Vec<&str> = (0..length).map(|_| PIECES[random.next(PIECES.len())]).collect();
        let text = text.join(if random.next(2) == 0 { " " } else { "" });

        let scores = classify(&text);
        assert!(scores.windows(2).all(|pair| pair[0].confidence >= pair[1].confidence), "{text:?}");
        assert!(scores.iter().all(|s| (0.0..=1.0).contains(&s.confidence)), "{text:?}");
        if let Some(found) = match_service(&text, &services) {
            assert!(found.index < services.len() && (0.0..=1.0).contains(&found.confidence), "{text:?}");
        }
        let _ = extract_when(&text, now);
        let _ = extract_name(&text, true);
        let _ = yes_no(&text);
        let _ = normalize(&text);
        for range in find_card_numbers(&text) {
            assert!(text.is_char_boundary(range.start) && text.is_char_boundary(range.end), "{text:?}");
        }
        let _ = redact_card_numbers(&text);
        if let Some(code) = extract_code(&text) {
            assert!(code.len() == 6 && code.chars().all(|c| CODE_ALPHABET.contains(c)), "{text:?}: {code}");
        }
    }
}
