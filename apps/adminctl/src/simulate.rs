//! `adminctl simulate`: a phone call against a running gateway, made the way
//! Twilio makes it. Every request is signed with the Twilio auth token over
//! the gateway's public URL; `<Gather>` actions are followed, `<Dial>` is
//! played as "nobody answered", `<Record>` as a left message, `<Hangup>` ends
//! the call. Interactive by default; `--script FILE` plays a conversation
//! file (the `fixtures/conversations/*.yaml` format) and exits 1 if the call
//! goes differently. A script stops at the first reply that differs, before
//! the next line is spoken (so a wrong read-back is never answered "yes"),
//! and a call that ends early names the lines that never played.

use std::io::{BufRead, Write};
use std::path::PathBuf;

use serde::Deserialize;

use crate::client::{AdminClient, Failure};

pub struct SimulateOptions<'a> {
    pub to: String,
    pub from: String,
    pub gateway: String,
    pub public_url: Option<String>,
    pub auth_token: String,
    pub script: Option<PathBuf>,
    /// Reads the call record to check a script's `expect.outcome`.
    pub admin: Option<&'a AdminClient>,
}

#[derive(Debug, Deserialize)]
struct Script {
    #[serde(default)]
    turns: Vec<ScriptTurn>,
    #[serde(default)]
    expect: ScriptExpect,
    #[serde(flatten)]
    _other: serde_yaml_ng::Mapping,
}

#[derive(Debug, Deserialize)]
struct ScriptTurn {
    caller: Option<String>,
    digits: Option<String>,
    #[serde(default)]
    silence: bool,
    #[serde(default)]
    says: Vec<String>,
    #[serde(flatten)]
    _other: serde_yaml_ng::Mapping,
}

#[derive(Debug, Default, Deserialize)]
struct ScriptExpect {
    next: Option<String>,
    outcome: Option<String>,
    #[serde(flatten)]
    _other: serde_yaml_ng::Mapping,
}

/// Everything inside `<Say>` elements, unescaped.
pub fn spoken(twiml: &str) -> String {
    let mut out = Vec::new();
    let mut rest = twiml;
    while let Some(start) = rest.find("<Say") {
        let after = &rest[start..];
        let (Some(open_end), Some(close)) = (after.find('>'), after.find("</Say>")) else { break };
        out.push(unescape(&after[open_end + 1..close]));
        rest = &after[close..];
    }
    out.join(" ")
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&amp;", "&")
}

fn attribute(twiml: &str, element: &str, name: &str) -> Option<String> {
    let start = twiml.find(&format!("<{element}"))?;
    let tag = &twiml[start..start + twiml[start..].find('>')?];
    let value = &tag[tag.find(&format!(" {name}=\""))? + name.len() + 3..];
    Some(unescape(&value[..value.find('"')?]))
}

/// Where a `<Gather>` sends the caller's answer.
pub fn gather_action(twiml: &str) -> Option<String> {
    twiml.contains("<Gather").then(|| attribute(twiml, "Gather", "action")).flatten()
}

enum Step {
    Listen(String),
    Dial(String),
    Record(String),
    Hangup,
}

fn next_step(twiml: &str) -> Step {
    if twiml.contains("<Gather") {
        Step::Listen(attribute(twiml, "Gather", "action").unwrap_or_else(|| "/twilio/gather".to_owned()))
    } else if twiml.contains("<Dial") {
        Step::Dial(attribute(twiml, "Dial", "action").unwrap_or_else(|| "/twilio/dial-done".to_owned()))
    } else if twiml.contains("<Record") {
        Step::Record(attribute(twiml, "Record", "action").unwrap_or_else(|| "/twilio/recording".to_owned()))
    } else {
        Step::Hangup
    }
}

fn step_name(step: &Step) -> &'static str {
    match step {
        Step::Listen(_) => "listen",
        Step::Dial(_) => "transfer",
        Step::Record(_) => "voicemail",
        Step::Hangup => "hangup",
    }
}

struct Call {
    http: reqwest::Client,
    gateway: String,
    public_url: String,
    validator: frontdesk_twilio::RequestValidator,
    base: Vec<(String, String)>,
}

impl Call {
    fn sid(&self) -> &str {
        self.base.iter().find(|(k, _)| k == "CallSid").map(|(_, v)| v.as_str()).unwrap_or_default()
    }

    async fn post(&self, path: &str, extra: &[(&str, String)]) -> Result<String, Failure> {
        let mut params = self.base.clone();
        params.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
        let signature = self.validator.compute_signature(&format!("{}{path}", self.public_url), &params);
        let response = self
            .http
            .post(format!("{}{path}", self.gateway))
            .header("x-twilio-signature", signature)
            .form(&params)
            .send()
            .await
            .map_err(|e| Failure::Unreachable(format!("error: cannot reach the gateway at {}: {e}", self.gateway)))?;
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        if !status.is_success() {
            return Err(Failure::Refused(format!("error: the gateway answered {status} to {path}: {body}")));
        }
        Ok(body)
    }
}

