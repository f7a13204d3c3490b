//! One call through the bridge, the test playing both Twilio and the model.

use std::time::Duration;

use frontdesk_llm::{
    ItemId, ModelUsage, RealtimeError, RealtimeEvent, RealtimeUsage, ResponseStatus, ToolCall, TranscriptionUsage,
};
use frontdesk_voice_bridge::{BridgeOptions, EndReason, Speaker, TranscriptTurn, TwilioCommand, TwilioMessage};
use serde_json::json;

use crate::support::{Call, Sent, audio_out, caller_frame, start_message};

/// `n` bytes of recognisable μ-law.
fn audio(seed: u8, n: usize) -> Vec<u8> {
    (0..n).map(|i| seed.wrapping_add(i as u8)).collect()
}

#[tokio::test]
async fn audio_is_relayed_both_ways_byte_for_byte_each_piece_followed_by_a_mark() {
    let mut call = Call::started("CA1", "MZ1").await;
    for chunk in 1..=3 {
        call.caller_says(chunk, audio(chunk as u8, 160)).await;
    }
    call.model_sends(audio_out("item_a", audio(7, 480))).await;
    call.model_sends(audio_out("item_a", audio(9, 100))).await;
    assert_eq!(call.twilio_got().await, call.media(audio(7, 480)));
    assert_eq!(call.twilio_got().await, call.mark("item_a:60"));
    assert_eq!(call.twilio_got().await, call.media(audio(9, 100)));
    // 580 bytes: 72.5 ms, marked at the whole millisecond heard.
    assert_eq!(call.twilio_got().await, call.mark("item_a:72"));
    call.model_sends(audio_out("item_b", audio(3, 160))).await;
    assert_eq!(call.twilio_got().await, call.media(audio(3, 160)));
    assert_eq!(call.twilio_got().await, call.mark("item_b:20"), "a new answer counts from zero");
    call.twilio_sends(TwilioMessage::Stop { call_sid: "CA1".to_owned() }).await;
    let outcome = call.ended().await;
    assert_eq!(outcome.ended, EndReason::StreamStopped);
    assert_eq!(call.model_got().await, Sent::Close, "a hung-up call closes the model's session");
    assert_eq!(outcome.start.map(|start| start.custom_parameters["tenant"].clone()), Some("t1".to_owned()));
}

#[tokio::test]
async fn a_barge_in_clears_twilio_and_truncates_at_the_last_acknowledged_mark() {
    let mut call = Call::started("CA1", "MZ1").await;
    for piece in 0..3 {
        call.model_sends(audio_out("item_a", audio(piece, 320))).await;
    }
    let mut marks = Vec::new();
    for _ in 0..3 {
        assert!(matches!(call.twilio_got().await, TwilioCommand::Media { .. }));
        marks.push(call.twilio_got().await);
    }
    assert_eq!(marks, [call.mark("item_a:40"), call.mark("item_a:80"), call.mark("item_a:120")]);
    // The caller has heard 80 ms of the 120 sent when they speak.
    call.twilio_sends(TwilioMessage::Mark { name: "item_a:40".to_owned() }).await;
    call.twilio_sends(TwilioMessage::Mark { name: "item_a:80".to_owned() }).await;
    call.caller_says(1, audio(50, 160)).await;
    call.model_sends(RealtimeEvent::SpeechStarted { audio_start_ms: 20, item_id: ItemId::new("item_caller") }).await;
    assert_eq!(call.twilio_got().await, TwilioCommand::Clear { stream_sid: "MZ1".to_owned() });
    assert_eq!(
        call.model_got().await,
        Sent::Truncate { item_id: ItemId::new("item_a"), content_index: 0, audio_end: Duration::from_millis(80) }
    );
    // Twilio hands back the cleared mark; the answer's late audio is dropped.
    call.twilio_sends(TwilioMessage::Mark { name: "item_a:120".to_owned() }).await;
    call.model_sends(audio_out("item_a", audio(4, 320))).await;
    call.model_sends(RealtimeEvent::ReceptionistTranscript {
        item_id: ItemId::new("item_a"),
        text: "We have ten and half past ten.".to_owned(),
    })
    .await;
    call.model_sends(audio_out("item_b", audio(5, 160))).await;
    assert_eq!(call.twilio_got().await, call.media(audio(5, 160)), "nothing of the cut answer after the clear");
    assert_eq!(call.twilio_got().await, call.mark("item_b:20"));
    let outcome = call.finish().await;
    assert_eq!(outcome.interruptions, 1);
    assert_eq!(
        outcome.transcript,
        [TranscriptTurn {
            speaker: Speaker::Receptionist,
            item_id: ItemId::new("item_a"),
            text: "We have ten and half past ten.".to_owned(),
            cut_short: true,
        }]
    );
}

