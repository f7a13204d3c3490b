//! `adminctl realtime-probe`: one session with the real OpenAI Realtime
//! API, to hear and see what the phone bridge's model does with a key
//! (issue 18). No gateway, no Twilio: it opens the session the gateway
//! would (μ-law 8 kHz both ways, the text path's tools, the `marin` voice),
//! sends a μ-law recording given on the command line (or, without one, asks
//! for an answer to a text prompt), prints every event (transcripts, tool
//! calls, usage, errors) and writes the model's audio to a file to play.
//!
//! The model's tool calls are shown and answered with a refusal: the probe
//! runs nothing of any shop. Needs FRONTDESK_OPENAI_API_KEY, so CI never
//! runs it against a real model.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use frontdesk_llm::{
    AudioFormat, RealtimeEvent, RealtimeSession, RealtimeVoice, ResponseStatus, SessionConfig, TurnDetection,
};
use frontdesk_openai::{OpenAiRealtime, RealtimeConfig};
use serde_json::json;

use crate::client::Failure;

/// μ-law at 8 kHz: 8 bytes a millisecond, 160 a Media Streams frame.
const FRAME_BYTES: usize = 160;
/// The WAV format code of G.711 μ-law.
const WAVE_FORMAT_MULAW: u16 = 7;

const DEFAULT_INSTRUCTIONS: &str = "You are the receptionist of a small hair salon, Fresh Cuts, speaking with a \
    caller on the phone. Speak naturally and briefly: one or two short sentences a turn. Use the tools for \
    appointments and questions about the shop; never make up prices or times.";

/// `adminctl realtime-probe [--audio FILE] [--prompt TEXT] [--out FILE] …`
#[derive(Debug, clap::Args)]
pub struct ProbeArgs {
    /// The caller's speech: a μ-law 8 kHz mono `.wav`, or raw μ-law bytes
    /// (`.ulaw`); without it the model answers --prompt.
    #[arg(long)]
    audio: Option<PathBuf>,
    /// Without --audio, what the model is asked to say.
    #[arg(long, default_value = "Greet the caller and ask how you can help.")]
    prompt: String,
    /// The session's instructions, from this file [default: a short salon receptionist's].
    #[arg(long)]
    instructions: Option<PathBuf>,
    /// Where the model's audio goes: `.wav` (μ-law, playable) or raw μ-law otherwise.
    #[arg(long, default_value = "realtime-probe.wav")]
    out: PathBuf,
    /// The realtime model [default: FRONTDESK_OPENAI_REALTIME_MODEL, else the adapter's default].
    #[arg(long, env = "FRONTDESK_OPENAI_REALTIME_MODEL")]
    model: Option<String>,
    /// The API's base URL, ending in its version [default: FRONTDESK_OPENAI_BASE_URL, else OpenAI's].
    #[arg(long, env = "FRONTDESK_OPENAI_BASE_URL")]
    base_url: Option<String>,
    /// The WebSocket URL, instead of the one derived from --base-url.
    #[arg(long, env = "FRONTDESK_OPENAI_REALTIME_URL")]
    realtime_url: Option<String>,
    /// The caller's words are transcribed by this model (`none`: no caller transcripts).
    #[arg(long, env = "FRONTDESK_OPENAI_TRANSCRIBE_MODEL", default_value = "gpt-4o-mini-transcribe")]
    transcribe_model: String,
    /// Gives up after this many seconds.
    #[arg(long, default_value_t = 30)]
    seconds: u64,
}

