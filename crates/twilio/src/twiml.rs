//! TwiML, built from types so that only verbs Twilio accepts can be nested
//! where it accepts them and the XML is always well formed.
//!
//! The output is byte-for-byte what twilio-python's `VoiceResponse` and
//! `MessagingResponse` print: the XML declaration directly followed by
//! `<Response>…</Response>`, no whitespace, attributes in alphabetical
//! order, empty elements written `<Hangup />`, text escaping `& < >`,
//! attribute values escaping `& < > "` and writing newline, carriage return
//! and tab as `&#10;`, `&#13;`, `&#09;`, and non-ASCII written as raw UTF-8.
//! One deliberate difference: characters XML 1.0 cannot carry at all (C0
//! controls other than tab, newline and carriage return; U+FFFE; U+FFFF) are
//! dropped, where Python would write them and produce invalid XML.
//!
//! ```
//! use frontdesk_twilio::twiml::{Gather, GatherInput, Redirect, Say, SpeechTimeout, VoiceResponse};
//!
//! let twiml = VoiceResponse::new()
//!     .gather(
//!         Gather::new()
//!             .input(GatherInput::SpeechDtmf)
//!             .action("/twilio/gather?call=1")
//!             .speech_timeout(SpeechTimeout::Auto)
//!             .say(Say::new("How can I help?")),
//!     )
//!     .redirect(Redirect::new("/twilio/voice"))
//!     .to_xml();
//! assert!(twiml.starts_with(r#"<?xml version="1.0" encoding="UTF-8"?><Response><Gather action="#));
//! ```

use std::collections::BTreeMap;
use std::fmt;

/// The `Content-Type` to answer a Twilio webhook with.
pub const TWIML_CONTENT_TYPE: &str = "text/xml";

const XML_DECLARATION: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;

/// One XML element. Attributes live in a sorted map, which gives Python's
/// alphabetical order and lets a setter called twice keep the last value.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Element {
    name: &'static str,
    attributes: BTreeMap<&'static str, String>,
    text: String,
    children: Vec<Element>,
}

impl Element {
    fn new(name: &'static str) -> Element {
        Element { name, attributes: BTreeMap::new(), text: String::new(), children: Vec::new() }
    }

    fn with_text(name: &'static str, text: impl Into<String>) -> Element {
        Element { text: text.into(), ..Element::new(name) }
    }

    fn write(&self, out: &mut String) {
        out.push('<');
        out.push_str(self.name);
        for (name, value) in &self.attributes {
            out.push(' ');
            out.push_str(name);
            out.push_str("=\"");
            escape_attribute(value, out);
            out.push('"');
        }
        if self.text.is_empty() && self.children.is_empty() {
            out.push_str(" />");
            return;
        }
        out.push('>');
        escape_text(&self.text, out);
        for child in &self.children {
            child.write(out);
        }
        out.push_str("</");
        out.push_str(self.name);
        out.push('>');
    }
}

/// Tab, newline and carriage return are the only controls XML 1.0 allows;
/// U+FFFE and U+FFFF are not characters at all.
fn is_xml_char(ch: char) -> bool {
    !matches!(ch, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}')
}

fn escape_text(text: &str, out: &mut String) {
    for ch in text.chars().filter(|&ch| is_xml_char(ch)) {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            other => out.push(other),
        }
    }
}

fn escape_attribute(value: &str, out: &mut String) {
    for ch in value.chars().filter(|&ch| is_xml_char(ch)) {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#09;"),
            other => out.push(other),
        }
    }
}

fn document(root: &Element, with_declaration: bool) -> String {
    let mut out = String::with_capacity(256);
    if with_declaration {
        out.push_str(XML_DECLARATION);
    }
    root.write(&mut out);
    out
}

/// How a value is written into an attribute.
trait AttributeValue {
    fn render(&self) -> String;
}

impl AttributeValue for u32 {
    fn render(&self) -> String {
        self.to_string()
    }
}

impl AttributeValue for bool {
    fn render(&self) -> String {
        if *self { "true" } else { "false" }.to_owned()
    }
}

