//! Which service account acts for which tenant.

use std::collections::HashMap;

use frontdesk_calendar::{CalendarError, ExternalCalendar};
use frontdesk_google_calendar::GoogleCalendarConfig;
use wiremock::Mock;
use wiremock::matchers::{method, path};

use crate::support::*;

const PLATFORM_EMAIL: &str = "platform@frontdesk-test-only.iam.gserviceaccount.com";
const OWN_EMAIL: &str = "fresh-cuts-own@fresh-cuts-test-only.iam.gserviceaccount.com";

#[tokio::test]
async fn a_tenants_own_key_beats_the_platform_key_and_each_key_caches_its_token() {
    let fake = Fake::with_config(|server| GoogleCalendarConfig {
        platform_key: Some(key_for(server, PLATFORM_EMAIL)),
        tenant_keys: HashMap::from([(tenant("fresh-cuts"), key_for(server, OWN_EMAIL))]),
        ..GoogleCalendarConfig::default()
    })
    .await;
    token_request()
        .and(IssuedBy(PLATFORM_EMAIL))
        .respond_with(token_reply("ya29.platform"))
        .expect(1)
        .mount(&fake.server)
        .await;
    token_request().and(IssuedBy(OWN_EMAIL)).respond_with(token_reply("ya29.own")).expect(1).mount(&fake.server).await;
    let free_busy = || Mock::given(method("POST")).and(path("/freeBusy"));
    free_busy().and(bearer("ya29.own")).respond_with(free_all_day()).expect(2).mount(&fake.server).await;
    free_busy().and(bearer("ya29.platform")).respond_with(free_all_day()).expect(2).mount(&fake.server).await;

    for slug in ["fresh-cuts", "bright-smile", "fresh-cuts", "bright-smile"] {
        fake.calendar
            .busy(&tenant(slug), CALENDAR_ID, monday_at(14, 0), monday_at(22, 0))
            .await
            .unwrap_or_else(|e| panic!("busy for {slug}: {e}"));
    }
}

#[tokio::test]
async fn tenants_sharing_a_key_share_its_token() {
    let fake = Fake::with_config(|server| GoogleCalendarConfig {
        tenant_keys: HashMap::from([
            (tenant("fresh-cuts"), key_for(server, OWN_EMAIL)),
            (tenant("fresh-cuts-uptown"), key_for(server, OWN_EMAIL)),
        ]),
        ..GoogleCalendarConfig::default()
    })
    .await;
    fake.grant_token_once("ya29.own").await;
    Mock::given(method("POST"))
        .and(path("/freeBusy"))
        .and(bearer("ya29.own"))
        .respond_with(free_all_day())
        .expect(2)
        .mount(&fake.server)
        .await;

    for slug in ["fresh-cuts", "fresh-cuts-uptown"] {
        fake.calendar
            .busy(&tenant(slug), CALENDAR_ID, monday_at(14, 0), monday_at(22, 0))
            .await
            .unwrap_or_else(|e| panic!("busy for {slug}: {e}"));
    }
}

#[tokio::test]
async fn a_tenant_without_any_key_gets_an_auth_error_and_nothing_is_sent() {
    let fake = Fake::with_config(|server| GoogleCalendarConfig {
        platform_key: None,
        tenant_keys: HashMap::from([(tenant("fresh-cuts"), key_for(server, OWN_EMAIL))]),
        ..GoogleCalendarConfig::default()
    })
    .await;

    let result = fake.calendar.busy(&tenant("bright-smile"), CALENDAR_ID, monday_at(14, 0), monday_at(22, 0)).await;

    let error = result.err().unwrap_or_else(|| panic!("no credentials must fail"));
    assert!(
        matches!(&error, CalendarError::Auth(text) if text.contains("no Google credentials configured for tenant bright-smile")),
        "{error:?}"
    );
    assert!(!error.is_retryable());
    assert!(fake.requests().await.is_empty());
}
