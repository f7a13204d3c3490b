//! The `ProvisioningStore` contract: number orders, port-ins and texting
//! registrations, each kept per tenant.

use chrono::Duration;
use frontdesk_core::{Clock, StoreError, TenantId};
use frontdesk_provisioning::{
    BrandSid, BrandStatus, CampaignSid, CampaignStatus, MessagingServiceSid, NumberOrder, NumberSid, NumberState,
    PortIn, PortInSid, PortInStatus, PortedNumberStatus, TextingRegistration,
};
use frontdesk_tenant::PurgeOutcome;

use crate::{Stores, phone, profile, tenant, with_tenants};

const PN: &str = "PN0123456789abcdef0123456789abcdef";
const KW: &str = "KW0123456789abcdef0123456789abcdef";
const KW2: &str = "KWfedcba9876543210fedcba9876543210";

fn sid<T, E: std::fmt::Display>(parsed: Result<T, E>) -> T {
    parsed.unwrap_or_else(|e| panic!("{e}"))
}

fn chosen(stores: &Stores, tenant: &TenantId, number: &str) -> NumberOrder {
    NumberOrder {
        tenant: tenant.clone(),
        number: phone(number),
        state: NumberState::Chosen,
        sid: None,
        attempts: 0,
        last_error: None,
        created_at: stores.clock.now(),
        updated_at: stores.clock.now(),
    }
}

fn port_in(stores: &Stores, tenant: &TenantId, request: &str, number: &str) -> PortIn {
    PortIn {
        tenant: tenant.clone(),
        sid: sid(PortInSid::parse(request)),
        number: phone(number),
        status: PortInStatus::WaitingForSignature,
        number_status: None,
        signature_url: Some("https://sign.example.com/loa/1".to_owned()),
        detail: None,
        forwarding_to: Some(phone("+17185550100")),
        created_at: stores.clock.now(),
        updated_at: stores.clock.now(),
    }
}

pub async fn a_number_order_is_written_before_the_purchase_then_moved_on(stores: Stores) {
    with_tenants(&stores, &["shop-a"]).await;
    let shop = tenant("shop-a");
    let order = chosen(&stores, &shop, "+17185550123");
    assert!(stores.provisioning.put_number_order(&order).await.is_ok());
    let read = stores.provisioning.number_order(&shop, &phone("+17185550123")).await;
    assert!(matches!(&read, Ok(Some(o)) if *o == order), "{read:?}");

    stores.clock.advance(Duration::minutes(1));
    let bought = NumberOrder {
        state: NumberState::Bought,
        sid: Some(sid(NumberSid::parse(PN))),
        attempts: 2,
        last_error: Some("Twilio timed out".to_owned()),
        created_at: stores.clock.now(),
        updated_at: stores.clock.now(),
        ..order.clone()
    };
    assert!(stores.provisioning.put_number_order(&bought).await.is_ok());
    let read = stores.provisioning.number_order(&shop, &phone("+17185550123")).await.ok().flatten();
    assert_eq!(read, Some(NumberOrder { created_at: order.created_at, ..bought.clone() }), "created_at is kept");

    stores.clock.advance(Duration::minutes(1));
    assert!(stores.provisioning.put_number_order(&chosen(&stores, &shop, "+17185550124")).await.is_ok());
    let listed = stores.provisioning.number_orders(&shop).await.unwrap_or_default();
    assert_eq!(
        listed.iter().map(|o| (o.number.as_str(), o.state)).collect::<Vec<_>>(),
        [("+17185550123", NumberState::Bought), ("+17185550124", NumberState::Chosen)],
        "oldest first"
    );
    assert!(matches!(stores.provisioning.number_order(&shop, &phone("+17185559999")).await, Ok(None)));
}

pub async fn port_ins_are_found_by_id_updated_and_listed_per_tenant(stores: Stores) {
    with_tenants(&stores, &["shop-a", "shop-b"]).await;
    let (a, b) = (tenant("shop-a"), tenant("shop-b"));
    let first = port_in(&stores, &a, KW, "+17185550123");
    assert!(stores.provisioning.put_port_in(&first).await.is_ok());
    let found = stores.provisioning.port_in_by_sid(&sid(PortInSid::parse(KW))).await;
    assert!(matches!(&found, Ok(Some(p)) if *p == first), "{found:?}");

    stores.clock.advance(Duration::hours(3));
    let moved = PortIn {
        status: PortInStatus::ActionRequired,
        number_status: Some(PortedNumberStatus::Rejected),
        detail: Some("PIN mismatch".to_owned()),
        updated_at: stores.clock.now(),
        ..first.clone()
    };
    assert!(stores.provisioning.put_port_in(&moved).await.is_ok());
    let found = stores.provisioning.port_in_by_sid(&sid(PortInSid::parse(KW))).await.ok().flatten();
    assert_eq!(found, Some(moved.clone()));

    // Another tenant never overwrites it under the same id.
    let hijack = PortIn { status: PortInStatus::Canceled, ..port_in(&stores, &b, KW, "+17185550999") };
    assert!(stores.provisioning.put_port_in(&hijack).await.is_err(), "another tenant's id is refused");
    let kept = stores.provisioning.port_in_by_sid(&sid(PortInSid::parse(KW))).await.ok().flatten();
    assert_eq!(kept.map(|p| (p.tenant, p.status)), Some((a.clone(), PortInStatus::ActionRequired)));

    assert!(stores.provisioning.put_port_in(&port_in(&stores, &b, KW2, "+17185550999")).await.is_ok());
    let of_a = stores.provisioning.port_ins(&a).await.unwrap_or_default();
    assert_eq!(of_a, vec![moved.clone()]);
    let of_b = stores.provisioning.port_ins(&b).await.unwrap_or_default();
    assert_eq!(of_b.iter().map(|p| p.sid.as_str()).collect::<Vec<_>>(), [KW2]);
    assert!(matches!(
        stores.provisioning.port_in_by_sid(&sid(PortInSid::parse(KW2.replace('f', "e").as_str()))).await,
        Ok(None)
    ));

    // The open ones, every tenant's, oldest first; a finished one is not.
    let open = stores.provisioning.open_port_ins().await.unwrap_or_default();
    assert_eq!(open.iter().map(|p| p.sid.as_str()).collect::<Vec<_>>(), [KW, KW2]);
    let done = PortIn { status: PortInStatus::Completed, ..moved };
    assert!(stores.provisioning.put_port_in(&done).await.is_ok());
    let open = stores.provisioning.open_port_ins().await.unwrap_or_default();
    assert_eq!(open.iter().map(|p| p.sid.as_str()).collect::<Vec<_>>(), [KW2]);
}

