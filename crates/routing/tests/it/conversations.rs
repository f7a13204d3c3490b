//! Every `fixtures/conversations/*.yaml` call, played against the call
//! session with in-memory stores: no HTTP, no database.

use frontdesk_conversations::{book_setup, play, play_every_scenario};
use frontdesk_routing::scenarios::{MemoryLine, demo_profile};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_conversation_scenario_plays_against_the_call_session() {
    play_every_scenario(|name, scenario| async move {
        let profile = demo_profile(&scenario.tenant);
        let mut line = MemoryLine::scripted(profile.clone(), &scenario).await;
        let setup = book_setup(line.bookings.as_ref(), &profile, &scenario).await;
        play(&name, &scenario, &profile, &setup, &mut line).await;
    })
    .await;
}
