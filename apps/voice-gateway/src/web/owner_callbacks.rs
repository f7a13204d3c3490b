//! `/app/callbacks`: callers owed a call back (a transfer nobody took, a
//! message left), the longest waiting first, with why they called and what
//! their message says; "Call back" rings the owner's phone first and then
//! the customer from the shop's number; "Done" closes one.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use frontdesk_routing::{CallBackError, CallSid, CallbackStatus};
use serde::Deserialize;

use super::owner::{shop_of, unavailable};
use super::{OwnerSession, audit_owner, page};
use crate::app::AppState;

struct CallbackRow {
    call_sid: String,
    who: String,
    caller: Option<String>,
    reason: String,
    transcript: Option<String>,
    recording_url: Option<String>,
    since: String,
    waiting: String,
    /// Waiting more than 30 minutes.
    late: bool,
}

#[derive(Template)]
#[template(path = "owner_callbacks.html")]
struct CallbacksPage {
    shop: String,
    page: &'static str,
    done: Option<String>,
    error: Option<String>,
    rows: Vec<CallbackRow>,
    /// Whether "Call back" can ring the phone (a telephony provider is set up).
    can_call: bool,
    owner_phone: String,
}

#[derive(Deserialize)]
pub(crate) struct Outcome {
    done: Option<String>,
    error: Option<String>,
}

fn waited(minutes: i64) -> String {
    match minutes {
        ..=0 => "just now".to_owned(),
        1..=59 => format!("{minutes} min"),
        60..=1439 => format!("{} h {} min", minutes / 60, minutes % 60),
        _ => format!("{} days", minutes / 1440),
    }
}

pub(crate) async fn callbacks(
    State(state): State<AppState>,
    owner: OwnerSession,
    Query(outcome): Query<Outcome>,
) -> Response {
    let Some(shop) = shop_of(&state, &owner).await else { return unavailable() };
    let zone = shop.profile.timezone();
    let open = match state.callbacks.callbacks(&owner.tenant, Some(CallbackStatus::Open)).await {
        Ok(open) => open,
        Err(error) => {
            tracing::error!(%error, "could not list a shop's callbacks");
            return unavailable();
        }
    };
    let now = state.clock.now();
    let rows = open
        .iter()
        .map(|callback| {
            let minutes = (now - callback.created_at).num_minutes();
            CallbackRow {
                call_sid: callback.call_sid.to_string(),
                who: callback.name.clone().unwrap_or_else(|| "A caller".to_owned()),
                caller: callback.caller.as_ref().map(ToString::to_string),
                reason: callback.reason.clone(),
                transcript: callback.transcript.clone(),
                recording_url: callback.recording_url.clone(),
                since: callback.created_at.with_timezone(&zone).format("%a %-d %b, %-I:%M %p").to_string(),
                waiting: waited(minutes),
                late: minutes > 30,
            }
        })
        .collect();
    let page_ = CallbacksPage {
        shop: shop.profile.name().to_owned(),
        page: "callbacks",
        done: outcome.done.map(|what| match what.as_str() {
            "ringing" => "Your phone is ringing: press 1 to be connected to the customer.".to_owned(),
            _ => "Marked done.".to_owned(),
        }),
        error: outcome.error,
        rows,
        can_call: state.calling_back.is_some(),
        owner_phone: shop.profile.owner_phone().to_string(),
    };
    page(page_.render())
}

fn back(key: &str, value: &str) -> Response {
    let query = url::form_urlencoded::Serializer::new(String::new()).append_pair(key, value).finish();
    Redirect::to(&format!("/app/callbacks?{query}")).into_response()
}

pub(crate) async fn mark_done(
    State(state): State<AppState>,
    owner: OwnerSession,
    Path(call): Path<String>,
) -> Response {
    let Ok(sid) = CallSid::parse(&call) else { return back("error", "No such callback.") };
    match state.callbacks.close_callback(&owner.tenant, &sid, state.clock.now()).await {
        Ok(true) => {
            audit_owner(&state, &owner, "callback.done", &format!("callbacks/{call}"), None, None).await;
            back("done", "1")
        }
        Ok(false) => back("error", "No such callback."),
        Err(error) => {
            tracing::error!(%error, "could not close a callback");
            back("error", "Not saved: something went wrong on our side. Try again in a minute.")
        }
    }
}

pub(crate) async fn call_back(
    State(state): State<AppState>,
    owner: OwnerSession,
    Path(call): Path<String>,
) -> Response {
    let Ok(sid) = CallSid::parse(&call) else { return back("error", "No such callback.") };
    let Some(calling_back) = state.calling_back.clone() else {
        return back(
            "error",
            "Calling back from here needs the phone service to be set up; call them from your phone.",
        );
    };
    let Some(shop) = shop_of(&state, &owner).await else { return unavailable() };
    match calling_back.start(&shop.profile, &sid).await {
        Ok(_) => back("done", "ringing"),
        Err(CallBackError::NoNumber) => {
            back("error", "Their number was withheld: their message may say how to reach them.")
        }
        Err(CallBackError::NotFound(_) | CallBackError::Done(_)) => back("error", "That callback is already done."),
        Err(error) => {
            tracing::error!(%error, "could not start a call back");
            back("error", "The call could not be placed just now. Try again in a minute.")
        }
    }
}
