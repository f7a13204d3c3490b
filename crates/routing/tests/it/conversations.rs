//! Every `fixtures/conversations/*.yaml` call, played against the call
//! session with in-memory stores: no HTTP, no database.

use std::sync::{Arc, Mutex};

use frontdesk_conversations::{Line, book_setup, play, play_every_scenario, play_politely};
use frontdesk_routing::scenarios::{MemoryLine, demo_profile};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_conversation_scenario_plays_against_the_call_session() {
    // (caller turns, model calls, the dearest call's estimated cost) over the whole set.
    let counted = Arc::new(Mutex::new((0_usize, 0_usize, 0_i64)));
    let count = counted.clone();
    play_every_scenario(move |name, scenario| {
        let count = count.clone();
        async move {
            let profile = demo_profile(&scenario.tenant);
            let mut line = MemoryLine::scripted(profile.clone(), &scenario).await;
            let setup = book_setup(line.bookings.as_ref(), &profile, &scenario).await;
            play(&name, &scenario, &profile, &setup, &mut line).await;
            let after = line.after().await;
            let cost = estimated_cost_micros(&line.model_requests());
            let mut count = count.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            count.0 += scenario.turns.len();
            count.1 += after.model_turns;
            count.2 = count.2.max(cost);
        }
    })
    .await;
    let (turns, model_calls, dearest) = *counted.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let share = model_calls as f64 / turns.max(1) as f64;
    println!("the language model was asked {model_calls} times over {turns} caller turns ({:.1} %)", share * 100.0);
    println!("the dearest call's model use, estimated at gpt-4o-mini prices: ${:.6}", dearest as f64 / 1e6);
    if std::env::var("FRONTDESK_SCENARIOS").is_err() {
        assert!(share <= 0.25, "the rules serve at least 75 % of the turns: {model_calls} model calls, {turns} turns");
    }
    assert!(dearest <= 5_000, "at most $0.005 of model use a call: {dearest} micro-dollars");
}

/// What a call's model requests would cost at a gpt-4o-mini-class price:
/// input tokens estimated as a quarter of the characters sent (the
/// instructions, the tools' schemas, the conversation), none cached, and
/// the most output a request allows. `adminctl eval` measures the real
/// figure against a real model.
fn estimated_cost_micros(requests: &[frontdesk_llm::ModelRequest]) -> i64 {
    let price = frontdesk_billing::PriceTable::standard().price("gpt-4o-mini").unwrap_or_else(|| panic!("no price"));
    requests
        .iter()
        .map(|request| {
            let tools: usize = request
                .tools
                .iter()
                .map(|tool| tool.name.len() + tool.description.len() + tool.parameters.to_string().len())
                .sum();
            let turns: usize = request.turns.iter().map(|turn| format!("{turn:?}").len()).sum();
            let input = (request.instructions.len() + tools + turns).div_ceil(4) as u64;
            let tokens = frontdesk_billing::TokenCount::text(input, 0, u64::from(request.max_output_tokens));
            tokens.cost_micros(price)
        })
        .sum()
}

/// The fixtures a model serves, on a plan without one: the rules answer
/// every turn politely and never book or cancel what the call did not ask
/// for, and every fixture whose model acts fails its expectations: the
/// rules alone do not serve those calls.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_model_its_fixtures_fall_back_politely_and_the_rules_alone_fail_them() {
    let rules_alone_passed = Arc::new(Mutex::new(Vec::new()));
    let passed = rules_alone_passed.clone();
    play_every_scenario(move |name, scenario| {
        let passed = passed.clone();
        async move {
            if !scenario.scripts_the_model() {
                return;
            }
            let scenario = scenario.without_the_model();
            let profile = demo_profile(&scenario.tenant);
            let mut line = MemoryLine::scripted(profile.clone(), &scenario).await;
            let setup = book_setup(line.bookings.as_ref(), &profile, &scenario).await;
            play_politely(&name, &scenario, &setup, &mut line).await;
            if !scenario.needs_the_model() {
                return;
            }
            let mut line = MemoryLine::scripted(profile.clone(), &scenario).await;
            let setup = book_setup(line.bookings.as_ref(), &profile, &scenario).await;
            let (name_, scenario_) = (name.clone(), scenario.clone());
            let rules_alone = tokio::spawn(async move {
                play(&name_, &scenario_, &profile, &setup, &mut line).await;
            })
            .await;
            if rules_alone.is_ok() {
                passed.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(name);
            }
        }
    })
    .await;
    let passed = rules_alone_passed.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    assert!(passed.is_empty(), "these pass without the model, so they prove nothing about it: {passed:?}");
}
