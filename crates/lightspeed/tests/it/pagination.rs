//! Version-cursor pagination: `after` is the previous page's `version.max`,
//! an empty page ends the feed, and the feed's cursor is the last
//! `version.max` seen.

use std::time::{Duration, Instant};

use frontdesk_inventory::{Cursor, InventorySource, SourceError};
use serde_json::json;
use wiremock::ResponseTemplate;
use wiremock::matchers::{method, path};

use crate::support::*;

#[tokio::test]
async fn products_follow_every_page_with_after_set_to_the_previous_version_max() {
    let fake = Fake::new().await;
    fake.serve_page("/products", 0, PRODUCTS_PAGE_1).await;
    fake.serve_page("/products", 1_000_005, PRODUCTS_PAGE_2).await;
    fake.serve_page("/products", 1_000_013, EMPTY_PAGE).await;

    let changes = fake.source.products(Cursor::START).await.unwrap_or_else(|e| panic!("products: {e}"));

    assert_eq!(changes.cursor, Cursor(1_000_013));
    let ids: Vec<&str> = changes.items.iter().map(|product| product.id.as_str()).collect();
    assert_eq!(ids, [AJ1_10, AJ1_10_5, HOODIE_L, YEEZY_9, CREASE_GUARDS]);
    let requests = fake.requests().await;
    let afters: Vec<String> = requests.iter().map(|request| query(request, "after").unwrap_or_default()).collect();
    assert_eq!(afters, ["0", "1000005", "1000013"]);
    for request in &requests {
        assert_eq!(request.method.as_str(), "GET");
        assert_eq!(request.url.path(), "/api/2.0/products");
        assert_eq!(query(request, "page_size").as_deref(), Some("1000"));
        assert_eq!(query(request, "deleted").as_deref(), Some("true"), "deleted rows are asked for");
        assert_eq!(header(request, "authorization"), Some(format!("Bearer {PERSONAL_TOKEN}")));
        let user_agent = header(request, "user-agent").unwrap_or_default();
        assert!(user_agent.starts_with("frontdesk-lightspeed/"), "{user_agent}");
    }
    assert_eq!(fake.source.requests_sent(), 3);
}

#[tokio::test]
async fn a_later_sync_asks_only_for_changes_after_its_cursor() {
    let fake = Fake::new().await;
    fake.serve_page("/products", 1_000_005, PRODUCTS_PAGE_2).await;
    fake.serve_page("/products", 1_000_013, EMPTY_PAGE).await;

    let changes = fake.source.products(Cursor(1_000_005)).await.unwrap_or_else(|e| panic!("products: {e}"));

    assert_eq!(changes.cursor, Cursor(1_000_013));
    assert_eq!(changes.items.len(), 2);
    assert_eq!(fake.api_requests().await, ["/products?after=1000005", "/products?after=1000013"]);
}

#[tokio::test]
async fn an_empty_first_page_changes_nothing_and_keeps_the_cursor() {
    let fake = Fake::new().await;
    fake.serve_page("/products", 5_000, EMPTY_PAGE).await;

    let changes = fake.source.products(Cursor(5_000)).await.unwrap_or_else(|e| panic!("products: {e}"));

    assert_eq!(changes.items, []);
    assert_eq!(changes.cursor, Cursor(5_000));
    assert_eq!(fake.api_requests().await, ["/products?after=5000"]);
}

#[tokio::test]
async fn a_full_sync_sends_one_request_per_page_and_none_per_product() {
    let fake = Fake::new().await;
    fake.serve_page("/outlets", 0, OUTLETS).await;
    fake.serve_page("/outlets", 410_007, EMPTY_PAGE).await;
    fake.serve_page("/products", 0, PRODUCTS_PAGE_1).await;
    fake.serve_page("/products", 1_000_005, PRODUCTS_PAGE_2).await;
    fake.serve_page("/products", 1_000_013, EMPTY_PAGE).await;
    fake.serve_page("/inventory", 0, INVENTORY).await;
    fake.serve_page("/inventory", 2_000_005, EMPTY_PAGE).await;
    fake.serve_page("/sales", 0, SALES).await;
    fake.serve_page("/sales", 3_000_006, EMPTY_PAGE).await;

    let outlets = fake.source.outlets().await.unwrap_or_else(|e| panic!("outlets: {e}"));
    let products = fake.source.products(Cursor::START).await.unwrap_or_else(|e| panic!("products: {e}"));
    let stock = fake.source.inventory(Cursor::START).await.unwrap_or_else(|e| panic!("inventory: {e}"));
    let sales = fake.source.sales(Cursor::START).await.unwrap_or_else(|e| panic!("sales: {e}"));

    assert_eq!((outlets.len(), products.items.len(), stock.items.len(), sales.items.len()), (2, 5, 5, 6));
    assert_eq!(
        (products.cursor, stock.cursor, sales.cursor),
        (Cursor(1_000_013), Cursor(2_000_005), Cursor(3_000_006))
    );
    assert_eq!(
        fake.api_requests().await,
        [
            "/outlets?after=0",
            "/outlets?after=410007",
            "/products?after=0",
            "/products?after=1000005",
            "/products?after=1000013",
            "/inventory?after=0",
            "/inventory?after=2000005",
            "/sales?after=0",
            "/sales?after=3000006",
        ]
    );
    assert_eq!(fake.source.requests_sent(), 9);
}