/// Declares a word-valued attribute type.
macro_rules! attribute_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$variant_doc:meta])* $variant:ident => $word:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$variant_doc])* $variant),*
        }

        impl $name {
            /// The word Twilio expects.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $word),*
                }
            }
        }

        impl AttributeValue for $name {
            fn render(&self) -> String {
                self.as_str().to_owned()
            }
        }
    };
}

/// Declares builder methods that set one attribute each. `text` attributes
/// take anything string-like; the others take the given type.
macro_rules! attributes {
    () => {};
    ($(#[$doc:meta])* $method:ident => $name:literal: text; $($rest:tt)*) => {
        $(#[$doc])*
        pub fn $method(mut self, value: impl Into<String>) -> Self {
            self.element.attributes.insert($name, value.into());
            self
        }
        attributes!($($rest)*);
    };
    ($(#[$doc:meta])* $method:ident => $name:literal: $kind:ty; $($rest:tt)*) => {
        $(#[$doc])*
        pub fn $method(mut self, value: $kind) -> Self {
            self.element.attributes.insert($name, AttributeValue::render(&value));
            self
        }
        attributes!($($rest)*);
    };
}

/// Declares a builder type wrapping one element.
macro_rules! twiml_element {
    ($(#[$doc:meta])* $type:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $type {
            element: Element,
        }
    };
}

attribute_enum! {
    /// HTTP method Twilio uses for a callback.
    Method { Get => "GET", Post => "POST" }
}

attribute_enum! {
    /// What `<Gather>` listens for.
    GatherInput { Dtmf => "dtmf", Speech => "speech", DtmfSpeech => "dtmf speech", SpeechDtmf => "speech dtmf" }
}

attribute_enum! {
    /// How `<Record>` treats silence at the ends.
    RecordTrim { TrimSilence => "trim-silence", DoNotTrim => "do-not-trim" }
}

attribute_enum! {
    /// Whether and how `<Dial>` records the call.
    DialRecord {
        DoNotRecord => "do-not-record",
        RecordFromAnswer => "record-from-answer",
        RecordFromRinging => "record-from-ringing",
        RecordFromAnswerDual => "record-from-answer-dual",
        RecordFromRingingDual => "record-from-ringing-dual",
    }
}

attribute_enum! {
    /// What the caller hears when `<Reject>` refuses a call.
    RejectReason { Rejected => "rejected", Busy => "busy" }
}

attribute_enum! {
    /// Which audio a `<Stream>` carries. `<Connect>` streams are inbound only.
    StreamTrack { InboundTrack => "inbound_track", OutboundTrack => "outbound_track", BothTracks => "both_tracks" }
}

attribute_enum! {
    /// Call progress events a dialled `<Number>` reports to its `statusCallback`.
    CallProgressEvent { Initiated => "initiated", Ringing => "ringing", Answered => "answered", Completed => "completed" }
}

attribute_enum! {
    /// When a `<Conference>` beeps.
    ConferenceBeep { Yes => "true", No => "false", OnEnter => "onEnter", OnExit => "onExit" }
}

/// How long `<Gather>` waits after speech stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SpeechTimeout {
    /// Stop at the first pause in speech.
    Auto,
    Seconds(u32),
}

impl AttributeValue for SpeechTimeout {
    fn render(&self) -> String {
        match self {
            SpeechTimeout::Auto => "auto".to_owned(),
            SpeechTimeout::Seconds(seconds) => seconds.to_string(),
        }
    }
}

impl AttributeValue for &[CallProgressEvent] {
    fn render(&self) -> String {
        self.iter().map(|event| event.as_str()).collect::<Vec<_>>().join(" ")
    }
}

/// A voice response: the verbs Twilio runs, in order, on a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoiceResponse {
    root: Element,
}

impl Default for VoiceResponse {
    fn default() -> VoiceResponse {
        VoiceResponse::new()
    }
}

impl VoiceResponse {
    pub fn new() -> VoiceResponse {
        VoiceResponse { root: Element::new("Response") }
    }

    fn verb(mut self, element: Element) -> VoiceResponse {
        self.root.children.push(element);
        self
    }

    pub fn say(self, say: Say) -> VoiceResponse {
        self.verb(say.element)
    }

    pub fn play(self, play: Play) -> VoiceResponse {
        self.verb(play.element)
    }

    pub fn pause(self, pause: Pause) -> VoiceResponse {
        self.verb(pause.element)
    }

    pub fn gather(self, gather: Gather) -> VoiceResponse {
        self.verb(gather.element)
    }

    pub fn dial(self, dial: Dial) -> VoiceResponse {
        self.verb(dial.element)
    }

    pub fn record(self, record: Record) -> VoiceResponse {
        self.verb(record.element)
    }

    pub fn redirect(self, redirect: Redirect) -> VoiceResponse {
        self.verb(redirect.element)
    }

    pub fn hangup(self) -> VoiceResponse {
        self.verb(Element::new("Hangup"))
    }

    pub fn reject(self, reject: Reject) -> VoiceResponse {
        self.verb(reject.element)
    }

    pub fn connect(self, connect: Connect) -> VoiceResponse {
        self.verb(connect.element)
    }

    pub fn start(self, start: Start) -> VoiceResponse {
        self.verb(start.element)
    }

    /// Legacy: send texts with the Messages REST API
    /// ([`TwilioRest`](crate::TwilioRest)) instead.
    pub fn sms(self, sms: Sms) -> VoiceResponse {
        self.verb(sms.element)
    }

    /// The document, starting with the XML declaration.
    pub fn to_xml(&self) -> String {
        document(&self.root, true)
    }

    /// The `<Response>` element alone (twilio-python's
    /// `to_xml(xml_declaration=False)`).
    pub fn to_xml_without_declaration(&self) -> String {
        document(&self.root, false)
    }
}

impl fmt::Display for VoiceResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_xml())
    }
}

