use frontdesk_language::{Intent, IntentScore, classify};

/// The dialogue asks a clarifying question when the top two are this close.
const CLOSE: f32 = 0.15;

fn well_formed(input: &str, scores: &[IntentScore]) {
    for pair in scores.windows(2) {
        assert!(pair[0].confidence >= pair[1].confidence, "{input:?}: not sorted: {scores:?}");
    }
    for score in scores {
        assert!((0.0..=1.0).contains(&score.confidence), "{input:?}: out of range: {scores:?}");
    }
}

/// `expected` is the clear winner.
fn check(input: &str, expected: Intent) {
    let scores = classify(input);
    well_formed(input, &scores);
    let top = scores.first().map(|s| s.intent);
    assert_eq!(top, Some(expected), "input: {input:?}, scores: {scores:?}");
}

/// The top two are `a` and `b`, in either order, and close.
fn check_close(input: &str, a: Intent, b: Intent) {
    let scores = classify(input);
    well_formed(input, &scores);
    let top_two: Vec<Intent> = scores.iter().take(2).map(|s| s.intent).collect();
    assert!(top_two.contains(&a) && top_two.contains(&b), "input: {input:?}, scores: {scores:?}");
    assert!(scores[0].confidence - scores[1].confidence <= CLOSE, "input: {input:?}, scores: {scores:?}");
}

fn check_nothing(input: &str) {
    assert_eq!(classify(input), Vec::new(), "input: {input:?}");
}

#[test]
fn book() {
    check("I'd like to book a haircut for tomorrow", Intent::Book);
    check("hi yeah I wanna get a haircut", Intent::Book);
    check("can I make an appointment", Intent::Book);
    check("I need an appointment for a cleaning", Intent::Book);
    check("do you have anything available friday afternoon", Intent::Book);
    check("um can I come in tomorrow at 2", Intent::Book);
    check("I'm looking to get a skin fade", Intent::Book);
    check("any openings on saturday", Intent::Book);
    check("can you fit me in today", Intent::Book);
    check("I'd like to schedule a checkup", Intent::Book);
    check("BOOK ME IN FOR A BEARD TRIM PLEASE", Intent::Book);
    check("I'd like a haircut", Intent::Book);
    check("Hi, um, I was wondering if you guys have anything open Thursday after like four?", Intent::Book);
    check("how about next Thursday at half past ten", Intent::Book);
    check("what's available tomorrow", Intent::Book);
    check("my tooth hurts really bad", Intent::Book);
    check("yes I'd like to book for tomorrow", Intent::Book);
}

#[test]
fn cancel() {
    check("I need to cancel", Intent::Cancel);
    check("I need to cancel my appointment", Intent::Cancel);
    check("yeah I can't make it tomorrow", Intent::Cancel);
    check("please cancel my booking for friday", Intent::Cancel);
    check("I won't be able to make it on thursday", Intent::Cancel);
    check("I'd like to call off my appointment", Intent::Cancel);
    check("hi um I have to cancel, sorry", Intent::Cancel);
}

#[test]
fn reschedule() {
    check("can I move my appointment", Intent::Reschedule);
    check("I need to reschedule", Intent::Reschedule);
    check("can we push it to next week", Intent::Reschedule);
    check("I want to change the time of my appointment", Intent::Reschedule);
    check("could I switch my appointment to thursday instead", Intent::Reschedule);
    check("something came up can we do another day", Intent::Reschedule);
    check("I don't want to cancel I want to reschedule", Intent::Reschedule);
}

#[test]
fn ask_hours() {
    check("what time do you close on saturday", Intent::AskHours);
    check("what are your hours", Intent::AskHours);
    check("are you open on sunday", Intent::AskHours);
    check("when do you open tomorrow", Intent::AskHours);
    check("how late are you open tonight", Intent::AskHours);
    check("what are your opening hours", Intent::AskHours);
}