pub async fn a_registration_is_replaced_whole_and_listed_for_every_tenant(stores: Stores) {
    with_tenants(&stores, &["shop-a", "shop-b"]).await;
    let (a, b) = (tenant("shop-a"), tenant("shop-b"));
    let started = TextingRegistration::new(a.clone(), stores.clock.now());
    assert!(stores.provisioning.put_registration(&started).await.is_ok());
    assert_eq!(stores.provisioning.registration(&a).await.ok().flatten(), Some(started.clone()));
    stores.clock.advance(Duration::days(2));
    let verified = TextingRegistration {
        messaging_service: Some(sid(MessagingServiceSid::parse("MG0123456789abcdef0123456789abcdef"))),
        brand: Some(sid(BrandSid::parse("BN0123456789abcdef0123456789abcdef"))),
        brand_status: Some(BrandStatus::Approved),
        campaign: Some(sid(CampaignSid::parse("QE0123456789abcdef0123456789abcdef"))),
        campaign_status: Some(CampaignStatus::Verified),
        detail: Some("verified by the carriers".to_owned()),
        updated_at: stores.clock.now(),
        ..started.clone()
    };
    assert!(stores.provisioning.put_registration(&verified).await.is_ok());
    assert_eq!(stores.provisioning.registration(&a).await.ok().flatten(), Some(verified.clone()));
    assert!(matches!(stores.provisioning.registration(&b).await, Ok(None)));
    let b_started = TextingRegistration::new(b.clone(), stores.clock.now());
    assert!(stores.provisioning.put_registration(&b_started).await.is_ok());
    let every = stores.provisioning.registrations().await.unwrap_or_default();
    assert_eq!(every, vec![verified, b_started], "ordered by tenant");
}

pub async fn provisioning_writes_for_an_unknown_tenant_are_not_found(stores: Stores) {
    let ghost = tenant("no-such-shop");
    let results = [
        stores.provisioning.put_number_order(&chosen(&stores, &ghost, "+17185550123")).await,
        stores.provisioning.put_port_in(&port_in(&stores, &ghost, KW, "+17185550123")).await,
        stores.provisioning.put_registration(&TextingRegistration::new(ghost.clone(), stores.clock.now())).await,
    ];
    for written in results {
        assert!(matches!(&written, Err(StoreError::NotFound(t)) if *t == ghost), "{written:?}");
    }
    assert!(stores.provisioning.number_orders(&ghost).await.is_ok_and(|o| o.is_empty()));
    assert!(stores.provisioning.port_ins(&ghost).await.is_ok_and(|p| p.is_empty()));
    assert!(matches!(stores.provisioning.registration(&ghost).await, Ok(None)));
}

pub async fn purging_a_sandbox_deletes_its_provisioning_rows(stores: Stores) {
    let sandbox = profile("sandbox-prov", &["+15555550142"]);
    assert!(stores.tenants.create_sandbox(&sandbox).await.is_ok());
    with_tenants(&stores, &["shop-a"]).await;
    let (gone, kept) = (tenant("sandbox-prov"), tenant("shop-a"));
    for shop in [&gone, &kept] {
        assert!(stores.provisioning.put_number_order(&chosen(&stores, shop, "+17185550123")).await.is_ok());
        assert!(
            stores
                .provisioning
                .put_registration(&TextingRegistration::new(shop.clone(), stores.clock.now()))
                .await
                .is_ok()
        );
    }
    assert!(stores.provisioning.put_port_in(&port_in(&stores, &gone, KW, "+17185550123")).await.is_ok());
    assert!(stores.provisioning.put_port_in(&port_in(&stores, &kept, KW2, "+17185550123")).await.is_ok());

    assert!(matches!(stores.tenants.purge_sandbox(&gone).await, Ok(PurgeOutcome::Purged)));
    assert!(stores.provisioning.number_orders(&gone).await.is_ok_and(|o| o.is_empty()));
    assert!(stores.provisioning.port_ins(&gone).await.is_ok_and(|p| p.is_empty()));
    assert!(matches!(stores.provisioning.registration(&gone).await, Ok(None)));
    assert!(matches!(stores.provisioning.port_in_by_sid(&sid(PortInSid::parse(KW))).await, Ok(None)));
    assert_eq!(stores.provisioning.number_orders(&kept).await.map(|o| o.len()).ok(), Some(1), "others keep theirs");
    assert_eq!(stores.provisioning.port_ins(&kept).await.map(|p| p.len()).ok(), Some(1));
    assert!(matches!(stores.provisioning.registration(&kept).await, Ok(Some(_))));
}