twiml_element! {
    /// `<Say>`: text-to-speech.
    Say
}

impl Say {
    pub fn new(text: impl Into<String>) -> Say {
        Say { element: Element::with_text("Say", text) }
    }

    attributes! {
        /// `man`, `woman`, `alice`, `Polly.*` or `Google.*`.
        voice => "voice": text;
        language => "language": text;
        /// How many times to say it; 0 repeats for the rest of the call.
        loop_count => "loop": u32;
    }
}

twiml_element! {
    /// `<Play>`: an audio file, by URL.
    Play
}

impl Play {
    pub fn new(url: impl Into<String>) -> Play {
        Play { element: Element::with_text("Play", url) }
    }

    attributes! {
        /// How many times to play it; 0 repeats for the rest of the call.
        loop_count => "loop": u32;
        digits => "digits": text;
    }
}

twiml_element! {
    /// `<Pause>`: silence, one second unless a `length` is given.
    Pause
}

impl Default for Pause {
    fn default() -> Pause {
        Pause::new()
    }
}

impl Pause {
    pub fn new() -> Pause {
        Pause { element: Element::new("Pause") }
    }

    attributes! {
        /// Seconds.
        length => "length": u32;
    }
}

twiml_element! {
    /// `<Gather>`: collects speech or keypresses, with prompts nested
    /// inside. With no input, the call goes on to the next verb.
    Gather
}

impl Default for Gather {
    fn default() -> Gather {
        Gather::new()
    }
}

impl Gather {
    pub fn new() -> Gather {
        Gather { element: Element::new("Gather") }
    }

    attributes! {
        input => "input": GatherInput;
        action => "action": text;
        method => "method": Method;
        /// Seconds to wait for the first input.
        timeout => "timeout": u32;
        speech_timeout => "speechTimeout": SpeechTimeout;
        /// Comma-separated phrases the recogniser should expect.
        hints => "hints": text;
        language => "language": text;
        num_digits => "numDigits": u32;
        finish_on_key => "finishOnKey": text;
        action_on_empty_result => "actionOnEmptyResult": bool;
        speech_model => "speechModel": text;
        enhanced => "enhanced": bool;
        barge_in => "bargeIn": bool;
        partial_result_callback => "partialResultCallback": text;
    }

    pub fn say(mut self, say: Say) -> Gather {
        self.element.children.push(say.element);
        self
    }

    pub fn play(mut self, play: Play) -> Gather {
        self.element.children.push(play.element);
        self
    }

    pub fn pause(mut self, pause: Pause) -> Gather {
        self.element.children.push(pause.element);
        self
    }
}

