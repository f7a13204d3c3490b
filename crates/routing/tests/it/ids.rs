//! The call path's ids and statuses, parsed once at the edge.

use frontdesk_core::E164;
use frontdesk_routing::{Answer, CallSid, CallStatus, Next, Outcome, TurnKey, TurnNumber};

fn turn(raw: &str) -> Option<u16> {
    TurnNumber::parse(raw).ok().map(TurnNumber::get)
}

#[test]
fn turn_numbers_are_bounded() {
    let cases = [
        ("1", Some(1)),
        ("7", Some(7)),
        (" 12 ", Some(12)),
        ("1000", Some(1000)),
        ("0", None),
        ("1001", None),
        ("4294967295", None),
        ("-1", None),
        ("", None),
        ("two", None),
        ("1.5", None),
    ];
    for (raw, expected) in cases {
        assert_eq!(turn(raw), expected, "{raw:?}");
    }
    assert_eq!(TurnNumber::parse("1000").map(TurnNumber::next).map(TurnNumber::get), Ok(1000), "saturates");
}

#[test]
fn call_sids_are_short_references() {
    for good in ["CA0123456789abcdef0123456789abcdef", "CA-load_1", "x"] {
        assert!(CallSid::parse(good).is_ok(), "{good}");
    }
    let long = "C".repeat(65);
    for bad in ["", "CA 1", "CA/../x", "CA\u{0}", long.as_str()] {
        assert!(CallSid::parse(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn turn_keys_are_the_stored_keys() {
    let sid = |raw: &str| CallSid::parse(raw).ok();
    let cases = [
        (TurnKey::Greeting, "turn-0"),
        (TurnKey::Caller(TurnNumber::FIRST), "turn-1"),
        (TurnKey::Caller(TurnNumber::FIRST.next().next()), "turn-3"),
        (TurnKey::TransferEnded(sid("CA-leg")), "dial-CA-leg"),
        (TurnKey::TransferEnded(None), "dial-none"),
        (TurnKey::Recording(sid("RE1")), "recording-RE1"),
    ];
    for (key, expected) in cases {
        assert_eq!(key.as_key(), expected);
    }
}

#[test]
fn call_statuses_parse_and_know_when_a_call_is_over() {
    for status in CallStatus::ALL {
        assert_eq!(CallStatus::parse(status.as_str()), Ok(status));
    }
    let finals: Vec<&str> = CallStatus::ALL.iter().filter(|s| s.is_final()).map(|s| s.as_str()).collect();
    assert_eq!(finals, ["completed", "busy", "no-answer", "canceled", "failed"]);
    assert!(CallStatus::parse("Completed").is_err());
    assert!(CallStatus::parse("unknown").is_err());
}

#[test]
fn answers_survive_the_store() {
    let owner = E164::parse("+15555550199").unwrap_or_else(|e| panic!("{e}"));
    let answers = [
        Answer { say: "Hi! \"Quotes\" & <tags>".to_owned(), next: Next::Listen, listen_turn: TurnNumber::FIRST },
        Answer {
            say: "Connecting you.".to_owned(),
            next: Next::Transfer { to: owner.clone() },
            listen_turn: TurnNumber::FIRST,
        },
        Answer {
            say: "Let me get someone.".to_owned(),
            next: Next::WarmTransfer { to: owner },
            listen_turn: TurnNumber::FIRST,
        },
        Answer { say: "Leave a message.".to_owned(), next: Next::Voicemail, listen_turn: TurnNumber::FIRST },
        Answer::hang_up(""),
    ];
    for answer in answers {
        assert_eq!(Answer::decode(&answer.encode()), Some(answer.clone()));
    }
    assert_eq!(Answer::decode("<Response>older TwiML</Response>"), None);
}

#[test]
fn outcomes_say_what_the_call_achieved() {
    use Outcome::*;
    let after_turn = [
        (Some(Answered), Some(Booked), Some(Booked)),
        (Some(Answered), None, Some(Answered)),
        (Some(Transferred), Some(Answered), Some(Transferred)),
        (None, Some(Cancelled), Some(Cancelled)),
        (None, None, None),
    ];
    for (reported, so_far, expected) in after_turn {
        assert_eq!(Outcome::after_turn(reported, so_far), expected, "{reported:?} after {so_far:?}");
    }
    let hang_up = [
        (None, false, Abandoned),
        (None, true, AbandonedBooking),
        (Some(Answered), true, AbandonedBooking),
        (Some(Answered), false, Answered),
        (Some(Booked), true, Booked),
        (Some(MessageTaken), false, MessageTaken),
    ];
    for (so_far, mid_booking, expected) in hang_up {
        assert_eq!(Outcome::on_hang_up(so_far, mid_booking), expected, "{so_far:?} mid-booking {mid_booking}");
    }
    for outcome in Outcome::ALL {
        assert_eq!(Outcome::parse(outcome.as_str()), Some(outcome));
    }
}
