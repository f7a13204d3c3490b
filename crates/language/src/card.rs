//! Payment card numbers, which must never be stored or logged.

use std::ops::Range;

/// Fewest digits in a card number; phone numbers (10-11 digits) stay below it.
const CARD_MIN_DIGITS: usize = 13;

const REPLACEMENT: &str = "[card number removed]";

/// Byte ranges of `text` that hold a payment card number: a run of 13 or more
/// digits, written with or without spaces, dashes or dots between groups, or
/// spoken as words ("four one one one ...", "double one", "oh" for zero).
///
/// Runs longer than 19 digits are flagged whole: a card number followed by its
/// expiry date or security code is still sensitive. Phone numbers, times and
/// dates are too short or use other separators ("12/24", "2:30") and are left
/// alone.
pub fn find_card_numbers(text: &str) -> Vec<Range<usize>> {
    let tokens = digit_tokens(text);
    let mut found = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let Some(first_digits) = tokens[i].digits.filter(|_| tokens[i].can_start) else {
            i += 1;
            continue;
        };
        let mut digit_count = first_digits;
        let mut last = i;
        let mut k = i + 1;
        while k < tokens.len() && joins(text, &tokens[k - 1], &tokens[k]) {
            match tokens[k].digits {
                Some(count) => {
                    digit_count += count;
                    last = k;
                }
                None if tokens[k].filler => {}
                None => break,
            }
            k += 1;
        }
        if digit_count >= CARD_MIN_DIGITS {
            found.push(tokens[i].span.start..tokens[last].span.end);
        }
        i = last + 1;
    }
    found
}

/// `text` with every card number replaced by "[card number removed]".
pub fn redact_card_numbers(text: &str) -> String {
    let mut redacted = text.to_owned();
    for range in find_card_numbers(text).into_iter().rev() {
        redacted.replace_range(range, REPLACEMENT);
    }
    redacted
}

struct DigitToken {
    span: Range<usize>,
    /// How many digits this word stands for, if it is a number.
    digits: Option<usize>,
    /// "oh" is zero inside a number but an interjection before one.
    can_start: bool,
    /// Ignored inside a run ("four one one uh one").
    filler: bool,
}

fn digit_tokens(text: &str) -> Vec<DigitToken> {
    let mut words: Vec<(Range<usize>, String)> = Vec::new();
    let mut start = None;
    for (index, c) in text.char_indices() {
        match (c.is_alphanumeric(), start) {
            (true, None) => start = Some(index),
            (false, Some(from)) => {
                words.push((from..index, text[from..index].to_lowercase()));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(from) = start {
        words.push((from..text.len(), text[from..].to_lowercase()));
    }

    let mut tokens: Vec<DigitToken> = Vec::with_capacity(words.len());
    let mut i = 0;
    while i < words.len() {
        let (span, word) = &words[i];
        let repeat = match word.as_str() {
            "double" => 2,
            "triple" => 3,
            _ => 0,
        };
        if repeat > 0
            && let Some((next_span, next_word)) = words.get(i + 1)
            && spoken_digit(next_word)
        {
            tokens.push(DigitToken {
                span: span.start..next_span.end,
                digits: Some(repeat),
                can_start: true,
                filler: false,
            });
            i += 2;
            continue;
        }
        let digits = if word.bytes().all(|b| b.is_ascii_digit()) {
            Some(word.len())
        } else if spoken_digit(word) {
            Some(1)
        } else {
            None
        };
        let can_start = !matches!(word.as_str(), "oh" | "o");
        let filler = matches!(word.as_str(), "uh" | "um" | "umm" | "er" | "erm" | "and" | "then");
        tokens.push(DigitToken { span: span.clone(), digits, can_start, filler });
        i += 1;
    }
    tokens
}

fn spoken_digit(word: &str) -> bool {
    matches!(word, "zero" | "oh" | "o" | "one" | "two" | "three" | "four" | "five" | "six" | "seven" | "eight" | "nine")
}

/// Whether only spaces, dashes, dots or commas separate two tokens.
fn joins(text: &str, left: &DigitToken, right: &DigitToken) -> bool {
    text.get(left.span.end..right.span.start)
        .is_some_and(|between| between.chars().all(|c| c.is_whitespace() || matches!(c, '-' | '.' | ',')))
}