twiml_element! {
    /// `<Dial>`: connects the caller to a number, a client or a conference.
    Dial
}

impl Default for Dial {
    fn default() -> Dial {
        Dial::new()
    }
}

impl Dial {
    pub fn new() -> Dial {
        Dial { element: Element::new("Dial") }
    }

    attributes! {
        action => "action": text;
        method => "method": Method;
        /// Seconds to let the other side ring.
        timeout => "timeout": u32;
        caller_id => "callerId": text;
        record => "record": DialRecord;
        answer_on_bridge => "answerOnBridge": bool;
        /// Maximum length of the bridged call, in seconds.
        time_limit => "timeLimit": u32;
        hangup_on_star => "hangupOnStar": bool;
    }

    pub fn number(mut self, number: Number) -> Dial {
        self.element.children.push(number.element);
        self
    }

    pub fn client(mut self, client: Client) -> Dial {
        self.element.children.push(client.element);
        self
    }

    pub fn conference(mut self, conference: Conference) -> Dial {
        self.element.children.push(conference.element);
        self
    }
}

twiml_element! {
    /// `<Number>` inside `<Dial>`: a phone number to ring.
    Number
}

impl Number {
    pub fn new(number: impl Into<String>) -> Number {
        Number { element: Element::with_text("Number", number) }
    }

    attributes! {
        send_digits => "sendDigits": text;
        /// TwiML run for the called party before they are connected.
        url => "url": text;
        status_callback => "statusCallback": text;
        status_callback_event => "statusCallbackEvent": &[CallProgressEvent];
    }
}

twiml_element! {
    /// `<Client>` inside `<Dial>`: a Twilio Client identity to ring.
    Client
}

impl Client {
    pub fn new(identity: impl Into<String>) -> Client {
        Client { element: Element::with_text("Client", identity) }
    }
}

twiml_element! {
    /// `<Conference>` inside `<Dial>`: a named conference room.
    Conference
}

impl Conference {
    pub fn new(room: impl Into<String>) -> Conference {
        Conference { element: Element::with_text("Conference", room) }
    }

    attributes! {
        start_conference_on_enter => "startConferenceOnEnter": bool;
        end_conference_on_exit => "endConferenceOnExit": bool;
        /// Hold music; an empty URL means silence.
        wait_url => "waitUrl": text;
        beep => "beep": ConferenceBeep;
        muted => "muted": bool;
        status_callback => "statusCallback": text;
    }
}

twiml_element! {
    /// `<Record>`: records the caller, e.g. a voicemail.
    Record
}

impl Default for Record {
    fn default() -> Record {
        Record::new()
    }
}

impl Record {
    pub fn new() -> Record {
        Record { element: Element::new("Record") }
    }

    attributes! {
        action => "action": text;
        method => "method": Method;
        /// Seconds of silence that end the recording.
        timeout => "timeout": u32;
        /// Seconds.
        max_length => "maxLength": u32;
        play_beep => "playBeep": bool;
        finish_on_key => "finishOnKey": text;
        trim => "trim": RecordTrim;
        recording_status_callback => "recordingStatusCallback": text;
        transcribe => "transcribe": bool;
        /// Where Twilio posts the transcription (`TranscriptionText`, `TranscriptionStatus`).
        transcribe_callback => "transcribeCallback": text;
    }
}

twiml_element! {
    /// `<Redirect>`: continue with the TwiML at another URL.
    Redirect
}

impl Redirect {
    pub fn new(url: impl Into<String>) -> Redirect {
        Redirect { element: Element::with_text("Redirect", url) }
    }

    attributes! {
        method => "method": Method;
    }
}

twiml_element! {
    /// `<Reject>`: refuses the call without answering (no charge).
    Reject
}

impl Default for Reject {
    fn default() -> Reject {
        Reject::new()
    }
}

impl Reject {
    pub fn new() -> Reject {
        Reject { element: Element::new("Reject") }
    }

    attributes! {
        reason => "reason": RejectReason;
    }
}

twiml_element! {
    /// `<Connect>`: hands the call to a bidirectional `<Stream>`; `action`
    /// is requested when the stream ends.
    Connect
}

