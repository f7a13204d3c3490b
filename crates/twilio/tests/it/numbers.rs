//! Provisioning against a local fake of Twilio's hosts: the exact requests
//! (fields, methods, Basic auth) and Twilio's real reply shapes.

use std::time::Duration;

use frontdesk_twilio::{
    BrandCreate, CampaignCreate, LocalNumberSearch, LosingCarrierInformation, NumberConfig, PortInCreate,
    PortInPhoneNumber, PortingNotification, ProvisioningApiError, TrustBundleKind, TwilioRest, TwilioRestConfig,
};
use serde_json::json;
use wiremock::matchers::{body_json, body_string, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{ACCOUNT_SID, AUTH_TOKEN, basic_auth, form_post, twilio_error};

const NUMBERS: &str = "/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/IncomingPhoneNumbers.json";
const PN: &str = "PN0123456789abcdef0123456789abcdef";

/// Every host on one fake: their paths do not overlap.
fn twilio(server: &MockServer) -> TwilioRest {
    TwilioRest::new(TwilioRestConfig {
        base_url: server.uri(),
        numbers_base_url: server.uri(),
        messaging_base_url: server.uri(),
        trusthub_base_url: server.uri(),
        timeout: Duration::from_secs(5),
        ..TwilioRestConfig::new(ACCOUNT_SID, AUTH_TOKEN)
    })
    .expect("test config is valid")
}

fn incoming(number: &str, friendly_name: &str) -> serde_json::Value {
    json!({
        "sid": PN,
        "account_sid": ACCOUNT_SID,
        "phone_number": number,
        "friendly_name": friendly_name,
        "voice_url": "https://frontdesk.example.com/twilio/voice",
        "voice_method": "POST",
        "voice_fallback_url": "https://handler.twilio.com/twiml/EH1?Owner=%2B15555550199",
        "sms_url": "https://frontdesk.example.com/twilio/sms",
        "status_callback": "https://frontdesk.example.com/twilio/status",
        "capabilities": {"voice": true, "sms": true, "mms": true, "fax": false},
        "status": "in-use",
        "date_created": "Mon, 14 Dec 2026 10:00:00 +0000",
    })
}

fn config() -> NumberConfig<'static> {
    NumberConfig {
        friendly_name: "frontdesk:fresh-cuts",
        voice_url: "https://frontdesk.example.com/twilio/voice",
        sms_url: "https://frontdesk.example.com/twilio/sms",
        status_callback: "https://frontdesk.example.com/twilio/status",
        voice_fallback_url: "https://handler.twilio.com/twiml/EH1?Owner=%2B15555550199",
    }
}

#[tokio::test]
async fn a_search_asks_for_local_voice_and_sms_numbers_and_reads_capabilities_in_any_case() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/AvailablePhoneNumbers/US/Local.json"))
        .and(header("authorization", basic_auth().as_str()))
        .and(query_param("AreaCode", "718"))
        .and(query_param("Contains", "55"))
        .and(query_param("SmsEnabled", "true"))
        .and(query_param("VoiceEnabled", "true"))
        .and(query_param("PageSize", "5"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "uri": "/2010-04-01/Accounts/AC…/AvailablePhoneNumbers/US/Local.json?AreaCode=718",
            "available_phone_numbers": [
                {
                    "friendly_name": "(718) 555-0123", "phone_number": "+17185550123", "lata": "132",
                    "rate_center": "NWYRCYZN01", "latitude": "40.7", "longitude": "-73.9", "locality": "Brooklyn",
                    "region": "NY", "postal_code": "11211", "iso_country": "US", "address_requirements": "none",
                    "beta": false, "capabilities": {"voice": true, "SMS": true, "MMS": true}
                },
                {
                    "friendly_name": "(718) 555-0199", "phone_number": "+17185550199", "locality": "Queens",
                    "region": "NY", "postal_code": null, "iso_country": "US", "address_requirements": "local",
                    "beta": false, "capabilities": {"voice": true, "sms": false, "mms": false}
                }
            ]
        })))
        .expect(1)
        .mount(&server)
        .await;

    let search = LocalNumberSearch { area_code: Some("718"), contains: Some("55"), page_size: 5 };
    let found = twilio(&server).search_local_numbers(&search).await.expect("a search");

    assert_eq!(found.len(), 2);
    assert_eq!(found[0].phone_number, "+17185550123");
    assert_eq!(found[0].locality.as_deref(), Some("Brooklyn"));
    assert!(found[0].capabilities.voice && found[0].capabilities.sms && found[0].capabilities.mms, "{found:?}");
    assert!(!found[1].capabilities.sms);
    assert_eq!(found[1].address_requirements.as_deref(), Some("local"));
}

