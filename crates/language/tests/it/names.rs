use frontdesk_language::extract_name;

fn check(input: &str, asked_for_name: bool, expected: Option<&str>) {
    assert_eq!(extract_name(input, asked_for_name).as_deref(), expected, "input: {input:?}, asked: {asked_for_name}");
}

#[test]
fn introductions() {
    check("my name is Jane Doe", false, Some("Jane Doe"));
    check("I'm Jane", false, Some("Jane"));
    check("this is Jane Smith", false, Some("Jane Smith"));
    check("it's Jane", false, Some("Jane"));
    check("name's Bob", false, Some("Bob"));
    check("hi this is jane smith calling about my appointment", false, Some("Jane Smith"));
    check("yeah my name is JANE DOE", false, Some("Jane Doe"));
    check("my name is mary-jane o'brien", false, Some("Mary-Jane O'Brien"));
    check("uh my name is uh Jane", false, Some("Jane"));
    check("you can call me Bob", false, Some("Bob"));
    check("my name is Will", false, Some("Will"));
    check("I'm Jane and I'd like to book a haircut", false, Some("Jane"));
    check("book it under Smith", false, Some("Smith"));
    check("this is Mrs Jones", false, Some("Mrs Jones"));
    check("Hi, I am Carlos Alberto Ruiz from across the street", false, Some("Carlos Alberto Ruiz"));
    check("my name is DeShawn", false, Some("DeShawn"));
    check("this is Dee", false, Some("Dee"));
}

#[test]
fn bare_answers_when_asked() {
    check("Jane", true, Some("Jane"));
    check("jane", true, Some("Jane"));
    check("uh Jane Doe", true, Some("Jane Doe"));
    check("Jane Doe please", true, Some("Jane Doe"));
    check("yeah it's Jane", true, Some("Jane"));
    check("sure, Jane Doe", true, Some("Jane Doe"));
    check("Jane Doe, thanks", true, Some("Jane Doe"));
    check("my name is Jane", true, Some("Jane"));
    check("Jane. J A N E.", true, Some("Jane"));
    check("Mike", true, Some("Mike"));
}

#[test]
fn not_names() {
    check("Jane", false, None);
    check("I'm looking for a haircut", false, None);
    check("I'm not sure", false, None);
    check("I'm not sure", true, None);
    check("yes", true, None);
    check("no", true, None);
    check("I'm calling to book", false, None);
    check("this is for my son", false, None);
    check("it's about my appointment", false, None);
    check("I'm free tomorrow", false, None);
    check("tomorrow at 2", true, None);
    check("I want a haircut", true, None);
    check("", true, None);
    check("it's 555 0100", true, None);
    check("I'm good thanks", false, None);
    check("i am interested in a cleaning", false, None);
    check("um I don't know", true, None);
    check("that's me", true, None);
    check("why do you need it", true, None);
    check("I'm Sarah's mom", false, None);
    check("it's under my husband's name", false, None);
    check("I'm good", false, None);
}
