use frontdesk_language::extract_code;

fn check(input: &str, expected: Option<&str>) {
    assert_eq!(extract_code(input).as_deref(), expected, "input: {input:?}");
}

#[test]
fn written_and_spoken_codes() {
    check("K 7 M 3 Q X", Some("K7M3QX"));
    check("k7m3qx", Some("K7M3QX"));
    check("my code is K7M3QX", Some("K7M3QX"));
    check("kay seven em three cue ex", Some("K7M3QX"));
    check("K as in kilo, 7, M as in mike, 3, Q as in quebec, X as in x-ray", Some("K7M3QX"));
    check("kilo seven mike three quebec xray", Some("K7M3QX"));
    check("it's a K 7 M 3 Q X", Some("K7M3QX"));
    check("K7M 3QX", Some("K7M3QX"));
    check("k-7-m-3-q-x", Some("K7M3QX"));
    check("uh K 7 um M 3 Q X", Some("K7M3QX"));
    check("the code is A C D 4 6 9", Some("ACD469"));
    check("double seven K M Q X", Some("77KMQX"));
    check("K7M3QX sorry I mean K7M3QY", Some("K7M3QY"));
    check("tango victor four nine echo whiskey", Some("TV49EW"));
    check("it's KMQXTR", Some("KMQXTR"));
    check("seven seven seven nine nine nine", Some("777999"));
    check("M for Mary 7 K 3 Q X", Some("M7K3QX"));
    check("K. 7. M. 3. Q. X.", Some("K7M3QX"));
    check("are you there, it's K 7 M 3 Q X", Some("K7M3QX"));
    check("see 4 dee 6 double you why", Some("C4D6WY"));
}

#[test]
fn not_codes() {
    check("are you open", None);
    check("K 7 M 3 Q", None);
    check("K 7 M 3 Q X 9", None);
    check("K 7 M 3 B X", None);
    check("", None);
    check("yes", None);
    check("what time is it", None);
    check("see you tomorrow", None);
    check("I O 1 2 3 4", None);
    check("I'd like to change my appointment", None);
    check("return", None);
    check("MY CODE IS", None);
}
