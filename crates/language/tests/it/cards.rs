use frontdesk_language::{TurnRedaction, find_card_numbers, redact_card_numbers, redact_turn};

fn check(input: &str, expected: &str) {
    assert_eq!(redact_card_numbers(input), expected, "input: {input:?}");
}

fn check_untouched(input: &str) {
    assert_eq!(find_card_numbers(input), Vec::new(), "input: {input:?}");
    check(input, input);
}

#[test]
fn written_card_numbers() {
    check("my card is 4111 1111 1111 1111", "my card is [card number removed]");
    check("4111-1111-1111-1111", "[card number removed]");
    check("4111111111111111 exp 12/28", "[card number removed] exp 12/28");
    check("amex 378282246310005 thanks", "amex [card number removed] thanks");
    check("4111 1111 1111 1111 12 28 123", "[card number removed]");
    check("uh 4111 1111 uh 1111 1111", "uh [card number removed]");
    check("4111.1111.1111.1111.", "[card number removed].");
    check("4111111111111111 or 5500 0000 0000 0004", "[card number removed] or [card number removed]");
}

#[test]
fn spoken_card_numbers() {
    check("it's four one one one one one one one one one one one one one one one", "it's [card number removed]");
    check("four one one one double one one one one one one one one one one", "[card number removed]");
    check("five five oh oh, oh oh oh oh, oh oh oh oh, oh oh oh four", "[card number removed]");
    check("Four, one, one, one, 1111, 1111, 1111 please", "[card number removed] please");
}

#[test]
fn ranges_are_byte_offsets() {
    assert_eq!(find_card_numbers("card 4111 1111 1111 1111 thanks"), vec![5..24]);
    assert_eq!(find_card_numbers("café 4111111111111111"), vec![6..22]);
}

#[test]
fn other_numbers_are_left_alone() {
    check_untouched("my number is 555 555 0100");
    check_untouched("+1 (555) 555-0100");
    check_untouched("call me at 5555550100");
    check_untouched("1 555 555 0100");
    check_untouched("tomorrow at 2:30");
    check_untouched("on 12/24/2026");
    check_untouched("my code is K7M3QX");
    check_untouched("");
    check_untouched("order 12345");
    check_untouched("five five five five five five oh one oh oh");
    check_untouched("oh I see");
}

#[test]
fn spoken_separators_join_groups() {
    check("4111 dash 1111 dash 1111 dash 1111", "[card number removed]");
    check("my card is 4111 hyphen 1111 hyphen 1111 hyphen 1111 ok", "my card is [card number removed] ok");
    check("four one one one dash one one one one dash one one one one dash one one one one", "[card number removed]");
}

/// A call's first turn: checks its redaction and returns it.
fn turn(text: &str, expected: &str, had_card_number: bool, trailing_digits: usize) -> TurnRedaction {
    let redaction = redact_turn(text, 0);
    assert_eq!(redaction, TurnRedaction { text: expected.to_owned(), had_card_number, trailing_digits }, "{text:?}");
    redaction
}

#[test]
fn a_number_split_across_two_turns_is_never_stored_whole() {
    // The caller pauses after eight digits; the provider ends the turn there.
    let first = turn("my card is 4111 1111", "my card is [number removed]", false, 8);
    let second = redact_turn("1111 1111 and my name is Jo", first.trailing_digits);
    assert_eq!(second.text, "[card number removed] and my name is Jo");
    assert!(second.had_card_number);
    // Split after four digits: the four stay (no card's worth), the rest go.
    let first = turn("it's 4111", "it's 4111", false, 4);
    let second = redact_turn("1111 1111 1111", first.trailing_digits);
    assert_eq!((second.text.as_str(), second.had_card_number), ("[card number removed]", true));
    // Spoken words and "dash" across the pause.
    let first = turn("four one one one dash one one one one", "[number removed]", false, 8);
    let second = redact_turn("dash one one one one dash one one one one", first.trailing_digits);
    assert!(second.had_card_number && !second.text.contains("one"), "{second:?}");
}

#[test]
fn ordinary_numbers_across_turns_are_kept() {
    // Times, dates and short numbers neither carry nor get removed.
    turn("friday at 11 30", "friday at 11 30", false, 4);
    let next = redact_turn("2 pm works", 4);
    assert_eq!((next.text.as_str(), next.had_card_number), ("2 pm works", false));
    turn("the 27th please", "the 27th please", false, 0);
    turn("code K7M3QX", "code K7M3QX", false, 0);
    // Digits that do not open the turn are not joined with the previous turn.
    let next = redact_turn("my name is Jo and I'm 1111 1111 1111", 8);
    assert!(!next.had_card_number, "{next:?}");
    // A whole card in one turn carries nothing.
    turn("4111 1111 1111 1111", "[card number removed]", true, 0);
}
