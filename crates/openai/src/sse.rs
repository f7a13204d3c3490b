//! Server-sent events (the WHATWG event-stream format), parsed from bytes
//! as they come off the wire, however the network cut them.
//!
//! Lines end in `\n`, `\r\n` or a lone `\r`; a blank line ends an event;
//! `:` starts a comment (`: keep-alive`); several `data:` lines make one
//! event, joined by `\n`. Bytes are kept until their line is complete, so a
//! chunk may end inside a UTF-8 character, a field name or a `\r\n`.

/// One event: its `data` lines joined, and its `event:` type if it had one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    pub event: Option<String>,
    pub data: String,
}

/// Feed it chunks in order; it hands back each event once its blank line
/// has arrived.
#[derive(Debug, Default)]
pub struct SseParser {
    /// The bytes of the line not yet ended.
    line: Vec<u8>,
    /// The last byte fed was a `\r`: a `\n` right after it ends nothing.
    after_cr: bool,
    /// A line has been read (a byte order mark is skipped only before).
    started: bool,
    /// `data` lines so far, each followed by `\n`.
    data: String,
    event: Option<String>,
}

impl SseParser {
    pub fn new() -> SseParser {
        SseParser::default()
    }

    /// The events that `bytes` complete, in order.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<SseEvent> {
        let mut events = Vec::new();
        let mut rest = bytes;
        while let Some(&first) = rest.first() {
            if std::mem::take(&mut self.after_cr) && first == b'\n' {
                rest = &rest[1..];
                continue;
            }
            match rest.iter().position(|b| matches!(b, b'\r' | b'\n')) {
                Some(end) => {
                    self.line.extend_from_slice(&rest[..end]);
                    self.after_cr = rest[end] == b'\r';
                    rest = &rest[end + 1..];
                    if let Some(event) = self.end_line() {
                        events.push(event);
                    }
                }
                None => {
                    self.line.extend_from_slice(rest);
                    rest = &[];
                }
            }
        }
        events
    }

    /// At the end of the body: the event left without its blank line, if
    /// any. The standard drops it, and so should a caller unless it is a
    /// complete end marker: some servers end their last event with a single
    /// newline, while a cut connection leaves half an event.
    pub fn finish(&mut self) -> Option<SseEvent> {
        if !self.line.is_empty() {
            // A complete line cannot end an event, only add to it.
            let _ = self.end_line();
        }
        self.dispatch()
    }

    fn end_line(&mut self) -> Option<SseEvent> {
        let bytes = std::mem::take(&mut self.line);
        let mut line = String::from_utf8_lossy(&bytes).into_owned();
        if !std::mem::replace(&mut self.started, true) && line.starts_with('\u{feff}') {
            line.remove(0);
        }
        if line.is_empty() {
            return self.dispatch();
        }
        if line.starts_with(':') {
            return None;
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line.as_str(), ""),
        };
        match field {
            "data" => {
                self.data.push_str(value);
                self.data.push('\n');
            }
            "event" => self.event = Some(value.to_owned()),
            // `id` and `retry` serve reconnection, which a POST never does.
            _ => {}
        }
        None
    }

    fn dispatch(&mut self) -> Option<SseEvent> {
        let event = self.event.take();
        let mut data = std::mem::take(&mut self.data);
        if data.is_empty() {
            return None;
        }
        data.pop();
        Some(SseEvent { event, data })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_whole(input: &[u8]) -> Vec<SseEvent> {
        let mut parser = SseParser::new();
        let mut events = parser.feed(input);
        events.extend(parser.finish());
        events
    }

    fn data(data: &str) -> SseEvent {
        SseEvent { event: None, data: data.to_owned() }
    }

    #[track_caller]
    fn check(input: &str, expected: &[SseEvent]) {
        assert_eq!(parse_whole(input.as_bytes()), expected, "{input:?}");
    }

    #[test]
    fn events_lines_and_fields() {
        check("data: {\"a\":1}\n\n", &[data("{\"a\":1}")]);
        check("data: one\r\n\r\ndata: two\r\n\r\n", &[data("one"), data("two")]);
        check("data: one\r\rdata: two\r\r", &[data("one"), data("two")]);
        check("data: mixed\r\n\ndata: ends\n\r\n", &[data("mixed"), data("ends")]);
        check(": keep-alive\n\n: another\ndata: after\n\n", &[data("after")]);
        check("data: first line\ndata: second line\n\n", &[data("first line\nsecond line")]);
        check("data:no space\n\n", &[data("no space")]);
        check("data:  two spaces\n\n", &[data(" two spaces")]);
        check("data: a: colon\n\n", &[data("a: colon")]);
        check("data\n\n", &[data("")]);
        check("data:\ndata:\n\n", &[data("\n")]);
        check("id: 7\nretry: 100\nunknown: x\n\n", &[]);
        check("\n\n\n", &[]);
        check(
            "event: error\ndata: {}\n\ndata: plain\n\n",
            &[SseEvent { event: Some("error".into()), data: "{}".into() }, data("plain")],
        );
        check("\u{feff}data: after a BOM\n\n", &[data("after a BOM")]);
        check("data: no blank line at the end\n", &[data("no blank line at the end")]);
        check("data: no newline at all", &[data("no newline at all")]);
        check("data: caf\u{e9} \u{1f488}\n\n", &[data("caf\u{e9} \u{1f488}")]);
    }

    /// A stream with every awkward spot: CRLF, lone CR, a comment, a
    /// multi-line event, two- and four-byte UTF-8, a field name and a `\r\n`
    /// for a chunk to cut through.
    const AWKWARD: &str = "\u{feff}: keep-alive\r\n\r\ndata: {\"content\":\"Ça coûte 25 €\"}\r\n\r\ndata: line one\r\ndata: line two 💈\n\nevent: ping\rdata: x\r\rdata: [DONE]\r\n\r\n";

    #[test]
    fn a_stream_cut_anywhere_gives_the_same_events() {
        let whole = parse_whole(AWKWARD.as_bytes());
        assert_eq!(
            whole,
            [
                data("{\"content\":\"Ça coûte 25 €\"}"),
                data("line one\nline two 💈"),
                SseEvent { event: Some("ping".into()), data: "x".into() },
                data("[DONE]"),
            ]
        );
        let bytes = AWKWARD.as_bytes();
        for cut in 0..=bytes.len() {
            let mut parser = SseParser::new();
            let mut events = parser.feed(&bytes[..cut]);
            events.extend(parser.feed(&bytes[cut..]));
            events.extend(parser.finish());
            assert_eq!(events, whole, "cut at byte {cut}");
        }
        for first in 0..bytes.len() {
            for second in first..=bytes.len() {
                let mut parser = SseParser::new();
                let mut events = parser.feed(&bytes[..first]);
                events.extend(parser.feed(&bytes[first..second]));
                events.extend(parser.feed(&bytes[second..]));
                events.extend(parser.finish());
                assert_eq!(events, whole, "cut at bytes {first} and {second}");
            }
        }
        let mut parser = SseParser::new();
        let mut events: Vec<SseEvent> = bytes.iter().flat_map(|byte| parser.feed(std::slice::from_ref(byte))).collect();
        events.extend(parser.finish());
        assert_eq!(events, whole, "byte by byte");
    }

    #[test]
    fn an_event_is_handed_back_only_when_its_blank_line_arrives() {
        let mut parser = SseParser::new();
        assert_eq!(parser.feed(b"data: a\n"), []);
        assert_eq!(parser.feed(b"\r"), [data("a")]);
        // The `\n` of that `\r\n` ends no second (empty) event.
        assert_eq!(parser.feed(b"\ndata: b\r"), []);
        assert_eq!(parser.feed(b"\n"), []);
        assert_eq!(parser.feed(b"\r\n"), [data("b")]);
        assert_eq!(parser.finish(), None);
    }
}