#[tokio::test]
async fn buying_sends_the_number_with_its_whole_setup() {
    let server = MockServer::start().await;
    form_post(NUMBERS)
        .and(body_string(
            "PhoneNumber=%2B17185550123&FriendlyName=frontdesk%3Afresh-cuts\
             &VoiceUrl=https%3A%2F%2Ffrontdesk.example.com%2Ftwilio%2Fvoice&VoiceMethod=POST\
             &VoiceFallbackUrl=https%3A%2F%2Fhandler.twilio.com%2Ftwiml%2FEH1%3FOwner%3D%252B15555550199\
             &VoiceFallbackMethod=GET&StatusCallback=https%3A%2F%2Ffrontdesk.example.com%2Ftwilio%2Fstatus\
             &StatusCallbackMethod=POST&SmsUrl=https%3A%2F%2Ffrontdesk.example.com%2Ftwilio%2Fsms&SmsMethod=POST",
        ))
        .respond_with(ResponseTemplate::new(201).set_body_json(incoming("+17185550123", "frontdesk:fresh-cuts")))
        .expect(1)
        .mount(&server)
        .await;

    let bought = twilio(&server).buy_number("+17185550123", &config()).await.expect("bought");
    assert_eq!((bought.sid.as_str(), bought.friendly_name.as_str()), (PN, "frontdesk:fresh-cuts"));
    assert!(bought.capabilities.sms);
}

#[tokio::test]
async fn a_number_sold_meanwhile_is_unavailable_and_a_server_error_is_retryable() {
    let server = MockServer::start().await;
    form_post(NUMBERS)
        .respond_with(twilio_error(400, 21422, "PhoneNumber +17185550123 is not available"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    form_post(NUMBERS).respond_with(ResponseTemplate::new(503)).mount(&server).await;
    let twilio = twilio(&server);
    let sold = twilio.buy_number("+17185550123", &config()).await;
    assert!(matches!(&sold, Err(ProvisioningApiError::NumberUnavailable(text)) if text.contains("21422")), "{sold:?}");
    let down = twilio.buy_number("+17185550123", &config()).await;
    assert!(matches!(down, Err(ProvisioningApiError::Unavailable(_))), "{down:?}");
}

#[tokio::test]
async fn owned_numbers_are_found_by_number_and_by_label_across_pages() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(NUMBERS))
        .and(query_param("PhoneNumber", "+17185550123"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "incoming_phone_numbers": [incoming("+17185550123", "frontdesk:fresh-cuts")],
            "next_page_uri": null, "page": 0, "page_size": 50,
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(NUMBERS))
        .and(query_param("FriendlyName", "frontdesk:fresh-cuts"))
        .and(query_param("Page", "1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "incoming_phone_numbers": [incoming("+17185550124", "frontdesk:fresh-cuts")],
            "next_page_uri": null,
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(NUMBERS))
        .and(query_param("FriendlyName", "frontdesk:fresh-cuts"))
        .and(query_param("PageSize", "50"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "incoming_phone_numbers": [incoming("+17185550123", "frontdesk:fresh-cuts")],
            "next_page_uri": format!("{NUMBERS}?FriendlyName=frontdesk%3Afresh-cuts&Page=1&PageSize=50&PageToken=PA1"),
        })))
        .expect(1)
        .mount(&server)
        .await;

    let twilio = twilio(&server);
    let found = twilio.find_incoming_number("+17185550123").await.expect("read");
    assert_eq!(found.map(|n| n.sid), Some(PN.to_owned()));
    let named = twilio.incoming_numbers_named("frontdesk:fresh-cuts").await.expect("read");
    let numbers: Vec<&str> = named.iter().map(|n| n.phone_number.as_str()).collect();
    assert_eq!(numbers, ["+17185550123", "+17185550124"], "both pages");
}

#[tokio::test]
async fn releasing_deletes_the_number_and_a_number_already_gone_is_released() {
    let server = MockServer::start().await;
    let one = format!("/2010-04-01/Accounts/{ACCOUNT_SID}/IncomingPhoneNumbers/{PN}.json");
    Mock::given(method("DELETE"))
        .and(path(one.as_str()))
        .and(header("authorization", basic_auth().as_str()))
        .respond_with(ResponseTemplate::new(204))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(one.as_str()))
        .respond_with(twilio_error(404, 20404, "The requested resource was not found"))
        .mount(&server)
        .await;
    let twilio = twilio(&server);
    assert!(twilio.release_number(PN).await.is_ok());
    assert!(twilio.release_number(PN).await.is_ok(), "a second release finds it gone: still released");
    assert!(matches!(twilio.release_number("PN/../Calls").await, Err(ProvisioningApiError::Rejected(_))));
}