#[tokio::test]
async fn speech_after_the_answer_has_played_is_no_barge_in() {
    let mut call = Call::started("CA1", "MZ1").await;
    call.model_sends(audio_out("item_a", audio(1, 320))).await;
    assert!(matches!(call.twilio_got().await, TwilioCommand::Media { .. }));
    assert_eq!(call.twilio_got().await, call.mark("item_a:40"));
    call.twilio_sends(TwilioMessage::Mark { name: "item_a:40".to_owned() }).await;
    call.caller_says(1, audio(2, 160)).await;
    call.model_sends(RealtimeEvent::SpeechStarted { audio_start_ms: 20, item_id: ItemId::new("item_c") }).await;
    call.caller_says(2, audio(3, 160)).await;
    call.model_sends(audio_out("item_b", audio(4, 8))).await;
    assert_eq!(call.twilio_got().await, call.media(audio(4, 8)), "no clear was sent");
    let outcome = call.finish().await;
    assert_eq!(outcome.interruptions, 0);
}

#[tokio::test]
async fn a_barge_in_before_any_mark_came_back_truncates_at_zero() {
    let mut call = Call::started("CA1", "MZ1").await;
    call.model_sends(audio_out("item_a", audio(1, 800))).await;
    call.twilio_got().await;
    call.twilio_got().await;
    call.model_sends(RealtimeEvent::SpeechStarted { audio_start_ms: 0, item_id: ItemId::new("item_c") }).await;
    assert_eq!(call.twilio_got().await, TwilioCommand::Clear { stream_sid: "MZ1".to_owned() });
    assert_eq!(
        call.model_got().await,
        Sent::Truncate { item_id: ItemId::new("item_a"), content_index: 0, audio_end: Duration::ZERO }
    );
}

#[tokio::test(start_paused = true)]
async fn each_turn_is_timed_from_the_caller_stopping_to_the_first_audio_back() {
    let mut call = Call::started("CA1", "MZ1").await;
    for (turn, wait_ms) in [(0u8, 300u64), (1, 420), (2, 250)] {
        call.model_sends(RealtimeEvent::SpeechStopped { audio_end_ms: 900, item_id: ItemId::new("caller") }).await;
        // The paused clock moves only once the bridge has taken the event.
        tokio::time::sleep(Duration::from_millis(wait_ms)).await;
        call.model_sends(audio_out(&format!("item_{turn}"), audio(turn, 160))).await;
        call.model_sends(audio_out(&format!("item_{turn}"), audio(turn, 160))).await;
        for _ in 0..4 {
            call.twilio_got().await;
        }
    }
    // Audio the model sends unprompted (a greeting) starts no turn.
    call.model_sends(audio_out("item_9", audio(9, 160))).await;
    let outcome = call.finish().await;
    let ms = Duration::from_millis;
    assert_eq!(outcome.latencies.turns, [ms(300), ms(420), ms(250)]);
    assert_eq!(outcome.latencies.p50(), Some(ms(300)));
    assert_eq!(outcome.latencies.p95(), Some(ms(420)));
}

