use frontdesk_language::normalize;

fn check(input: &str, expected: &str) {
    assert_eq!(normalize(input), expected, "input: {input:?}");
}

#[test]
fn case_punctuation_and_whitespace() {
    check("  Hello,   WORLD!! ", "hello world");
    check("", "");
    check("…?!", "");
    check("Twenty-five", "twenty five");
    check("haircut & beard", "haircut and beard");
    check("Yes. No? Maybe!", "yes no maybe");
}

#[test]
fn apostrophes_keep_words_whole() {
    check("it's 3 o'clock", "its 3 oclock");
    check("kid\u{2019}s haircut", "kids haircut");
    check("I'd like to", "id like to");
    check("'quoted'", "quoted");
}

#[test]
fn times_and_dates_keep_their_separators() {
    check("2:30 P.M.", "2:30 pm");
    check("2pm", "2 pm");
    check("10:45am", "10:45 am");
    check("9 a.m.", "9 am");
    check("12/24", "12/24");
    check("3ish", "3 ish");
    check("2. 30", "2 30");
}

#[test]
fn fillers_are_stripped() {
    check("Um, I'd like, like, a haircut.", "id like a haircut");
    check("hmm, let me think", "let me think");
    check("it's like tomorrow", "its tomorrow");
    check("uh, er, tomorrow", "tomorrow");
    check("uh-huh", "uh huh");
    check("mm-hmm", "mm hmm");
    check("would you like a cut", "would you like a cut");
}

#[test]
fn contractions_are_expanded() {
    check("I wanna book", "i want to book");
    check("I'm gonna be late", "im going to be late");
    check("lemme think", "let me think");
}