#[tokio::test]
async fn a_port_in_is_json_with_the_losing_carriers_details() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/Porting/Portability/PhoneNumber/+17185550100"))
        .and(header("authorization", basic_auth().as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "phone_number": "+17185550100", "account_sid": null, "portable": true,
            "pin_and_account_number_required": false, "not_portable_reason": null,
            "not_portable_reason_code": null, "number_type": "LOCAL", "country": "US",
            "url": "https://numbers.twilio.com/v1/Porting/Portability/PhoneNumber/+17185550100"
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/Porting/PortIn"))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({
            "account_sid": ACCOUNT_SID,
            "documents": ["RD0123456789abcdef0123456789abcdef"],
            "losing_carrier_information": {
                "customer_name": "Fresh Cuts LLC",
                "authorized_representative": "Marco Rossi",
                "authorized_representative_email": "marco@freshcuts.example",
                "customer_type": "Business",
            },
            "phone_numbers": [{"phone_number": "+17185550100", "pin": "1234"}],
            "target_port_in_date": "2026-12-28",
        })))
        .respond_with(ResponseTemplate::new(202).set_body_json(json!({
            "port_in_request_sid": "KW0123456789abcdef0123456789abcdef",
            "port_in_request_status": "Waiting for Signature",
            "signature_request_url": "https://sign.example.com/loa/KW0123",
            "url": "https://numbers.twilio.com/v1/Porting/PortIn/KW0123456789abcdef0123456789abcdef"
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/Porting/Configuration/Webhook"))
        .and(body_json(json!({
            "port_in_target_url": "https://frontdesk.example.com/twilio/porting",
            "notifications_of": frontdesk_twilio::porting::PORT_IN_EVENTS,
        })))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"url": "https://numbers.twilio.com/v1/Porting/Configuration/Webhook"})),
        )
        .expect(1)
        .mount(&server)
        .await;

    let twilio = twilio(&server);
    let portability = twilio.portability("+17185550100").await.expect("checked");
    assert!(portability.portable && !portability.pin_and_account_number_required);
    let request = PortInCreate {
        losing_carrier_information: LosingCarrierInformation {
            customer_name: "Fresh Cuts LLC".into(),
            authorized_representative: "Marco Rossi".into(),
            authorized_representative_email: "marco@freshcuts.example".into(),
            customer_type: Some("Business".into()),
            account_number: None,
            address: None,
        },
        phone_numbers: vec![PortInPhoneNumber { phone_number: "+17185550100".into(), pin: Some("1234".into()) }],
        documents: vec!["RD0123456789abcdef0123456789abcdef".into()],
        target_port_in_date: Some("2026-12-28".into()),
    };
    let created = twilio.create_port_in(&request).await.expect("filed");
    assert_eq!(created.port_in_request_sid, "KW0123456789abcdef0123456789abcdef");
    assert_eq!(created.port_in_request_status.as_deref(), Some("Waiting for Signature"));
    assert!(twilio.configure_porting_webhook("https://frontdesk.example.com/twilio/porting").await.is_ok());
    let event = PortingNotification::parse(br#"{"port_in_request_sid":"KW1","status":"In progress"}"#);
    assert_eq!(event.map(|e| e.status).as_deref(), Ok("In progress"));
}

