//! Lightspeed's JSON turned into the inventory domain: variants, prices to
//! the cent, deletions, stock per outlet, sales with returns and voids.

use chrono::{TimeZone, Utc};
use frontdesk_inventory::{Cursor, InventorySource, Outlet, Product, Sale, SaleLine, SaleStatus, StockLevel};
use frontdesk_lightspeed::LightspeedConfig;

use crate::support::*;

async fn all_products() -> Vec<Product> {
    let fake = Fake::new().await;
    fake.serve_page("/products", 0, PRODUCTS_PAGE_1).await;
    fake.serve_page("/products", 1_000_005, PRODUCTS_PAGE_2).await;
    fake.serve_page("/products", 1_000_013, EMPTY_PAGE).await;
    fake.source.products(Cursor::START).await.unwrap_or_else(|e| panic!("products: {e}")).items
}

fn find<'a>(products: &'a [Product], id: &str) -> &'a Product {
    products.iter().find(|product| product.id == id).unwrap_or_else(|| panic!("no product {id}"))
}

#[tokio::test]
async fn a_variant_takes_its_size_and_colour_from_variant_options_and_the_family_name() {
    let products = all_products().await;

    assert_eq!(
        find(&products, AJ1_10),
        &Product {
            id: AJ1_10.to_owned(),
            sku: "AJ1-CHI-10".to_owned(),
            name: "Air Jordan 1 Retro High OG".to_owned(),
            category: "Sneakers".to_owned(),
            brand: Some("Jordan".to_owned()),
            color: Some("Chicago".to_owned()),
            size: Some("10".to_owned()),
            barcode: Some("196969123452".to_owned()),
            retail_price_cents: 12999,
            active: true,
            deleted: false,
            version: 1_000_001,
        }
    );
    // "Color" (US spelling) and an EAN-only product.
    let half_size = find(&products, AJ1_10_5);
    assert_eq!(half_size.name, "Air Jordan 1 Retro High OG", "no variant suffix");
    assert_eq!((half_size.size.as_deref(), half_size.color.as_deref()), (Some("10.5"), Some("Chicago")));
    assert_eq!(half_size.barcode.as_deref(), Some("0196969123469"));
}

#[tokio::test]
async fn prices_are_converted_to_cents_exactly() {
    let products = all_products().await;
    let cents = |id: &str| find(&products, id).retail_price_cents;

    assert_eq!(cents(AJ1_10), 12999, "129.99");
    assert_eq!(cents(AJ1_10_5), 12990, "129.9");
    assert_eq!(cents(HOODIE_L), 13000, "130");
    assert_eq!(cents(YEEZY_9), 23000, "230");
    // 14.945 as an f64 is 14.94499999…; the JSON text says half a cent up.
    assert_eq!(cents(CREASE_GUARDS), 1495, "14.945");
}

#[tokio::test]
async fn brand_and_category_are_read_from_objects_strings_or_nothing() {
    let products = all_products().await;

    // `"product_type": "Hoodies"`, `"brand": "Fear of God Essentials"`,
    // and an option named "size" in lower case.
    let hoodie = find(&products, HOODIE_L);
    assert_eq!(hoodie.category, "Hoodies");
    assert_eq!(hoodie.brand.as_deref(), Some("Fear of God Essentials"));
    assert_eq!(hoodie.size.as_deref(), Some("L"));
    assert_eq!(hoodie.color.as_deref(), Some("Dark Oatmeal"));
    // Its only product code is the SKU Lightspeed adds itself: no barcode.
    assert_eq!(hoodie.barcode, None);

    // `"type": {}` and `"brand": {}`, no variants, a custom barcode.
    let guards = find(&products, CREASE_GUARDS);
    assert_eq!(guards.category, "");
    assert_eq!(guards.brand, None);
    assert_eq!((guards.size.as_deref(), guards.color.as_deref()), (None, None));
    assert_eq!(guards.name, "Crep Protect Crease Guards");
    assert_eq!(guards.barcode.as_deref(), Some("5056125100117"));
}

#[tokio::test]
async fn a_deleted_product_is_reported_as_deleted_and_inactive() {
    let products = all_products().await;

    let yeezy = find(&products, YEEZY_9);
    assert!(yeezy.deleted);
    assert!(!yeezy.active);
    assert_eq!(yeezy.version, 1_000_010);
    assert!(products.iter().filter(|product| product.id != YEEZY_9).all(|product| !product.deleted && product.active));
}

#[tokio::test]
async fn a_missing_name_falls_back_to_the_variant_name_without_its_options() {
    let fake = Fake::new().await;
    let product = serde_json::json!({
        "id": "p-1", "version": 10, "sku": "NB-550-WG-9", "name": null,
        "variant_name": "550 / 9 / White Green",
        "variant_options": [{"name": "Size", "value": "9"}, {"name": "Colour", "value": "White Green"}],
        "price_including_tax": null, "price_excluding_tax": 110
    });
    fake.serve_page("/products", 0, &page_of(&[product])).await;
    fake.serve_page("/products", 10, EMPTY_PAGE).await;

    let products = fake.source.products(Cursor::START).await.unwrap_or_else(|e| panic!("products: {e}")).items;

    assert_eq!(products[0].name, "550");
    // A tax-exclusive store's shelf price, when the inclusive one is null.
    assert_eq!(products[0].retail_price_cents, 11000);
}