pub async fn run(args: ProbeArgs) -> Result<(), Failure> {
    let api_key =
        std::env::var("FRONTDESK_OPENAI_API_KEY").ok().filter(|key| !key.trim().is_empty()).ok_or_else(|| {
            Failure::Usage(
                "error: FRONTDESK_OPENAI_API_KEY is not set; realtime-probe opens a real OpenAI Realtime session \
                 with it"
                    .into(),
            )
        })?;
    if args.seconds == 0 {
        return Err(Failure::Usage("error: --seconds must be at least 1".into()));
    }
    let caller_audio = match &args.audio {
        Some(path) => Some(read_mulaw(path)?),
        None => None,
    };
    let instructions = match &args.instructions {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| Failure::Usage(format!("error: cannot read {}: {e}", path.display())))?,
        None => DEFAULT_INSTRUCTIONS.to_owned(),
    };
    let mut config = RealtimeConfig::new(api_key);
    if let Some(base_url) = args.base_url.clone().filter(|url| !url.trim().is_empty()) {
        config.base_url = base_url;
    }
    config.realtime_url = args.realtime_url.clone().filter(|url| !url.trim().is_empty());
    if let Some(model) = args.model.clone().filter(|model| !model.trim().is_empty()) {
        config.model = model;
    }
    let voice = OpenAiRealtime::new(config).map_err(|e| Failure::Usage(format!("error: {e}")))?;
    eprintln!("opening {} with {}", voice.url(), voice.model_id());
    let session = SessionConfig {
        instructions,
        tools: frontdesk_routing::realtime_tool_specs(),
        audio_format: AudioFormat::Mulaw8k,
        voice: "marin".to_owned(),
        input_transcription_model: Some(args.transcribe_model.clone()).filter(|model| model != "none"),
        // The probe says when the caller's turn ends: all of the file.
        turn_detection: TurnDetection::Manual,
        max_output_tokens: None,
    };
    let opened_at = Instant::now();
    let session = voice.open(session).await.map_err(|e| Failure::Unreachable(format!("error: {e}")))?;
    println!("session open after {} ms", opened_at.elapsed().as_millis());
    let audio = converse(session, caller_audio.as_deref(), &args.prompt, Duration::from_secs(args.seconds)).await?;
    write_audio(&args.out, &audio)?;
    println!("{} ms of the model's audio written to {}", audio.len() / 8, args.out.display());
    Ok(())
}

/// Sends the caller's audio (or asks for the prompt), prints every event
/// until the model's answer is done, and returns the audio it sent.
async fn converse(
    mut session: RealtimeSession,
    caller_audio: Option<&[u8]>,
    prompt: &str,
    deadline: Duration,
) -> Result<Vec<u8>, Failure> {
    let lost = |e: frontdesk_llm::RealtimeError| Failure::Unreachable(format!("error: {e}"));
    let started = Instant::now();
    match caller_audio {
        Some(audio) => {
            for frame in audio.chunks(FRAME_BYTES) {
                session.sender.send_audio(frame).await.map_err(lost)?;
            }
            session.sender.commit_input().await.map_err(lost)?;
            session.sender.respond(None).await.map_err(lost)?;
            println!("sent {} ms of caller audio", audio.len() / 8);
        }
        None => session.sender.respond(Some(prompt)).await.map_err(lost)?,
    }
    let asked_at = Instant::now();
    let mut audio = Vec::new();
    let mut heard = false;
    // A tool call answered asks for another response: the probe waits for it.
    let mut tool_answered = false;
    loop {
        let left = deadline.saturating_sub(started.elapsed());
        let event = match tokio::time::timeout(left, session.events.next()).await {
            Ok(Some(event)) => event,
            Ok(None) => {
                println!("the session ended");
                break;
            }
            Err(_) => {
                println!("no answer finished within {} s", deadline.as_secs());
                break;
            }
        };
        match event {
            RealtimeEvent::AudioOut { item_id, audio: piece } => {
                if !heard {
                    heard = true;
                    println!("first audio of {item_id} after {} ms", asked_at.elapsed().as_millis());
                }
                audio.extend_from_slice(&piece);
            }
            RealtimeEvent::ToolCall(call) => {
                println!("tool call {} {}({})", call.id, call.name, call.arguments);
                let refused = json!({"error": "adminctl realtime-probe runs no shop's tools"});
                // The result asks the model to answer (`response.create`) itself.
                session.sender.tool_result(&call.id, &refused).await.map_err(lost)?;
                tool_answered = true;
            }
            RealtimeEvent::ResponseDone { status, usage } => {
                let total = usage.total();
                println!(
                    "response done: {status:?}; tokens in {} (audio {}, cached {}), out {} (audio {})",
                    total.input_tokens,
                    usage.audio.input_tokens,
                    total.cached_input_tokens,
                    total.output_tokens,
                    usage.audio.output_tokens
                );
                // A tool call's answer follows; anything else ends the probe.
                if status != ResponseStatus::Completed || !std::mem::take(&mut tool_answered) {
                    break;
                }
            }
            RealtimeEvent::Closed { reason } => {
                println!("closed: {reason}");
                break;
            }
            other => println!("{}", describe(&other)),
        }
    }
    let _ = session.sender.close().await;
    Ok(audio)
}