#[tokio::test]
async fn a_page_without_version_advances_by_its_items_versions() {
    let fake = Fake::new().await;
    let page = json!({"data": [{"id": "o-1", "product_id": AJ1_10, "outlet_id": MAIN_STREET, "inventory_level": 3, "version": 77}]});
    fake.serve_page("/inventory", 0, &page.to_string()).await;
    fake.serve_page("/inventory", 77, r#"{"data":[]}"#).await;

    let changes = fake.source.inventory(Cursor::START).await.unwrap_or_else(|e| panic!("inventory: {e}"));

    assert_eq!(changes.cursor, Cursor(77));
    assert_eq!(changes.items.len(), 1);
}

#[tokio::test]
async fn a_version_that_does_not_advance_is_invalid_instead_of_looping() {
    let fake = Fake::new().await;
    let stuck = page_of(&[
        json!({"id": "o-1", "product_id": AJ1_10, "outlet_id": MAIN_STREET, "inventory_level": 3, "version": 500}),
    ]);
    fake.serve_page("/inventory", 500, &stuck).await;

    let result = fake.source.inventory(Cursor(500)).await;

    assert!(matches!(result, Err(SourceError::Invalid(ref text)) if text.contains("does not advance")), "{result:?}");
    assert_eq!(fake.api_requests().await.len(), 1);
}

#[tokio::test]
async fn a_failure_on_a_later_page_returns_an_error_and_no_partial_data() {
    let fake = Fake::new().await;
    fake.serve_page("/products", 0, PRODUCTS_PAGE_1).await;
    list("/products", 1_000_005).respond_with(ResponseTemplate::new(503)).mount(&fake.server).await;

    let result = fake.source.products(Cursor::START).await;

    assert!(matches!(result, Err(SourceError::Unavailable(_))), "{result:?}");
    assert_eq!(fake.api_requests().await.len(), 1 + 1 + MAX_RETRIES as usize);
}

#[tokio::test]
async fn requests_to_one_retailer_go_out_one_at_a_time() {
    let fake = Fake::new().await;
    let delay = Duration::from_millis(150);
    for (resource, body) in [("/products", PRODUCTS_PAGE_2), ("/sales", SALES)] {
        list(resource, 0).respond_with(json_reply(body).set_delay(delay)).expect(1).mount(&fake.server).await;
    }
    list("/products", 1_000_013).respond_with(json_reply(EMPTY_PAGE).set_delay(delay)).mount(&fake.server).await;
    list("/sales", 3_000_006).respond_with(json_reply(EMPTY_PAGE).set_delay(delay)).mount(&fake.server).await;

    let started = Instant::now();
    let (products, sales) = tokio::join!(fake.source.products(Cursor::START), fake.source.sales(Cursor::START));
    let elapsed = started.elapsed();

    products.unwrap_or_else(|e| panic!("products: {e}"));
    sales.unwrap_or_else(|e| panic!("sales: {e}"));
    // Four requests of 150 ms each: 300 ms if two ran side by side, 600 ms in a row.
    assert!(elapsed >= delay * 4, "the two feeds overlapped: {elapsed:?}");
}

#[tokio::test]
async fn a_nearly_spent_rate_budget_spaces_the_next_request() {
    let fake = Fake::with_config(|config| frontdesk_lightspeed::LightspeedConfig {
        rate_limit_window: Duration::from_secs(3),
        ..config
    })
    .await;
    list("/products", 0)
        .respond_with(
            json_reply(PRODUCTS_PAGE_1)
                .insert_header("X-RateLimit-Limit", "350")
                .insert_header("X-RateLimit-Remaining", "2"),
        )
        .expect(1)
        .mount(&fake.server)
        .await;
    wiremock::Mock::given(method("GET"))
        .and(path("/api/2.0/products"))
        .and(wiremock::matchers::query_param("after", "1000005"))
        .respond_with(json_reply(EMPTY_PAGE))
        .expect(1)
        .mount(&fake.server)
        .await;

    let started = Instant::now();
    fake.source.products(Cursor::START).await.unwrap_or_else(|e| panic!("products: {e}"));

    // 2 of 350 left: the rest of the (3 s) window is spread out, at most a
    // tenth of it (300 ms) between two requests.
    assert!(started.elapsed() >= Duration::from_millis(300), "{:?}", started.elapsed());
}