#[tokio::test]
async fn stock_is_read_from_inventory_level_or_current_amount() {
    let fake = Fake::new().await;
    fake.serve_page("/inventory", 0, INVENTORY).await;
    fake.serve_page("/inventory", 2_000_005, EMPTY_PAGE).await;

    let changes = fake.source.inventory(Cursor::START).await.unwrap_or_else(|e| panic!("inventory: {e}"));

    let level = |product_id: &str, outlet_id: &str, on_hand: i64, deleted: bool, version: i64| StockLevel {
        product_id: product_id.to_owned(),
        outlet_id: outlet_id.to_owned(),
        on_hand,
        deleted,
        version,
    };
    assert_eq!(
        changes.items,
        [
            level(AJ1_10, MAIN_STREET, 4, false, 2_000_001),
            level(AJ1_10_5, MAIN_STREET, 0, false, 2_000_002), // current_amount only
            level(HOODIE_L, MAIN_STREET, 12, false, 2_000_003), // 12.0
            level(AJ1_10, WAREHOUSE, 25, false, 2_000_004),
            level(YEEZY_9, MAIN_STREET, 0, true, 2_000_005),
        ]
    );
    assert_eq!(changes.cursor, Cursor(2_000_005));
}

#[tokio::test]
async fn the_outlet_filter_keeps_one_outlets_stock_and_sales_but_the_cursor_moves_past_all() {
    let fake = Fake::with_config(|config| LightspeedConfig { outlet_id: Some(WAREHOUSE.to_owned()), ..config }).await;
    fake.serve_page("/inventory", 0, INVENTORY).await;
    fake.serve_page("/inventory", 2_000_005, EMPTY_PAGE).await;
    fake.serve_page("/sales", 0, SALES).await;
    fake.serve_page("/sales", 3_000_006, EMPTY_PAGE).await;

    let stock = fake.source.inventory(Cursor::START).await.unwrap_or_else(|e| panic!("inventory: {e}"));
    let sales = fake.source.sales(Cursor::START).await.unwrap_or_else(|e| panic!("sales: {e}"));

    let stock_outlets: Vec<(&str, &str)> =
        stock.items.iter().map(|level| (level.product_id.as_str(), level.outlet_id.as_str())).collect();
    assert_eq!(stock_outlets, [(AJ1_10, WAREHOUSE)]);
    assert_eq!(stock.cursor, Cursor(2_000_005));
    let sale_ids: Vec<&str> = sales.items.iter().map(|sale| sale.id.as_str()).collect();
    assert_eq!(sale_ids, ["06bf537b-c783-11e6-f6b9-7ea79091aa06"]);
    assert_eq!(sales.items[0].lines[0].quantity, 2);
    assert_eq!(sales.cursor, Cursor(3_000_006));
}

#[tokio::test]
async fn sales_keep_returns_voids_and_identical_lines_apart() {
    let fake = Fake::new().await;
    fake.serve_page("/sales", 0, SALES).await;
    fake.serve_page("/sales", 3_000_006, EMPTY_PAGE).await;

    let changes = fake.source.sales(Cursor::START).await.unwrap_or_else(|e| panic!("sales: {e}"));

    let line = |line_id: &str, product_id: &str, quantity: i64| SaleLine {
        line_id: line_id.to_owned(),
        product_id: product_id.to_owned(),
        quantity,
    };
    let at = |y, mo, d, h, mi, s| Utc.with_ymd_and_hms(y, mo, d, h, mi, s).single().unwrap_or_else(|| panic!("time"));
    let sales = &changes.items;
    assert_eq!(sales.len(), 6);
    assert_eq!(
        sales[0],
        Sale {
            id: "06bf537b-c783-11e6-f6b9-7ea79091aa01".to_owned(),
            outlet_id: MAIN_STREET.to_owned(),
            status: SaleStatus::Closed,
            sale_date: at(2026, 3, 9, 14, 5, 12),
            // Two hoodies on two identical lines: two lines, by their ids.
            lines: vec![
                line("06bf537b-c783-11e6-f6b9-7ea7909c6401", HOODIE_L, 1),
                line("06bf537b-c783-11e6-f6b9-7ea7909c6402", HOODIE_L, 1),
                line("06bf537b-c783-11e6-f6b9-7ea7909c6403", AJ1_10, 1), // "quantity": 1.0
            ],
            version: 3_000_001,
        }
    );
    // The return: a closed sale with a negative quantity.
    assert_eq!(sales[1].status, SaleStatus::Closed);
    assert_eq!(sales[1].lines, [line("06bf537b-c783-11e6-f6b9-7ea7909c64b9", HOODIE_L, -1)]);
    assert_eq!(sales[2].status, SaleStatus::Voided);
    // Parked (SAVED) is not a completed sale.
    assert_eq!(sales[3].status, SaleStatus::Open);
    // A completed layby; its lines have no ids, so their positions stand in,
    // and the two identical lines stay two.
    assert_eq!(sales[4].status, SaleStatus::Closed);
    assert_eq!(sales[4].sale_date, at(2026, 3, 1, 16, 45, 0));
    assert_eq!(sales[4].lines, [line("0", AJ1_10_5, 1), line("1", AJ1_10_5, 1)]);
    assert_eq!(sales[5].outlet_id, WAREHOUSE);
    assert_eq!(changes.cursor, Cursor(3_000_006));
}

#[tokio::test]
async fn outlets_leave_out_deleted_ones() {
    let fake = Fake::new().await;
    fake.serve_page("/outlets", 0, OUTLETS).await;
    fake.serve_page("/outlets", 410_007, EMPTY_PAGE).await;

    let outlets = fake.source.outlets().await.unwrap_or_else(|e| panic!("outlets: {e}"));

    assert_eq!(
        outlets,
        [
            Outlet { id: MAIN_STREET.to_owned(), name: "Main Street".to_owned() },
            Outlet { id: WAREHOUSE.to_owned(), name: "Back Warehouse".to_owned() },
        ]
    );
    let requests = fake.requests().await;
    assert!(requests.iter().all(|request| query(request, "deleted").is_none()), "deleted outlets are not asked for");
}