pub async fn run(options: SimulateOptions<'_>) -> Result<(), Failure> {
    let (script, turn_lines) = match &options.script {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| Failure::Usage(format!("error: cannot read {}: {e}", path.display())))?;
            let script: Script = serde_yaml_ng::from_str(&text)
                .map_err(|e| Failure::Usage(format!("error: {}: {e}", path.display())))?;
            let lines = turn_lines(&text, script.turns.len());
            (Some(script), lines)
        }
        None => (None, Vec::new()),
    };
    let gateway = options.gateway.trim_end_matches('/').to_owned();
    let call = Call {
        http: reqwest::Client::new(),
        public_url: options.public_url.clone().unwrap_or_else(|| gateway.clone()).trim_end_matches('/').to_owned(),
        gateway,
        validator: frontdesk_twilio::RequestValidator::new(&options.auth_token),
        base: vec![
            ("CallSid".to_owned(), format!("CA{}", uuid_like())),
            ("AccountSid".to_owned(), "ACsimulator000000000000000000000000".to_owned()),
            ("From".to_owned(), options.from.clone()),
            ("To".to_owned(), options.to.clone()),
            ("Direction".to_owned(), "inbound".to_owned()),
        ],
    };
    let started = std::time::Instant::now();
    let mut twiml = call.post("/twilio/voice", &[("CallStatus", "ringing".to_owned())]).await?;
    let mut turns = script.as_ref().map(|s| s.turns.iter()).into_iter().flatten().enumerate();
    let mut problems: Vec<String> = Vec::new();
    let stdin = std::io::stdin();
    let mut pending_says: Vec<String> = Vec::new();
    loop {
        let said = spoken(&twiml);
        if !said.is_empty() {
            println!("frontdesk: {said}");
        }
        for fragment in pending_says.drain(..) {
            if !said.contains(&fragment) {
                problems.push(format!("expected to hear {fragment:?}, heard {said:?}"));
            }
        }
        if !problems.is_empty() {
            // Stop before answering a reply that went differently: the next
            // line may be the "yes" that commits a booking.
            println!("[the simulator hangs up: the reply differs from the script]");
            hang_up(&call, started).await;
            problems.extend(unplayed(&turns, &turn_lines));
            return finish(&options, &call, &script, "hangup", problems).await;
        }
        let step = next_step(&twiml);
        match step {
            Step::Listen(action) => {
                let (speech, digits) = if script.is_some() {
                    match turns.next() {
                        Some((_, turn)) => {
                            pending_says = turn.says.clone();
                            let speech =
                                if turn.silence { String::new() } else { turn.caller.clone().unwrap_or_default() };
                            (speech, turn.digits.clone())
                        }
                        None => break,
                    }
                } else {
                    print!("you: ");
                    let _ = std::io::stdout().flush();
                    let mut line = String::new();
                    if stdin.lock().read_line(&mut line).unwrap_or(0) == 0 {
                        break; // end of input hangs up
                    }
                    let line = line.trim().to_owned();
                    match line.strip_prefix('#') {
                        Some(digits) => (String::new(), Some(digits.to_owned())),
                        None => (line, None),
                    }
                };
                if script.is_some() {
                    match (&digits, speech.is_empty()) {
                        (Some(d), _) => println!("caller presses: {d}"),
                        (None, true) => println!("caller: (silence)"),
                        (None, false) => println!("caller: {speech}"),
                    }
                }
                let mut extra = vec![("CallStatus", "in-progress".to_owned()), ("SpeechResult", speech)];
                if let Some(digits) = digits {
                    extra.push(("Digits", digits));
                }
                twiml = call.post(&action, &extra).await?;
            }
            Step::Dial(action) => {
                let number =
                    twiml.split("<Number").nth(1).and_then(|s| s.split('>').nth(1)).and_then(|s| s.split('<').next());
                println!("[connecting the caller to {} … nobody answers]", number.unwrap_or("the shop"));
                if script.is_some() && turns.clone().next().is_none() {
                    return finish(&options, &call, &script, "transfer", problems).await;
                }
                twiml = call.post(&action, &[("DialCallStatus", "no-answer".to_owned())]).await?;
            }
            Step::Record(action) => {
                println!("[the caller leaves a message after the tone]");
                if script.is_some() && turns.clone().next().is_none() {
                    return finish(&options, &call, &script, "voicemail", problems).await;
                }
                twiml = call
                    .post(
                        &action,
                        &[
                            ("RecordingUrl", "https://api.twilio.com/recordings/RE-simulated".to_owned()),
                            ("RecordingSid", format!("RE{}", uuid_like())),
                            ("RecordingDuration", "7".to_owned()),
                        ],
                    )
                    .await?;
            }
            Step::Hangup => {
                println!("[call ended]");
                hang_up(&call, started).await;
                problems.extend(unplayed(&turns, &turn_lines));
                return finish(&options, &call, &script, "hangup", problems).await;
            }
        }
    }
    finish(&options, &call, &script, step_name(&next_step(&twiml)), problems).await
}