#[test]
fn ask_prices() {
    check("how much is a skin fade", Intent::AskPrices);
    check("how much for a haircut", Intent::AskPrices);
    check("what's the price of teeth whitening", Intent::AskPrices);
    check("what do you charge for a beard trim", Intent::AskPrices);
    check("how much does a cleaning cost", Intent::AskPrices);
    check("is it expensive", Intent::AskPrices);
}

#[test]
fn ask_services() {
    check("what services do you offer", Intent::AskServices);
    check("what do you offer", Intent::AskServices);
    check("do you do fades", Intent::AskServices);
    check("what kind of haircuts do you do", Intent::AskServices);
    check("can you tell me what services you have", Intent::AskServices);
}

#[test]
fn ask_location() {
    check("where are you located", Intent::AskLocation);
    check("is there parking", Intent::AskLocation);
    check("what's your address", Intent::AskLocation);
    check("how do I get there from the train", Intent::AskLocation);
    check("where do I park", Intent::AskLocation);
    check("what's the cross street", Intent::AskLocation);
}

#[test]
fn other_questions() {
    check("do you take insurance", Intent::Question);
    check("do you accept apple pay", Intent::Question);
    check("do you take walk ins", Intent::Question);
    check("how long does a cleaning take", Intent::Question);
    check("what's your cancellation policy", Intent::Question);
    check("do you see children", Intent::Question);
    check("I have a question", Intent::Question);
    check("is the dentist nice", Intent::Question);
    check("I have an appointment at 3 and I'm running late", Intent::Question);
}

#[test]
fn human() {
    check("can I talk to a real person", Intent::Human);
    check("operator", Intent::Human);
    check("I want to speak to someone", Intent::Human);
    check("let me talk to the manager", Intent::Human);
    check("transfer me please", Intent::Human);
    check("representative", Intent::Human);
    check("can I speak with Marco", Intent::Human);
    check("HUMAN", Intent::Human);
}

#[test]
fn repeat() {
    check("say that again", Intent::Repeat);
    check("pardon", Intent::Repeat);
    check("sorry what", Intent::Repeat);
    check("I didn't catch that", Intent::Repeat);
    check("can you repeat that", Intent::Repeat);
    check("what?", Intent::Repeat);
    check("huh", Intent::Repeat);
    check("come again", Intent::Repeat);
    check("sorry you're breaking up", Intent::Repeat);
    check("are you still there", Intent::Repeat);
}

#[test]
fn yes_and_no() {
    check("yeah that works", Intent::Yes);
    check("yes", Intent::Yes);
    check("sure", Intent::Yes);
    check("yep sounds good", Intent::Yes);
    check("uh huh", Intent::Yes);
    check("perfect", Intent::Yes);
    check("no actually", Intent::No);
    check("nope", Intent::No);
    check("no that's wrong", Intent::No);
    check("not really", Intent::No);
    check("I don't want to cancel", Intent::No);
    check("no I'm good thanks", Intent::No);
}

#[test]
fn goodbye() {
    check("thanks bye", Intent::Goodbye);
    check("bye", Intent::Goodbye);
    check("that's all thank you", Intent::Goodbye);
    check("have a good day", Intent::Goodbye);
    check("okay thank you goodbye", Intent::Goodbye);
    check("nothing else thanks", Intent::Goodbye);
}

#[test]
fn ambiguous_text_gives_close_scores() {
    check_close("I want to cancel and rebook", Intent::Cancel, Intent::Reschedule);
    check_close("how much is a haircut and when are you open", Intent::AskPrices, Intent::AskHours);
    check_close("is there parking and how much is it", Intent::AskPrices, Intent::AskLocation);
    check_close("okay thank you goodbye", Intent::Goodbye, Intent::Yes);
    check_close("is 10 am ok", Intent::Yes, Intent::Question);
}

#[test]
fn nothing_to_go_on() {
    check_nothing("");
    check_nothing("   ");
    check_nothing("uh um");
    check_nothing("banana");
}
