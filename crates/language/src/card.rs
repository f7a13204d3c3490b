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

/// A caller turn made safe to store, with card numbers that span turns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TurnRedaction {
    /// The turn with card numbers (and digits that may begin one) removed.
    pub text: String,
    /// A card number was (or was being) spoken.
    pub had_card_number: bool,
    /// How many digits the turn ended on: a caller who pauses mid-number
    /// ends the turn there, and the next turn's digits may finish it. Only
    /// the count is carried, never the digits.
    pub trailing_digits: usize,
}

/// Fewest trailing digits withheld from a stored turn because the next turn
/// may complete them into a card number. Times, dates, codes and house
/// numbers are shorter.
const CARRIED_MIN_DIGITS: usize = 6;

const WITHHELD: &str = "[number removed]";

/// Redacts one caller turn of a call, knowing how many digits the previous
/// turn ended on (`digits_before`, from its [`TurnRedaction`]):
/// - card numbers inside the turn are removed, as [`redact_card_numbers`];
/// - digits that open the turn are removed when, with the previous turn's
///   trailing digits, they make a card number's length;
/// - digits the turn ends on are removed when they may be the first part of a
///   card number (six or more, fewer than a card), since the rest may follow
///   in the next turn: a number split by a pause is never stored whole.
pub fn redact_turn(text: &str, digits_before: usize) -> TurnRedaction {
    let tokens = digit_tokens(text);
    let mut remove: Vec<(Range<usize>, &str)> =
        find_card_numbers(text).into_iter().map(|range| (range, REPLACEMENT)).collect();
    let mut had_card_number = !remove.is_empty();
    let overlaps = |remove: &[(Range<usize>, &str)], range: &Range<usize>| {
        remove.iter().any(|(r, _)| r.start < range.end && range.start < r.end)
    };
    if digits_before > 0
        && let Some(first) = tokens.iter().position(|t| !t.filler)
        && let Some((range, count)) = run_from(text, &tokens, first)
        && digits_before + count >= CARD_MIN_DIGITS
        && !overlaps(&remove, &range)
    {
        remove.push((range, REPLACEMENT));
        had_card_number = true;
    }
    let mut trailing_digits = 0;
    if let Some((range, count)) = trailing_run(text, &tokens)
        && !overlaps(&remove, &range)
    {
        trailing_digits = count;
        if (CARRIED_MIN_DIGITS..CARD_MIN_DIGITS).contains(&count) {
            remove.push((range, WITHHELD));
        }
    }
    remove.sort_by_key(|(range, _)| std::cmp::Reverse(range.start));
    let mut redacted = text.to_owned();
    for (range, replacement) in remove {
        redacted.replace_range(range, replacement);
    }
    TurnRedaction { text: redacted, had_card_number, trailing_digits }
}

/// The run of digit words starting at token `start` (which must be a digit
/// word): its byte range and digit count.
fn run_from(text: &str, tokens: &[DigitToken], start: usize) -> Option<(Range<usize>, usize)> {
    let first = tokens.get(start)?;
    let mut count = first.digits?;
    let mut last = start;
    let mut k = start + 1;
    while k < tokens.len() && joins(text, &tokens[k - 1], &tokens[k]) {
        match tokens[k].digits {
            Some(digits) => {
                count += digits;
                last = k;
            }
            None if tokens[k].filler => {}
            None => break,
        }
        k += 1;
    }
    Some((first.span.start..tokens[last].span.end, count))
}

/// The run of digit words the text ends on (trailing punctuation allowed).
fn trailing_run(text: &str, tokens: &[DigitToken]) -> Option<(Range<usize>, usize)> {
    let last = tokens.iter().rposition(|t| !t.filler)?;
    tokens[last].digits?;
    if !text[tokens[last].span.end..].chars().all(|c| !c.is_alphanumeric()) {
        return None;
    }
    let mut start = last;
    while start > 0
        && joins(text, &tokens[start - 1], &tokens[start])
        && (tokens[start - 1].digits.is_some() || tokens[start - 1].filler)
    {
        start -= 1;
    }
    while tokens[start].digits.is_none() || !tokens[start].can_start {
        start += 1;
        if start > last {
            return None;
        }
    }
    run_from(text, tokens, start)
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
        // Spoken separators ("4111 dash 1111") as well as hesitations.
        let filler = matches!(
            word.as_str(),
            "uh" | "um" | "umm" | "er" | "erm" | "and" | "then" | "dash" | "hyphen" | "space" | "dot"
        );
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