fn describe(event: &RealtimeEvent) -> String {
    match event {
        RealtimeEvent::SpeechStarted { audio_start_ms, .. } => format!("caller speech started at {audio_start_ms} ms"),
        RealtimeEvent::SpeechStopped { audio_end_ms, .. } => format!("caller speech stopped at {audio_end_ms} ms"),
        RealtimeEvent::CallerTranscript { text, .. } => format!("caller: {text}"),
        RealtimeEvent::ReceptionistTranscript { text, .. } => format!("receptionist: {text}"),
        RealtimeEvent::Error { code, message } => format!("error {}: {message}", code.as_deref().unwrap_or("-")),
        other => format!("{other:?}"),
    }
}

/// The μ-law bytes of `path`: a WAV's data chunk (it must be μ-law, 8 kHz,
/// mono), or the whole file as raw μ-law.
pub fn read_mulaw(path: &Path) -> Result<Vec<u8>, Failure> {
    let bytes =
        std::fs::read(path).map_err(|e| Failure::Usage(format!("error: cannot read {}: {e}", path.display())))?;
    if !bytes.starts_with(b"RIFF") {
        return Ok(bytes);
    }
    wav_mulaw(&bytes).map_err(|why| Failure::Usage(format!("error: {}: {why}", path.display())))
}

fn wav_mulaw(bytes: &[u8]) -> Result<Vec<u8>, String> {
    if bytes.len() < 12 || &bytes[8..12] != b"WAVE" {
        return Err("not a WAVE file".into());
    }
    let mut at = 12;
    let mut format_ok = false;
    while at + 8 <= bytes.len() {
        let id = &bytes[at..at + 4];
        let size = u32::from_le_bytes([bytes[at + 4], bytes[at + 5], bytes[at + 6], bytes[at + 7]]) as usize;
        let body = &bytes[at + 8..(at + 8).saturating_add(size).min(bytes.len())];
        match id {
            b"fmt " if body.len() >= 16 => {
                let code = u16::from_le_bytes([body[0], body[1]]);
                let channels = u16::from_le_bytes([body[2], body[3]]);
                let rate = u32::from_le_bytes([body[4], body[5], body[6], body[7]]);
                if (code, channels, rate) != (WAVE_FORMAT_MULAW, 1, 8000) {
                    return Err(format!(
                        "the audio must be μ-law, 8000 Hz, mono (format 7); this is format {code}, {rate} Hz, \
                         {channels} channel(s) (e.g. `sox in.wav -r 8000 -c 1 -e mu-law out.wav`)"
                    ));
                }
                format_ok = true;
            }
            b"data" if format_ok => return Ok(body.to_vec()),
            b"data" => return Err("its data comes before its format".into()),
            _ => {}
        }
        at += 8 + size + size % 2;
    }
    Err("no audio data in it".into())
}

/// `.wav`: μ-law in a WAV header any player reads; anything else: raw bytes.
fn write_audio(path: &Path, audio: &[u8]) -> Result<(), Failure> {
    let wav = path.extension().is_some_and(|ext| ext.eq_ignore_ascii_case("wav"));
    let bytes = if wav { mulaw_wav(audio) } else { audio.to_vec() };
    std::fs::write(path, bytes).map_err(|e| Failure::Usage(format!("error: cannot write {}: {e}", path.display())))
}

pub fn mulaw_wav(audio: &[u8]) -> Vec<u8> {
    let data = audio.len() as u32;
    let mut out = Vec::with_capacity(audio.len() + 46);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(38 + data).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&18u32.to_le_bytes());
    out.extend_from_slice(&WAVE_FORMAT_MULAW.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&8000u32.to_le_bytes());
    out.extend_from_slice(&8000u32.to_le_bytes()); // bytes a second
    out.extend_from_slice(&1u16.to_le_bytes()); // block align
    out.extend_from_slice(&8u16.to_le_bytes()); // bits a sample
    out.extend_from_slice(&0u16.to_le_bytes()); // no extension
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data.to_le_bytes());
    out.extend_from_slice(audio);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_wav_reads_back_as_the_same_mulaw() {
        let audio: Vec<u8> = (0..=255).collect();
        assert_eq!(wav_mulaw(&mulaw_wav(&audio)), Ok(audio));
    }

    #[test]
    fn a_wav_that_is_not_mulaw_8k_mono_is_refused() {
        let mut pcm = mulaw_wav(&[1, 2, 3]);
        pcm[20] = 1; // format 1: PCM
        let Err(refused) = wav_mulaw(&pcm) else { panic!("a PCM WAV was read as μ-law") };
        assert!(refused.contains("format 1"), "{refused}");
    }
}
