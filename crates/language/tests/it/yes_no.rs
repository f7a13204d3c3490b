use frontdesk_language::yes_no;

fn check(input: &str, expected: Option<bool>) {
    assert_eq!(yes_no(input), expected, "input: {input:?}");
}

#[test]
fn yes() {
    for input in [
        "yes",
        "Yes!",
        "yeah",
        "yep",
        "sure",
        "that works",
        "YEAH that works for me",
        "sounds good",
        "correct",
        "perfect",
        "ok",
        "okay",
        "go ahead",
        "please do",
        "uh huh",
        "mm-hmm",
        "yes please",
        "that's right",
        "yeah sure",
        "absolutely",
        "no problem",
        "sure no worries",
        "I think so",
        "fine",
        "that's fine",
        "yes that's correct",
        "alright",
        "um yeah",
        "I don't mind",
        "I'm good with that",
    ] {
        check(input, Some(true));
    }
}

#[test]
fn no() {
    for input in [
        "no",
        "nope",
        "nah",
        "actually no",
        "not really",
        "that's wrong",
        "wait no",
        "yes no actually",
        "no that's not right",
        "yeah no",
        "no thanks",
        "I don't think so",
        "that doesn't work",
        "not that one",
        "No, sorry.",
        "never mind",
        "I can't",
        "sure, actually no",
        "I'm good thanks",
        "no I'm all set",
    ] {
        check(input, Some(false));
    }
}

#[test]
fn neither() {
    for input in [
        "",
        "what time do you close",
        "I'd like to book a haircut",
        "maybe",
        "I'm not sure",
        "I don't know",
        "hmm let me think",
        "tomorrow at 2",
        "good morning I'd like a haircut please",
        "do you take insurance",
    ] {
        check(input, None);
    }
}
