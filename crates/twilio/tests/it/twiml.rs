//! TwiML compared byte for byte with twilio-python 9.13 (`str(response)`
//! under CPython 3.11): the examples of protocols.md §2, every attribute we
//! expose, and hostile caller text.

use frontdesk_twilio::twiml::{
    CallProgressEvent, Client, Conference, ConferenceBeep, Connect, Dial, DialRecord, Gather, GatherInput, Message,
    MessagingResponse, Method, Number, Pause, Play, Record, RecordTrim, Redirect, Reject, RejectReason, Say, Sms,
    SpeechTimeout, Start, Stream, StreamTrack, VoiceResponse,
};

const DECLARATION: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;

/// `actual` is the declaration followed by `expected_response`.
fn check(actual: String, expected_response: &str) {
    assert_eq!(actual, format!("{DECLARATION}{expected_response}"));
}

#[test]
fn say_with_voice_and_language() {
    check(
        VoiceResponse::new()
            .say(Say::new(r#"Hello & <welcome> "x" 'y'"#).voice("Polly.Joanna").language("en-US"))
            .to_xml(),
        r#"<Response><Say language="en-US" voice="Polly.Joanna">Hello &amp; &lt;welcome&gt; "x" 'y'</Say></Response>"#,
    );
}

#[test]
fn gather_then_redirect() {
    let gather = Gather::new()
        .input(GatherInput::SpeechDtmf)
        .action("/gather?x=1&y=2")
        .method(Method::Post)
        .timeout(5)
        .speech_timeout(SpeechTimeout::Auto)
        .hints("book, cancel")
        .language("en-US")
        .num_digits(1)
        .action_on_empty_result(true)
        .say(Say::new("Press 1"));
    check(
        VoiceResponse::new().gather(gather).redirect(Redirect::new("/voice")).to_xml(),
        concat!(
            r#"<Response><Gather action="/gather?x=1&amp;y=2" actionOnEmptyResult="true" hints="book, cancel" "#,
            r#"input="speech dtmf" language="en-US" method="POST" numDigits="1" speechTimeout="auto" timeout="5">"#,
            r#"<Say>Press 1</Say></Gather><Redirect>/voice</Redirect></Response>"#,
        ),
    );
}

#[test]
fn record_then_hangup() {
    let record =
        Record::new().action("/rec").max_length(30).play_beep(true).recording_status_callback("/rs").transcribe(false);
    check(
        VoiceResponse::new().record(record).hangup().to_xml(),
        r#"<Response><Record action="/rec" maxLength="30" playBeep="true" recordingStatusCallback="/rs" transcribe="false" /><Hangup /></Response>"#,
    );
}

#[test]
fn dial_a_number_with_progress_events() {
    use CallProgressEvent::{Answered, Completed, Initiated, Ringing};
    let dial = Dial::new().action("/dialdone").answer_on_bridge(true).caller_id("+15551234567").timeout(20).number(
        Number::new("+15557654321")
            .status_callback("/s")
            .status_callback_event(&[Initiated, Ringing, Answered, Completed]),
    );
    check(
        VoiceResponse::new().dial(dial).to_xml(),
        concat!(
            r#"<Response><Dial action="/dialdone" answerOnBridge="true" callerId="+15551234567" timeout="20">"#,
            r#"<Number statusCallback="/s" statusCallbackEvent="initiated ringing answered completed">+15557654321</Number>"#,
            r#"</Dial></Response>"#,
        ),
    );
}

#[test]
fn dial_a_conference_with_an_empty_wait_url() {
    let conference =
        Conference::new("Room 1").start_conference_on_enter(true).end_conference_on_exit(false).wait_url("");
    check(
        VoiceResponse::new().dial(Dial::new().conference(conference)).to_xml(),
        r#"<Response><Dial><Conference endConferenceOnExit="false" startConferenceOnEnter="true" waitUrl="">Room 1</Conference></Dial></Response>"#,
    );
}

#[test]
fn connect_a_media_stream_with_a_parameter() {
    let stream = Stream::new("wss://example.com/media").track(StreamTrack::InboundTrack).parameter("tenant", "t1");
    check(
        VoiceResponse::new().connect(Connect::new().stream(stream)).to_xml(),
        r#"<Response><Connect><Stream track="inbound_track" url="wss://example.com/media"><Parameter name="tenant" value="t1" /></Stream></Connect></Response>"#,
    );
}

#[test]
fn legacy_sms_verb() {
    check(
        VoiceResponse::new()
            .sms(Sms::new("Your booking is confirmed").from("+15557654321").to("+15551234567"))
            .to_xml(),
        r#"<Response><Sms from="+15557654321" to="+15551234567">Your booking is confirmed</Sms></Response>"#,
    );
}

#[test]
fn messaging_response() {
    check(
        MessagingResponse::new().message(Message::new("Thanks & bye").from("+1666").to("+1555")).to_xml(),
        r#"<Response><Message from="+1666" to="+1555">Thanks &amp; bye</Message></Response>"#,
    );
    check(
        MessagingResponse::new().message(Message::empty().body("hi").media("https://x/y.png")).to_xml(),
        r#"<Response><Message><Body>hi</Body><Media>https://x/y.png</Media></Message></Response>"#,
    );
    check(
        MessagingResponse::new().message(Message::new("text").media("https://x/y.png")).to_xml(),
        r#"<Response><Message>text<Media>https://x/y.png</Media></Message></Response>"#,
    );
    let message = Message::new("x").to("+1").from("+2").action("/a").method(Method::Get).status_callback("/s");
    check(
        MessagingResponse::new().message(message).redirect(Redirect::new("/r").method(Method::Post)).to_xml(),
        r#"<Response><Message action="/a" from="+2" method="GET" statusCallback="/s" to="+1">x</Message><Redirect method="POST">/r</Redirect></Response>"#,
    );
}

#[test]
fn empty_responses_self_close() {
    check(VoiceResponse::new().to_xml(), "<Response />");
    check(MessagingResponse::new().to_xml(), "<Response />");
    assert_eq!(VoiceResponse::new().to_xml_without_declaration(), "<Response />");
    assert_eq!(MessagingResponse::default().to_xml_without_declaration(), "<Response />");
    // Empty text is no text, as in Python.
    check(
        VoiceResponse::new().say(Say::new("")).pause(Pause::new()).hangup().to_xml(),
        "<Response><Say /><Pause /><Hangup /></Response>",
    );
}

#[test]
fn every_gather_attribute_and_nested_prompt() {
    let gather = Gather::new()
        .input(GatherInput::Speech)
        .action("/g")
        .method(Method::Get)
        .timeout(3)
        .speech_timeout(SpeechTimeout::Seconds(2))
        .hints("a")
        .language("en-GB")
        .num_digits(4)
        .finish_on_key("*")
        .action_on_empty_result(false)
        .speech_model("phone_call")
        .enhanced(true)
        .barge_in(false)
        .partial_result_callback("/p")
        .say(Say::new("Hi").voice("alice").language("en-GB").loop_count(2))
        .pause(Pause::new().length(2))
        .play(Play::new("https://x/a.mp3").loop_count(0).digits("1w2"));
    check(
        VoiceResponse::new().gather(gather).to_xml(),
        concat!(
            r#"<Response><Gather action="/g" actionOnEmptyResult="false" bargeIn="false" enhanced="true" finishOnKey="*" "#,
            r#"hints="a" input="speech" language="en-GB" method="GET" numDigits="4" partialResultCallback="/p" "#,
            r#"speechModel="phone_call" speechTimeout="2" timeout="3"><Say language="en-GB" loop="2" voice="alice">Hi</Say>"#,
            r#"<Pause length="2" /><Play digits="1w2" loop="0">https://x/a.mp3</Play></Gather></Response>"#,
        ),
    );
}

#[test]
fn every_dial_attribute_and_noun() {
    let dial = Dial::new()
        .action("/d")
        .method(Method::Get)
        .timeout(10)
        .caller_id("+1")
        .record(DialRecord::RecordFromAnswerDual)
        .answer_on_bridge(false)
        .time_limit(600)
        .hangup_on_star(true)
        .number(Number::new("+1555").send_digits("ww1").url("/whisper"))
        .client(Client::new("alice"))
        .conference(Conference::new("Room").beep(ConferenceBeep::OnEnter).muted(true).status_callback("/c"));
    check(
        VoiceResponse::new().dial(dial).to_xml(),
        concat!(
            r#"<Response><Dial action="/d" answerOnBridge="false" callerId="+1" hangupOnStar="true" method="GET" "#,
            r#"record="record-from-answer-dual" timeLimit="600" timeout="10"><Number sendDigits="ww1" url="/whisper">+1555</Number>"#,
            r#"<Client>alice</Client><Conference beep="onEnter" muted="true" statusCallback="/c">Room</Conference></Dial></Response>"#,
        ),
    );
}

#[test]
fn every_record_attribute_and_the_small_verbs() {
    let record = Record::new()
        .action("/r")
        .method(Method::Get)
        .timeout(3)
        .max_length(60)
        .play_beep(false)
        .finish_on_key("#")
        .trim(RecordTrim::DoNotTrim)
        .recording_status_callback("/rs")
        .transcribe(true);
    check(
        VoiceResponse::new()
            .record(record)
            .redirect(Redirect::new("/next").method(Method::Get))
            .reject(Reject::new().reason(RejectReason::Busy))
            .pause(Pause::new())
            .hangup()
            .to_xml(),
        concat!(
            r##"<Response><Record action="/r" finishOnKey="#" maxLength="60" method="GET" playBeep="false" "##,
            r#"recordingStatusCallback="/rs" timeout="3" transcribe="true" trim="do-not-trim" />"#,
            r#"<Redirect method="GET">/next</Redirect><Reject reason="busy" /><Pause /><Hangup /></Response>"#,
        ),
    );
}

#[test]
fn streams_connected_and_forked() {
    let connected = Stream::new("wss://e/m")
        .name("n")
        .status_callback("/s")
        .status_callback_method(Method::Get)
        .parameter("a", "x\"&<>\n");
    let forked = Stream::new("wss://e/f").track(StreamTrack::BothTracks);
    check(
        VoiceResponse::new()
            .connect(Connect::new().action("/ended").method(Method::Post).stream(connected))
            .start(Start::new().action("/a").stream(forked))
            .sms(Sms::new("hi").to("+1").from("+2").action("/a").method(Method::Post).status_callback("/s"))
            .to_xml(),
        concat!(
            r#"<Response><Connect action="/ended" method="POST"><Stream name="n" statusCallback="/s" "#,
            r#"statusCallbackMethod="GET" url="wss://e/m"><Parameter name="a" value="x&quot;&amp;&lt;&gt;&#10;" />"#,
            r#"</Stream></Connect><Start action="/a"><Stream track="both_tracks" url="wss://e/f" /></Start>"#,
            r#"<Sms action="/a" from="+2" method="POST" statusCallback="/s" to="+1">hi</Sms></Response>"#,
        ),
    );
}

#[test]
fn hostile_caller_text_is_escaped_like_python() {
    let caller_said = "Ünïcödé ✓ 😀 日本語 <b>&amp;</b> \"q\" 'a'\nline2\ttab";
    check(
        VoiceResponse::new().say(Say::new(caller_said).voice("Polly.\"Joanna\"\n<&>")).to_xml(),
        concat!(
            r#"<Response><Say voice="Polly.&quot;Joanna&quot;&#10;&lt;&amp;&gt;">"#,
            "Ünïcödé ✓ 😀 日本語 &lt;b&gt;&amp;amp;&lt;/b&gt; \"q\" 'a'\nline2\ttab</Say></Response>",
        ),
    );
    check(
        VoiceResponse::new().say(Say::new("x").voice("x\"y\n\r\tz<&>'")).to_xml(),
        r#"<Response><Say voice="x&quot;y&#10;&#13;&#09;z&lt;&amp;&gt;'">x</Say></Response>"#,
    );
    // Text cannot close the element or inject verbs.
    check(
        VoiceResponse::new().say(Say::new("</Say><Dial>+19005550100</Dial><Say>")).to_xml(),
        "<Response><Say>&lt;/Say&gt;&lt;Dial&gt;+19005550100&lt;/Dial&gt;&lt;Say&gt;</Say></Response>",
    );
}

#[test]
fn characters_xml_cannot_carry_are_dropped() {
    // Python would write these raw and produce a document no parser accepts.
    check(
        VoiceResponse::new().say(Say::new("x\u{1}y\u{b}z\u{fffe}\u{ffff}!").language("a\u{0}b")).to_xml(),
        r#"<Response><Say language="ab">xyz!</Say></Response>"#,
    );
}

#[test]
fn setting_an_attribute_twice_keeps_the_last_value() {
    check(
        VoiceResponse::new().pause(Pause::new().length(1).length(3)).to_xml(),
        r#"<Response><Pause length="3" /></Response>"#,
    );
}

#[test]
fn display_is_the_whole_document() {
    let response = VoiceResponse::new().hangup();
    assert_eq!(response.to_string(), response.to_xml());
    assert_eq!(response.to_xml_without_declaration(), "<Response><Hangup /></Response>");
    let messaging = MessagingResponse::new().message(Message::new("ok"));
    assert_eq!(messaging.to_string(), format!("{DECLARATION}<Response><Message>ok</Message></Response>"));
}
