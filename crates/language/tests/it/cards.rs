use frontdesk_language::{find_card_numbers, redact_card_numbers};

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