#[tokio::test]
async fn transcripts_are_kept_in_order_without_card_numbers_and_usage_is_summed() {
    let mut call = Call::started("CA1", "MZ1").await;
    let script = [
        RealtimeEvent::CallerTranscript {
            item_id: ItemId::new("c1"),
            text: "My card is 4111 1111 1111 1111, book me at ten".to_owned(),
            usage: TranscriptionUsage::Tokens(ModelUsage {
                input_tokens: 30,
                cached_input_tokens: 0,
                output_tokens: 6,
            }),
        },
        RealtimeEvent::ReceptionistTranscript { item_id: ItemId::new("r1"), text: "Booked for ten.".to_owned() },
        RealtimeEvent::CallerTranscript {
            item_id: ItemId::new("c2"),
            text: "Thanks".to_owned(),
            usage: TranscriptionUsage::Tokens(ModelUsage {
                input_tokens: 10,
                cached_input_tokens: 0,
                output_tokens: 2,
            }),
        },
        RealtimeEvent::CallerTranscript {
            item_id: ItemId::new("c3"),
            text: "Bye".to_owned(),
            usage: TranscriptionUsage::AudioSeconds(1.5),
        },
        RealtimeEvent::CallerTranscript {
            item_id: ItemId::new("c4"),
            text: "Bye now".to_owned(),
            usage: TranscriptionUsage::Unreported,
        },
        RealtimeEvent::ResponseDone {
            status: ResponseStatus::Completed,
            usage: RealtimeUsage {
                text: ModelUsage { input_tokens: 100, cached_input_tokens: 80, output_tokens: 10 },
                audio: ModelUsage { input_tokens: 50, cached_input_tokens: 0, output_tokens: 200 },
            },
        },
        RealtimeEvent::Error { code: Some("rate_limit".to_owned()), message: "slow down".to_owned() },
        RealtimeEvent::ResponseDone {
            status: ResponseStatus::Cancelled,
            usage: RealtimeUsage {
                text: ModelUsage { input_tokens: 20, cached_input_tokens: 0, output_tokens: 1 },
                audio: ModelUsage { input_tokens: 5, cached_input_tokens: 0, output_tokens: 30 },
            },
        },
        RealtimeEvent::Closed { reason: "done".to_owned() },
    ];
    for event in script {
        call.model_sends(event).await;
    }
    let outcome = call.ended().await;
    let texts: Vec<(Speaker, &str)> = outcome.transcript.iter().map(|t| (t.speaker, t.text.as_str())).collect();
    assert_eq!(
        texts,
        [
            (Speaker::Caller, "My card is [card number removed], book me at ten"),
            (Speaker::Receptionist, "Booked for ten."),
            (Speaker::Caller, "Thanks"),
            (Speaker::Caller, "Bye"),
            (Speaker::Caller, "Bye now"),
        ]
    );
    // The caller's transcription apart from the answers' tokens.
    assert_eq!(outcome.transcription_tokens, ModelUsage { input_tokens: 40, cached_input_tokens: 0, output_tokens: 8 });
    assert_eq!(outcome.transcription_seconds, 1.5);
    assert_eq!(outcome.responses, 2);
    assert_eq!(
        outcome.usage,
        RealtimeUsage {
            text: ModelUsage { input_tokens: 120, cached_input_tokens: 80, output_tokens: 11 },
            audio: ModelUsage { input_tokens: 55, cached_input_tokens: 0, output_tokens: 230 },
        }
    );
    assert_eq!(outcome.model_errors, ["rate_limit: slow down"]);
    assert_eq!(outcome.ended, EndReason::ModelClosed { reason: "done".to_owned() });
}

#[tokio::test]
async fn a_tool_call_runs_and_its_result_goes_back_to_the_model() {
    let mut call = Call::started("CA1", "MZ1").await;
    let tool_call = ToolCall {
        id: "call_1".to_owned(),
        name: "available_slots".to_owned(),
        arguments: r#"{"service":"Cut","date":"2026-12-08"}"#.to_owned(),
    };
    call.model_sends(RealtimeEvent::ToolCall(tool_call.clone())).await;
    assert_eq!(
        call.model_got().await,
        Sent::ToolResult {
            call_id: "call_1".to_owned(),
            output: json!({
                "tool": "available_slots",
                "arguments": {"service": "Cut", "date": "2026-12-08"},
                "slots": ["10:00", "10:30"],
            }),
        }
    );
    assert_eq!(call.tools.calls.lock().unwrap_or_else(|e| e.into_inner()).clone(), [tool_call]);
    // Audio keeps flowing meanwhile.
    call.caller_says(1, audio(1, 160)).await;
    call.finish().await;
}

#[tokio::test]
async fn the_runner_hears_the_caller_before_the_tool_call_that_follows_and_a_hand_off_ends_the_bridge() {
    let mut call = Call::started("CA1", "MZ1").await;
    call.model_sends(RealtimeEvent::SpeechStarted { audio_start_ms: 0, item_id: ItemId::new("item_C1") }).await;
    let said = RealtimeEvent::CallerTranscript {
        item_id: ItemId::new("item_C1"),
        text: "yes please, my card is 4111 1111 1111 1111".to_owned(),
        usage: TranscriptionUsage::Unreported,
    };
    call.model_sends(said).await;
    let tool = |id: &str, name: &str| ToolCall { id: id.to_owned(), name: name.to_owned(), arguments: "{}".to_owned() };
    call.model_sends(RealtimeEvent::ToolCall(tool("call_1", "book_held_slot"))).await;
    assert!(matches!(call.model_got().await, Sent::ToolResult { call_id, .. } if call_id == "call_1"));
    let heard = call.tools.heard.lock().unwrap_or_else(|e| e.into_inner()).clone();
    assert_eq!(heard.len(), 1);
    assert!(heard[0].starts_with("yes please") && !heard[0].contains("4111"), "{heard:?}");
    let started = call.tools.started.lock().unwrap_or_else(|e| e.into_inner()).clone();
    assert_eq!(started, [ItemId::new("item_C1")]);

    call.model_sends(RealtimeEvent::ToolCall(tool("call_2", "hand_over"))).await;
    let outcome = call.ended().await;
    assert_eq!(outcome.ended, EndReason::HandedOff);
    assert!(!outcome.ended.is_model_failure());
    let mut results = Vec::new();
    while let Ok(sent) = call.sent.try_recv() {
        results.extend(matches!(sent, Sent::ToolResult { .. }).then_some(sent));
    }
    assert!(results.is_empty(), "the hand-off's result never goes to the model: {results:?}");
}

