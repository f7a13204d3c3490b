//! frontdesk-voice-bridge integration tests: Media Streams' wire frames
//! against protocols.md's examples, and the bridge between a fake Twilio
//! (channels) and a fake realtime session (scripted events).

mod bridge;
mod filler;
mod media;
mod support;