/// Twilio's final status callback for a call that ended.
async fn hang_up(call: &Call, started: std::time::Instant) {
    let seconds = started.elapsed().as_secs().max(1).to_string();
    let completed =
        [("CallStatus", "completed".to_owned()), ("SequenceNumber", "9".to_owned()), ("CallDuration", seconds)];
    let _ = call.post("/twilio/status", &completed).await;
}

/// The script's turns not yet played, one problem naming them all.
fn unplayed<'a>(turns: &(impl Iterator<Item = (usize, &'a ScriptTurn)> + Clone), lines: &[usize]) -> Option<String> {
    let left: Vec<String> = turns
        .clone()
        .map(|(index, turn)| {
            let what = match (&turn.digits, &turn.caller) {
                (Some(digits), _) => format!("presses {digits}"),
                (None, Some(caller)) if !turn.silence => format!("caller: {caller:?}"),
                _ => "silence".to_owned(),
            };
            match lines.get(index) {
                Some(line) => format!("line {line} (turn {}): {what}", index + 1),
                None => format!("turn {}: {what}", index + 1),
            }
        })
        .collect();
    (!left.is_empty()).then(|| format!("the call ended before these lines played:\n    {}", left.join("\n    ")))
}

/// The 1-based line on which each turn of a block-style `turns:` list
/// starts; empty when the file is laid out otherwise (flow style, anchors),
/// so the turns are then named by number alone.
fn turn_lines(text: &str, count: usize) -> Vec<usize> {
    let mut lines = text.lines().enumerate().skip_while(|(_, line)| line.trim_end() != "turns:").skip(1);
    let mut dash_indent = None;
    let mut found = Vec::new();
    for (number, line) in lines.by_ref() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if indent == 0 && !trimmed.starts_with('-') {
            break; // the next top-level key
        }
        if trimmed.starts_with("- ") && *dash_indent.get_or_insert(indent) == indent {
            found.push(number + 1);
        }
    }
    if found.len() == count { found } else { Vec::new() }
}

async fn finish(
    options: &SimulateOptions<'_>,
    call: &Call,
    script: &Option<Script>,
    ended: &str,
    mut problems: Vec<String>,
) -> Result<(), Failure> {
    let expect = script.as_ref().map(|s| &s.expect);
    if let Some(expected) = expect.and_then(|e| e.next.as_deref())
        && expected != ended
    {
        problems.push(format!("expected the call to end with {expected}, it ended with {ended}"));
    }
    if let Some(expected) = expect.and_then(|e| e.outcome.as_deref()) {
        match &options.admin {
            Some(admin) => {
                let outcome = call_outcome(admin, &options.to, call.sid()).await?;
                if outcome.as_deref() != Some(expected) {
                    let outcome = outcome.as_deref().unwrap_or("none");
                    problems.push(format!("expected the call's outcome to be {expected}, it was {outcome}"));
                }
            }
            None => eprintln!(
                "note: expect.outcome ({expected}) not checked: set FRONTDESK_ADMIN_JWT_SECRET to read the call record"
            ),
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Failure::Refused(format!("error: the call went differently than the script:\n  {}", problems.join("\n  "))))
    }
}

/// The outcome on the gateway's record of this call, found through the tenant
/// that owns the called number.
async fn call_outcome(admin: &AdminClient, to: &str, call_sid: &str) -> Result<Option<String>, Failure> {
    let tenants = admin.get("/admin/tenants").await?;
    let owns = |tenant: &&serde_json::Value| {
        tenant["profile"]["phone_numbers"].as_array().is_some_and(|numbers| numbers.iter().any(|n| n == to))
    };
    let Some(slug) =
        tenants["tenants"].as_array().and_then(|all| all.iter().find(owns)).and_then(|t| t["slug"].as_str())
    else {
        return Err(Failure::Refused(format!("error: no tenant answers {to}")));
    };
    let record = admin.get(&format!("/admin/tenants/{slug}/calls/{call_sid}")).await?;
    Ok(record["outcome"].as_str().map(str::to_owned))
}

fn uuid_like() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("{:032x}", nanos ^ (u128::from(std::process::id()) << 64))
}

#[cfg(test)]
mod tests {
    use super::turn_lines;

    #[test]
    fn turns_are_found_by_their_dash_and_flow_style_gives_up() {
        let block = "description: x\nturns:\n  # first\n  - caller: \"hi\"\n    says: [\"a\"]\n\n  - digits: \"1\"\nexpect:\n  next: hangup\n";
        assert_eq!(turn_lines(block, 2), vec![4, 7]);
        // Nested lists inside a turn do not count as turns.
        let nested = "turns:\n  - caller: \"hi\"\n    says:\n      - a\n      - b\n  - caller: \"bye\"\n";
        assert_eq!(turn_lines(nested, 2), vec![2, 6]);
        let flow = "turns: [{caller: \"hi\"}, {caller: \"bye\"}]\n";
        assert!(turn_lines(flow, 2).is_empty());
        assert!(turn_lines(block, 3).is_empty(), "a count that disagrees gives no line numbers");
    }
}
