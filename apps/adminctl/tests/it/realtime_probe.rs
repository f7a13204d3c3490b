//! `adminctl realtime-probe` without a network: what it refuses before it
//! opens a session (a missing key, bad arguments, audio it cannot send).
//! Opening a real session needs a key, so CI never does.

use crate::eval::adminctl;

/// Environment variables for a run.
type Env<'a> = Vec<(&'a str, &'a str)>;

/// A WAV header and `data` for `audio`, in `format` (7: μ-law, 1: PCM).
fn wav(format: u16, rate: u32, audio: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + audio.len() as u32).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&format.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&8u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&(audio.len() as u32).to_le_bytes());
    out.extend_from_slice(audio);
    out
}

#[tokio::test]
async fn realtime_probe_without_a_key_or_with_bad_arguments_is_a_usage_error_and_opens_nothing() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let pcm = dir.path().join("pcm.wav");
    std::fs::write(&pcm, wav(1, 16_000, &[0; 320])).unwrap_or_else(|e| panic!("{e}"));
    let pcm = pcm.to_str().unwrap_or_default();
    let missing = dir.path().join("missing.ulaw");
    let missing = missing.to_str().unwrap_or_default();
    let key = ("FRONTDESK_OPENAI_API_KEY", "sk-probe-test");
    // (environment, arguments, what stderr says)
    let cases: Vec<(Env, Vec<&str>, &str)> = vec![
        (vec![], vec!["realtime-probe"], "FRONTDESK_OPENAI_API_KEY is not set"),
        (vec![("FRONTDESK_OPENAI_API_KEY", "  ")], vec!["realtime-probe"], "FRONTDESK_OPENAI_API_KEY is not set"),
        (vec![key], vec!["realtime-probe", "--seconds", "0"], "--seconds must be at least 1"),
        (vec![key], vec!["realtime-probe", "--seconds", "soon"], "invalid value 'soon'"),
        (vec![key], vec!["realtime-probe", "--volume", "11"], "unexpected argument '--volume'"),
        (vec![key], vec!["realtime-probe", "--audio", missing], "cannot read"),
        (vec![key], vec!["realtime-probe", "--audio", pcm], "must be μ-law, 8000 Hz, mono"),
        (vec![key], vec!["realtime-probe", "--instructions", missing], "cannot read"),
        (vec![key], vec!["realtime-probe", "--base-url", "ftp://x"], "cannot be made from \"ftp://x\""),
    ];
    for (env, args, expected) in cases {
        let run = adminctl(&env, &args).await;
        assert_eq!(run.code, Some(2), "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(expected), "{args:?}: {expected:?} not in {}", run.stderr);
        assert!(!run.stdout.contains("session open"), "{args:?}: {}", run.stdout);
    }
}

#[tokio::test]
async fn realtime_probe_is_listed_with_its_options() {
    let run = adminctl(&[], &["realtime-probe", "--help"]).await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    for option in ["--audio", "--prompt", "--out", "--instructions", "--model", "--seconds"] {
        assert!(run.stdout.contains(option), "{option} not in {}", run.stdout);
    }
}