impl Default for Connect {
    fn default() -> Connect {
        Connect::new()
    }
}

impl Connect {
    pub fn new() -> Connect {
        Connect { element: Element::new("Connect") }
    }

    attributes! {
        action => "action": text;
        method => "method": Method;
    }

    pub fn stream(mut self, stream: Stream) -> Connect {
        self.element.children.push(stream.element);
        self
    }
}

twiml_element! {
    /// `<Start>`: forks a one-way `<Stream>` of the call's audio while the
    /// following verbs run.
    Start
}

impl Default for Start {
    fn default() -> Start {
        Start::new()
    }
}

impl Start {
    pub fn new() -> Start {
        Start { element: Element::new("Start") }
    }

    attributes! {
        action => "action": text;
        method => "method": Method;
    }

    pub fn stream(mut self, stream: Stream) -> Start {
        self.element.children.push(stream.element);
        self
    }
}

twiml_element! {
    /// `<Stream>` inside `<Connect>` or `<Start>`: Media Streams over a
    /// WebSocket. The URL must be `wss://` without a query string; pass data
    /// with [`Stream::parameter`] (it arrives in `start.customParameters`).
    Stream
}

impl Stream {
    pub fn new(url: impl Into<String>) -> Stream {
        let mut element = Element::new("Stream");
        element.attributes.insert("url", url.into());
        Stream { element }
    }

    attributes! {
        name => "name": text;
        track => "track": StreamTrack;
        status_callback => "statusCallback": text;
        status_callback_method => "statusCallbackMethod": Method;
    }

    /// A `<Parameter name value />` passed to the stream's `start` message.
    pub fn parameter(mut self, name: impl Into<String>, value: impl Into<String>) -> Stream {
        let mut parameter = Element::new("Parameter");
        parameter.attributes.insert("name", name.into());
        parameter.attributes.insert("value", value.into());
        self.element.children.push(parameter);
        self
    }
}

twiml_element! {
    /// `<Sms>` in a voice response (legacy).
    Sms
}

impl Sms {
    pub fn new(body: impl Into<String>) -> Sms {
        Sms { element: Element::with_text("Sms", body) }
    }

    attributes! {
        to => "to": text;
        from => "from": text;
        action => "action": text;
        method => "method": Method;
        status_callback => "statusCallback": text;
    }
}

/// A messaging response: the replies Twilio sends to an incoming text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessagingResponse {
    root: Element,
}

impl Default for MessagingResponse {
    fn default() -> MessagingResponse {
        MessagingResponse::new()
    }
}

impl MessagingResponse {
    pub fn new() -> MessagingResponse {
        MessagingResponse { root: Element::new("Response") }
    }

    pub fn message(mut self, message: Message) -> MessagingResponse {
        self.root.children.push(message.element);
        self
    }

    pub fn redirect(mut self, redirect: Redirect) -> MessagingResponse {
        self.root.children.push(redirect.element);
        self
    }

    /// The document, starting with the XML declaration.
    pub fn to_xml(&self) -> String {
        document(&self.root, true)
    }

    /// The `<Response>` element alone.
    pub fn to_xml_without_declaration(&self) -> String {
        document(&self.root, false)
    }
}

impl fmt::Display for MessagingResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_xml())
    }
}

twiml_element! {
    /// `<Message>`: a reply text. Either [`Message::new`] with the body as
    /// text, or [`Message::empty`] with nested [`Message::body`] and
    /// [`Message::media`].
    Message
}

impl Message {
    pub fn new(body: impl Into<String>) -> Message {
        Message { element: Element::with_text("Message", body) }
    }

    pub fn empty() -> Message {
        Message { element: Element::new("Message") }
    }

    attributes! {
        to => "to": text;
        from => "from": text;
        action => "action": text;
        method => "method": Method;
        status_callback => "statusCallback": text;
    }

    /// A nested `<Body>`.
    pub fn body(mut self, body: impl Into<String>) -> Message {
        self.element.children.push(Element::with_text("Body", body));
        self
    }

    /// A nested `<Media>` with the URL of an image or file to attach.
    pub fn media(mut self, url: impl Into<String>) -> Message {
        self.element.children.push(Element::with_text("Media", url));
        self
    }
}