#[tokio::test]
async fn the_model_closing_mid_call_ends_the_bridge_and_says_why() {
    let mut call = Call::started("CA1", "MZ1").await;
    call.caller_says(1, audio(1, 160)).await;
    call.model_sends(RealtimeEvent::Closed { reason: "the connection was lost".to_owned() }).await;
    let outcome = call.ended().await;
    assert_eq!(outcome.ended, EndReason::ModelClosed { reason: "the connection was lost".to_owned() });
    // Twilio's side is left open for the gateway's fallback.
    assert!(call.twilio.send(caller_frame(2, audio(2, 160))).await.is_err(), "the bridge no longer reads the stream");
}

#[tokio::test]
async fn a_failed_send_to_the_model_ends_the_bridge() {
    let mut call = Call::started("CA1", "MZ1").await;
    call.caller_says(1, audio(1, 160)).await;
    call.session.fail();
    call.twilio_sends(caller_frame(2, audio(2, 160))).await;
    assert_eq!(call.ended().await.ended, EndReason::ModelFailed(RealtimeError::Closed));
}

#[tokio::test]
async fn a_stream_for_another_call_or_in_another_format_is_refused() {
    let mut call = Call::open(BridgeOptions { expected_call_sid: Some("CA1".to_owned()) }, "MZ9");
    call.twilio_sends(start_message("CA9", "MZ9")).await;
    let outcome = call.ended().await;
    assert!(matches!(outcome.ended, EndReason::Refused(ref why) if why.contains("CA9")), "{:?}", outcome.ended);
    assert_eq!(call.model_got().await, Sent::Close);

    let mut call = Call::open(BridgeOptions::default(), "MZ8");
    let TwilioMessage::Start(mut start) = start_message("CA8", "MZ8") else { unreachable!() };
    start.media_format.encoding = "audio/x-l16".to_owned();
    call.twilio_sends(TwilioMessage::Start(start)).await;
    assert!(matches!(call.ended().await.ended, EndReason::Refused(_)));

    let mut call = Call::open(BridgeOptions::default(), "MZ7");
    call.twilio_sends(caller_frame(1, audio(1, 160))).await;
    assert!(matches!(call.ended().await.ended, EndReason::Refused(_)), "media before start");
}

#[tokio::test]
async fn two_calls_at_once_never_mix_audio() {
    let mut first = Call::started("CA1", "MZ1").await;
    let mut second = Call::started("CA2", "MZ2").await;
    for chunk in 0..20u8 {
        first.twilio_sends(caller_frame(u64::from(chunk), vec![chunk; 160])).await;
        second.twilio_sends(caller_frame(u64::from(chunk), vec![100 + chunk; 160])).await;
        first.model_sends(audio_out("one", vec![200; 160])).await;
        second.model_sends(audio_out("two", vec![201; 160])).await;
    }
    for chunk in 0..20u8 {
        assert_eq!(first.model_got().await, Sent::Audio(vec![chunk; 160]));
        assert_eq!(second.model_got().await, Sent::Audio(vec![100 + chunk; 160]));
    }
    for piece in 1..=20u64 {
        assert_eq!(first.twilio_got().await, first.media(vec![200; 160]));
        assert_eq!(first.twilio_got().await, first.mark(&format!("one:{}", piece * 20)));
        assert_eq!(second.twilio_got().await, second.media(vec![201; 160]));
        assert_eq!(second.twilio_got().await, second.mark(&format!("two:{}", piece * 20)));
    }
    assert!(first.to_twilio.try_recv().is_err() && second.to_twilio.try_recv().is_err());
    assert!(first.sent.try_recv().is_err() && second.sent.try_recv().is_err());
    first.finish().await;
    second.finish().await;
}