#[tokio::test]
async fn registration_creates_a_pool_a_brand_and_a_campaign_with_repeated_fields() {
    let server = MockServer::start().await;
    form_post("/v1/Services")
        .and(body_string(
            "FriendlyName=frontdesk%3Afresh-cuts&InboundRequestUrl=https%3A%2F%2Ffrontdesk.example.com%2Ftwilio%2Fsms\
             &InboundMethod=POST&StatusCallback=https%3A%2F%2Ffrontdesk.example.com%2Ftwilio%2Fstatus\
             &UseInboundWebhookOnNumber=true&Usecase=notifications",
        ))
        .respond_with(ResponseTemplate::new(201).set_body_json(
            json!({"sid": "MG0123456789abcdef0123456789abcdef", "friendly_name": "frontdesk:fresh-cuts"}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    form_post("/v1/Services/MG0123456789abcdef0123456789abcdef/PhoneNumbers")
        .and(body_string(format!("PhoneNumberSid={PN}")))
        .respond_with(twilio_error(409, 21710, "Phone Number is already in the Messaging Service"))
        .expect(1)
        .mount(&server)
        .await;
    form_post("/v1/a2p/BrandRegistrations")
        .and(body_string(
            "CustomerProfileBundleSid=BU0000000000000000000000000000000a&A2PProfileBundleSid=BU0000000000000000000000000000000b\
             &BrandType=STANDARD&Mock=true",
        ))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "sid": "BN0123456789abcdef0123456789abcdef", "status": "PENDING", "failure_reason": null, "errors": []
        })))
        .expect(1)
        .mount(&server)
        .await;
    form_post("/v1/Services/MG0123456789abcdef0123456789abcdef/Compliance/Usa2p")
        .and(body_string(
            "BrandRegistrationSid=BN0123456789abcdef0123456789abcdef&Description=Booking+texts&MessageFlow=By+phone\
             &UsAppToPersonUsecase=ACCOUNT_NOTIFICATION&HasEmbeddedLinks=false&HasEmbeddedPhone=true\
             &OptOutMessage=Bye&HelpMessage=Call+us&MessageSamples=First&MessageSamples=Second\
             &OptInKeywords=START&OptOutKeywords=STOP&OptOutKeywords=CANCEL&HelpKeywords=HELP",
        ))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "sid": "QE0123456789abcdef0123456789abcdef", "campaign_status": "IN_PROGRESS", "errors": []
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(
            "/v1/Services/MG0123456789abcdef0123456789abcdef/Compliance/Usa2p/QE0123456789abcdef0123456789abcdef",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "sid": "QE0123456789abcdef0123456789abcdef", "campaign_status": "FAILED",
            "errors": [{"code": 30896, "description": "Opt-in information is missing"}]
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/CustomerProfiles/BU0000000000000000000000000000000a"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"sid": "BU0000000000000000000000000000000a", "status": "twilio-approved"})),
        )
        .expect(1)
        .mount(&server)
        .await;

    let twilio = twilio(&server);
    let bundle = twilio.trust_bundle(TrustBundleKind::CustomerProfile, "BU0000000000000000000000000000000a").await;
    assert_eq!(bundle.map(|b| b.status).ok().as_deref(), Some("twilio-approved"));
    let service = twilio
        .create_messaging_service(
            "frontdesk:fresh-cuts",
            "https://frontdesk.example.com/twilio/sms",
            "https://frontdesk.example.com/twilio/status",
        )
        .await
        .expect("a pool");
    assert!(twilio.add_service_sender(&service.sid, PN).await.is_ok(), "a number already in the pool is fine");
    let brand = twilio
        .create_brand_registration(&BrandCreate {
            customer_profile_bundle_sid: "BU0000000000000000000000000000000a",
            a2p_profile_bundle_sid: "BU0000000000000000000000000000000b",
            brand_type: "STANDARD",
            mock: true,
        })
        .await
        .expect("a brand");
    assert_eq!((brand.sid.as_str(), brand.status.as_str()), ("BN0123456789abcdef0123456789abcdef", "PENDING"));
    let words = |list: &[&str]| list.iter().map(|w| (*w).to_owned()).collect::<Vec<_>>();
    let (samples, opt_in, opt_out, help) =
        (words(&["First", "Second"]), words(&["START"]), words(&["STOP", "CANCEL"]), words(&["HELP"]));
    let campaign = twilio
        .create_campaign(
            &service.sid,
            &CampaignCreate {
                brand_registration_sid: &brand.sid,
                description: "Booking texts",
                message_flow: "By phone",
                message_samples: &samples,
                us_app_to_person_usecase: "ACCOUNT_NOTIFICATION",
                has_embedded_links: false,
                has_embedded_phone: true,
                opt_in_keywords: &opt_in,
                opt_out_keywords: &opt_out,
                help_keywords: &help,
                opt_out_message: "Bye",
                help_message: "Call us",
            },
        )
        .await
        .expect("a campaign");
    assert_eq!(campaign.campaign_status.as_deref(), Some("IN_PROGRESS"));
    let failed = twilio.campaign(&service.sid, &campaign.sid).await.expect("read");
    assert_eq!(failed.campaign_status.as_deref(), Some("FAILED"));
    assert_eq!(frontdesk_twilio::first_error(&failed.errors).as_deref(), Some("Opt-in information is missing (30896)"));
}
