//! Demo mode: a realistic sneaker and streetwear catalog (about 140
//! variants across 15 brands), its stock at one outlet and a few weeks of
//! sales, served by a fake of the Lightspeed X-Series 2.0 API in the same
//! JSON shapes and with the same cursor pagination, so every feature can be
//! tried without credentials. Everything is generated from a seed: the same
//! seed gives the same catalog. [`DemoCatalog::generate_sized`] makes a
//! catalog of any size in the same shapes, for the benchmark.

use axum::Json;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Duration, TimeZone, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

/// One model in the catalog: every size becomes a variant product.
struct Model {
    brand: &'static str,
    name: &'static str,
    category: &'static str,
    color: &'static str,
    style_code: &'static str,
    price_cents: i64,
    sizes: &'static [&'static str],
}

const SNEAKER_SIZES: &[&str] = &["8", "8.5", "9", "9.5", "10", "10.5", "11", "12"];
const LETTER_SIZES: &[&str] = &["S", "M", "L", "XL"];
const WAIST_SIZES: &[&str] = &["30", "32", "34", "36"];
const ONE_SIZE: &[&str] = &["OS"];

const MODELS: &[Model] = &[
    Model {
        brand: "Nike",
        name: "Nike Dunk Low Retro",
        category: "Sneakers",
        color: "White/Black",
        style_code: "DD1391-100",
        price_cents: 11_500,
        sizes: SNEAKER_SIZES,
    },
    Model {
        brand: "Nike",
        name: "Nike Air Max 90",
        category: "Sneakers",
        color: "White/Infrared",
        style_code: "CT1685-100",
        price_cents: 14_000,
        sizes: SNEAKER_SIZES,
    },
    Model {
        brand: "Nike",
        name: "Nike Air Force 1 '07",
        category: "Sneakers",
        color: "White",
        style_code: "CW2288-111",
        price_cents: 11_500,
        sizes: SNEAKER_SIZES,
    },
    Model {
        brand: "Jordan",
        name: "Air Jordan 1 Retro High OG",
        category: "Sneakers",
        color: "Varsity Red/Black",
        style_code: "DZ5485-612",
        price_cents: 18_000,
        sizes: SNEAKER_SIZES,
    },
    Model {
        brand: "Jordan",
        name: "Air Jordan 4 Retro",
        category: "Sneakers",
        color: "Military Black",
        style_code: "DH6927-111",
        price_cents: 21_000,
        sizes: SNEAKER_SIZES,
    },
    Model {
        brand: "Adidas",
        name: "Adidas Samba OG",
        category: "Sneakers",
        color: "Cloud White/Core Black",
        style_code: "B75806",
        price_cents: 10_000,
        sizes: SNEAKER_SIZES,
    },
    Model {
        brand: "Adidas",
        name: "Adidas Gazelle",
        category: "Sneakers",
        color: "Collegiate Green",
        style_code: "BB5477",
        price_cents: 10_000,
        sizes: SNEAKER_SIZES,
    },
    Model {
        brand: "Yeezy",
        name: "Yeezy Boost 350 V2",
        category: "Sneakers",
        color: "Bone",
        style_code: "HQ6316",
        price_cents: 23_000,
        sizes: SNEAKER_SIZES,
    },
    Model {
        brand: "New Balance",
        name: "New Balance 550",
        category: "Sneakers",
        color: "White/Green",
        style_code: "BB550WT1",
        price_cents: 11_000,
        sizes: SNEAKER_SIZES,
    },
    Model {
        brand: "New Balance",
        name: "New Balance 990v6",
        category: "Sneakers",
        color: "Grey",
        style_code: "M990GL6",
        price_cents: 19_999,
        sizes: SNEAKER_SIZES,
    },
    Model {
        brand: "Asics",
        name: "Asics Gel-Kayano 14",
        category: "Sneakers",
        color: "Cream/Pure Silver",
        style_code: "1201A019-108",
        price_cents: 15_000,
        sizes: SNEAKER_SIZES,
    },
    Model {
        brand: "Converse",
        name: "Converse Chuck 70 Hi",
        category: "Sneakers",
        color: "Black",
        style_code: "162050C",
        price_cents: 8_500,
        sizes: SNEAKER_SIZES,
    },
    Model {
        brand: "Vans",
        name: "Vans Old Skool",
        category: "Sneakers",
        color: "Black/White",
        style_code: "VN000D3HY28",
        price_cents: 7_000,
        sizes: SNEAKER_SIZES,
    },
    Model {
        brand: "Salomon",
        name: "Salomon XT-6",
        category: "Sneakers",
        color: "Black/Phantom",
        style_code: "L41086600",
        price_cents: 20_000,
        sizes: &["8", "9", "9.5", "10", "11", "12"],
    },
    Model {
        brand: "Supreme",
        name: "Supreme Box Logo Hooded Sweatshirt",
        category: "Hoodies",
        color: "Heather Grey",
        style_code: "SUP-FW26-BOGO",
        price_cents: 16_800,
        sizes: LETTER_SIZES,
    },
    Model {
        brand: "Stussy",
        name: "Stüssy Basic Logo Tee",
        category: "T-Shirts",
        color: "Black",
        style_code: "1904870",
        price_cents: 4_500,
        sizes: LETTER_SIZES,
    },
    Model {
        brand: "A Bathing Ape",
        name: "BAPE Shark Full Zip Hoodie",
        category: "Hoodies",
        color: "1st Camo Green",
        style_code: "001ZPJ801002",
        price_cents: 45_000,
        sizes: LETTER_SIZES,
    },
    Model {
        brand: "Fear of God Essentials",
        name: "Essentials Hoodie",
        category: "Hoodies",
        color: "Oatmeal",
        style_code: "192HO246250F",
        price_cents: 10_000,
        sizes: LETTER_SIZES,
    },
    Model {
        brand: "Fear of God Essentials",
        name: "Essentials Sweatpant",
        category: "Pants",
        color: "Dark Oatmeal",
        style_code: "130BT212000F",
        price_cents: 9_500,
        sizes: LETTER_SIZES,
    },
    Model {
        brand: "Palace",
        name: "Palace Tri-Ferg Tee",
        category: "T-Shirts",
        color: "White",
        style_code: "P26TS001",
        price_cents: 5_800,
        sizes: LETTER_SIZES,
    },
    Model {
        brand: "Carhartt WIP",
        name: "Carhartt WIP Double Knee Pant",
        category: "Pants",
        color: "Hamilton Brown",
        style_code: "I031501",
        price_cents: 13_500,
        sizes: WAIST_SIZES,
    },
    Model {
        brand: "New Era",
        name: "New Era 59FIFTY Yankees Cap",
        category: "Accessories",
        color: "Navy",
        style_code: "10003436",
        price_cents: 4_200,
        sizes: ONE_SIZE,
    },
    Model {
        brand: "Nike",
        name: "Nike Everyday Cushioned Crew Socks 3-Pack",
        category: "Accessories",
        color: "White",
        style_code: "SX7664-100",
        price_cents: 2_200,
        sizes: ONE_SIZE,
    },
];

/// The seed of the catalog `sync --demo` serves.
pub const DEMO_SEED: u64 = 2026;

/// The instant the demo's sales are generated relative to: a fixed day, so
/// every demo run serves the same catalog with the same versions and a
/// second `sync --demo` finds nothing new.
pub fn demo_now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).single().unwrap_or(DateTime::UNIX_EPOCH)
}

/// The demo shop's single outlet.
pub const OUTLET_ID: &str = "0a4b5c6d-0000-4000-8000-000000000001";

/// The demo data, in Lightspeed's 2.0 JSON shapes, each list ascending by
/// `version`.
pub struct DemoCatalog {
    pub outlets: Vec<Value>,
    pub products: Vec<Value>,
    pub inventory: Vec<Value>,
    pub sales: Vec<Value>,
}

/// A deterministic UUID-shaped id: `kind` in the first group, `n` in the last.
fn id(kind: u32, n: u64) -> String {
    format!("{kind:08x}-0000-4000-8000-{n:012x}")
}

fn money(cents: i64) -> Value {
    // Lightspeed sends decimal numbers; build them from the integer text so
    // no float rounding is involved.
    let text = format!("{}.{:02}", cents / 100, cents % 100);
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// One variant as the catalog describes it, from a fixed model or a
/// generated one.
struct Variant<'a> {
    model: &'a Model,
    /// Numbers the ids: a model's variants share a parent.
    model_index: usize,
    size_index: usize,
    /// The model's name and style code, which a generated model extends.
    name: &'a str,
    style_code: &'a str,
    /// Numbers the brand and product type ids.
    brand_index: usize,
    upc: String,
}

impl Variant<'_> {
    fn size(&self) -> &str {
        self.model.sizes[self.size_index]
    }

    fn product_id(&self) -> String {
        id(0x7072_6f64, ((self.model_index as u64) << 8) + self.size_index as u64 + 1)
    }

    fn sku(&self) -> String {
        let size = self.size();
        if size == "OS" { self.style_code.to_owned() } else { format!("{}-{}", self.style_code, size) }
    }

    /// The variant product in Lightspeed's JSON.
    fn product_json(&self, version: i64) -> Value {
        let Variant { model, name, style_code, brand_index, .. } = self;
        let size = self.size();
        let price = model.price_cents;
        json!({
            "id": self.product_id(),
            "source_id": null,
            "variant_parent_id": id(0x7072_6f64, (self.model_index as u64) << 8),
            "name": name,
            "variant_name": format!("{} / {} / {}", name, model.color, size),
            "handle": name.to_lowercase().replace([' ', '\''], "-"),
            "sku": self.sku(),
            "supplier_code": style_code,
            "active": true,
            "is_active": true,
            "has_inventory": true,
            "is_composite": false,
            "has_variants": false,
            "description": format!("{} in {}.", name, model.color),
            "price_including_tax": money(price),
            "price_excluding_tax": money(price * 100 / 108),
            "supply_price": money(price * 55 / 100),
            "product_codes": [{"type": "UPC", "code": self.upc}],
            "brand": {"id": id(0x6272_6e64, *brand_index as u64), "name": model.brand},
            "product_type": {"id": id(0x7479_7065, *brand_index as u64), "name": model.category},
            "variant_options": [
                {"id": id(0x6f70_7473, 1), "name": "Colour", "value": model.color},
                {"id": id(0x6f70_7473, 2), "name": "Size", "value": size},
            ],
            "tag_ids": [],
            "version": version,
            "deleted_at": null,
            "created_at": "2026-09-01T10:00:00+00:00",
            "updated_at": "2026-11-01T10:00:00+00:00",
        })
    }

    /// The variant's stock record (the `n`-th of the catalog) in Lightspeed's JSON.
    fn stock_json(&self, n: usize, on_hand: i64, version: i64) -> Value {
        json!({
            "id": id(0x696e_7620, n as u64),
            "product_id": self.product_id(),
            "outlet_id": OUTLET_ID,
            "inventory_level": on_hand,
            "current_amount": on_hand,
            "average_cost": money(self.model.price_cents * 55 / 100),
            "reorder_point": 5,
            "reorder_amount": 10,
            "version": version,
            "deleted_at": null,
        })
    }
}

/// Mostly well stocked, some low, a few sold out.
fn stock_on_hand(rng: &mut fastrand::Rng) -> i64 {
    match rng.u32(0..10) {
        0 => 0,
        1..=2 => i64::from(rng.u32(1..6)),
        _ => i64::from(rng.u32(6..26)),
    }
}

fn outlets(version: i64) -> Vec<Value> {
    vec![json!({
        "id": OUTLET_ID, "name": "Main Street Store", "time_zone": "America/New_York",
        "version": version, "deleted_at": null,
    })]
}

impl DemoCatalog {
    /// The catalog, stock and sales for `seed`, with sales in the 30 days
    /// before `now`.
    pub fn generate(seed: u64, now: DateTime<Utc>) -> DemoCatalog {
        let mut rng = fastrand::Rng::with_seed(seed);
        let mut version: i64 = 1000;
        let mut next_version = || {
            version += 1;
            version
        };
        let outlets = outlets(next_version());
        let mut products = Vec::new();
        let mut inventory = Vec::new();
        let mut variant_ids = Vec::new();
        for (model_index, model) in MODELS.iter().enumerate() {
            for size_index in 0..model.sizes.len() {
                let upc =
                    format!("19{:04}{:03}{:03}", model_index * 37 + 1000, size_index * 7 + 100, rng.u32(100..999));
                let variant = Variant {
                    model,
                    model_index,
                    size_index,
                    name: model.name,
                    style_code: model.style_code,
                    brand_index: model_index,
                    upc,
                };
                products.push(variant.product_json(next_version()));
                let on_hand = stock_on_hand(&mut rng);
                inventory.push(variant.stock_json(products.len(), on_hand, next_version()));
                variant_ids.push((variant.product_id(), model.price_cents));
            }
        }
        let mut sales = Vec::new();
        let start = now - Duration::days(30);
        for n in 0..60_u64 {
            let at = start + Duration::minutes(i64::from(rng.u32(0..30 * 24 * 60)));
            let lines: Vec<(String, i64, i64)> = (0..rng.usize(1..4))
                .map(|_| {
                    let (product, price) = &variant_ids[rng.usize(0..variant_ids.len())];
                    (product.clone(), 1, *price)
                })
                .collect();
            sales.push(sale(n, at, "CLOSED", &lines, next_version()));
        }
        // The cases reconciliation must get right: two identical sales on one
        // day, a return, a voided sale, and a parked one.
        let (popular, price) = variant_ids[3].clone();
        let day = Utc.with_ymd_and_hms(2026, 11, 20, 15, 30, 0).single().unwrap_or(now);
        sales.push(sale(60, day, "CLOSED", &[(popular.clone(), 1, price)], next_version()));
        sales.push(sale(61, day, "CLOSED", &[(popular.clone(), 1, price)], next_version()));
        sales.push(sale(62, day + Duration::days(1), "CLOSED", &[(popular.clone(), -1, price)], next_version()));
        sales.push(sale(
            63,
            day + Duration::days(2),
            "VOIDED",
            &[(variant_ids[10].0.clone(), 1, variant_ids[10].1)],
            next_version(),
        ));
        sales.push(sale(
            64,
            day + Duration::days(2),
            "SAVED",
            &[(variant_ids[11].0.clone(), 1, variant_ids[11].1)],
            next_version(),
        ));
        sales.sort_by_key(|sale| sale["version"].as_i64());
        DemoCatalog { outlets, products, inventory, sales }
    }

    /// A catalog of exactly `variants` variants and `sale_lines` sale lines,
    /// in the same shapes, for benchmarks. Past the fixed models it makes up
    /// more releases of them (`Nike Dunk Low Retro #2`, style code
    /// `DD1391-100-G2`), so SKUs stay unique and brands recognisable. Sales
    /// have one to three lines on real variants, in the 30 days before
    /// `now`; about one line in forty is a return and one sale in a hundred
    /// is voided. Every list is ascending by `version`.
    pub fn generate_sized(seed: u64, now: DateTime<Utc>, variants: usize, sale_lines: usize) -> DemoCatalog {
        let mut rng = fastrand::Rng::with_seed(seed);
        let mut version: i64 = 1000;
        let mut next_version = || {
            version += 1;
            version
        };
        let outlets = outlets(next_version());
        let mut products = Vec::with_capacity(variants);
        let mut inventory = Vec::with_capacity(variants);
        let mut variant_ids = Vec::with_capacity(variants);
        let mut model_index = 0;
        while products.len() < variants {
            let base_index = model_index % MODELS.len();
            let model = &MODELS[base_index];
            let release = model_index / MODELS.len() + 1;
            let (name, style_code) = if release == 1 {
                (model.name.to_owned(), model.style_code.to_owned())
            } else {
                (format!("{} #{release}", model.name), format!("{}-G{release}", model.style_code))
            };
            for size_index in 0..model.sizes.len().min(variants - products.len()) {
                let variant = Variant {
                    model,
                    model_index,
                    size_index,
                    name: &name,
                    style_code: &style_code,
                    brand_index: base_index,
                    upc: format!("{:012}", 190_000_000_000 + products.len()),
                };
                products.push(variant.product_json(next_version()));
                let on_hand = stock_on_hand(&mut rng);
                inventory.push(variant.stock_json(products.len(), on_hand, next_version()));
                variant_ids.push((variant.product_id(), model.price_cents));
            }
            model_index += 1;
        }
        let mut sales = Vec::new();
        let start = now - Duration::days(30);
        let mut lines_left = if variant_ids.is_empty() { 0 } else { sale_lines };
        let mut n = 0_u64;
        while lines_left > 0 {
            let at = start + Duration::minutes(i64::from(rng.u32(0..30 * 24 * 60)));
            let count = rng.usize(1..4).min(lines_left);
            let lines: Vec<(String, i64, i64)> = (0..count)
                .map(|_| {
                    let (product, price) = &variant_ids[rng.usize(0..variant_ids.len())];
                    let quantity = if rng.u32(0..40) == 0 { -1 } else { 1 };
                    (product.clone(), quantity, *price)
                })
                .collect();
            let status = if rng.u32(0..100) == 0 { "VOIDED" } else { "CLOSED" };
            sales.push(sale(n, at, status, &lines, next_version()));
            lines_left -= count;
            n += 1;
        }
        DemoCatalog { outlets, products, inventory, sales }
    }
}

impl DemoCatalog {
    /// Where the demo shop keeps each variant: the owner-maintained Location
    /// column, which the till does not know. As Inventory worksheet rows
    /// (ItemID, SKU, Name, QtyOnHand, Location), written before the first
    /// demo sync so the sync's merge keeps them, as it keeps an owner's.
    pub fn shelf_rows(&self) -> Vec<Vec<String>> {
        let header = ["ItemID", "SKU", "Name", "QtyOnHand", "Location"].map(str::to_owned).to_vec();
        let rows = self.products.iter().map(|product| {
            let text = |value: &Value| value.as_str().unwrap_or_default().to_owned();
            let model = text(&product["variant_parent_id"]);
            // The parent id's last group numbers the model (see `id`).
            let shelf = u64::from_str_radix(model.rsplit('-').next().unwrap_or("0"), 16).unwrap_or(0) >> 8;
            let location = match product["product_type"]["name"].as_str() {
                Some("Sneakers") => format!("Wall A-{}", shelf + 1),
                Some("Accessories") => "Counter".to_owned(),
                _ => format!("Rack B-{}", shelf + 1),
            };
            vec![text(&product["id"]), text(&product["sku"]), text(&product["name"]), "0".to_owned(), location]
        });
        std::iter::once(header).chain(rows).collect()
    }
}

fn sale(n: u64, at: DateTime<Utc>, status: &str, lines: &[(String, i64, i64)], version: i64) -> Value {
    let total: i64 = lines.iter().map(|(_, quantity, price)| quantity * price).sum();
    json!({
        "id": id(0x7361_6c65, n),
        "outlet_id": OUTLET_ID,
        "register_id": id(0x7265_6769, 1),
        "user_id": id(0x7573_6572, 1),
        "customer_id": null,
        "invoice_number": format!("MS-{}", 1000 + n),
        "status": status,
        "sale_date": rfc3339(at),
        "created_at": rfc3339(at),
        "updated_at": rfc3339(at),
        "total_price": money(total),
        "total_tax": money(total * 8 / 108),
        "line_items": lines.iter().enumerate().map(|(index, (product, quantity, price))| json!({
            "id": id(0x6c69_6e65, n * 10 + index as u64),
            "product_id": product,
            "quantity": quantity,
            "price": money(*price),
            "tax": money(price * 8 / 108),
            "discount": 0,
            "status": "CONFIRMED",
            "sequence": index,
        })).collect::<Vec<_>>(),
        "payments": [],
        "version": version,
        "deleted_at": null,
    })
}

#[derive(Deserialize)]
struct PageQuery {
    after: Option<i64>,
    page_size: Option<usize>,
}

/// Lightspeed's largest page.
const MAX_PAGE_SIZE: usize = 5000;

/// The items after the cursor, one page, in Lightspeed's envelope.
fn page(items: &[Value], query: &PageQuery) -> Response {
    let after = query.after.unwrap_or(0);
    let size = query.page_size.unwrap_or(1000).clamp(1, MAX_PAGE_SIZE);
    if after < 0 {
        let error = json!({"error": "Bad Request", "message": "after must not be negative"});
        return (StatusCode::BAD_REQUEST, Json(error)).into_response();
    }
    // Every list is ascending by version, so the page starts where the
    // cursor falls: found by bisection, not by scanning from the start (a
    // full read of a large catalog would be quadratic).
    let from = items.partition_point(|item| item["version"].as_i64().is_some_and(|v| v <= after));
    let data: Vec<&Value> =
        items[from..].iter().filter(|item| item["version"].as_i64().is_some_and(|v| v > after)).take(size).collect();
    let version = match (data.first(), data.last()) {
        (Some(first), Some(last)) => json!({"min": first["version"], "max": last["version"]}),
        _ => json!({"min": null, "max": null}),
    };
    Json(json!({"data": data, "version": version})).into_response()
}

/// The fake Lightspeed API under `/api/2.0`: outlets, products, inventory
/// and sales, paginated by `after` and `page_size` exactly as the real one.
pub fn fake_lightspeed(catalog: DemoCatalog) -> Router {
    let catalog = std::sync::Arc::new(catalog);
    Router::new()
        .route(
            "/api/2.0/outlets",
            get(|State(c): State<std::sync::Arc<DemoCatalog>>, Query(q): Query<PageQuery>| async move {
                page(&c.outlets, &q)
            }),
        )
        .route(
            "/api/2.0/products",
            get(|State(c): State<std::sync::Arc<DemoCatalog>>, Query(q): Query<PageQuery>| async move {
                page(&c.products, &q)
            }),
        )
        .route(
            "/api/2.0/inventory",
            get(|State(c): State<std::sync::Arc<DemoCatalog>>, Query(q): Query<PageQuery>| async move {
                page(&c.inventory, &q)
            }),
        )
        .route(
            "/api/2.0/sales",
            get(|State(c): State<std::sync::Arc<DemoCatalog>>, Query(q): Query<PageQuery>| async move {
                page(&c.sales, &q)
            }),
        )
        .with_state(catalog)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::collections::HashSet;

    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 24, 15, 0, 0).unwrap()
    }

    #[test]
    fn the_catalog_is_realistic_and_consistent() {
        let catalog = DemoCatalog::generate(7, now());
        assert!((130..=150).contains(&catalog.products.len()), "{} variants", catalog.products.len());
        let brands: HashSet<&str> = catalog.products.iter().filter_map(|p| p["brand"]["name"].as_str()).collect();
        assert!(brands.len() >= 15, "{brands:?}");
        let skus: HashSet<&str> = catalog.products.iter().filter_map(|p| p["sku"].as_str()).collect();
        assert_eq!(skus.len(), catalog.products.len(), "SKUs are unique");
        let ids: HashSet<&str> = catalog.products.iter().filter_map(|p| p["id"].as_str()).collect();
        for line in catalog.sales.iter().flat_map(|s| s["line_items"].as_array().unwrap()) {
            assert!(ids.contains(line["product_id"].as_str().unwrap()), "sales refer to real products");
        }
        let stock: Vec<i64> = catalog.inventory.iter().filter_map(|i| i["inventory_level"].as_i64()).collect();
        assert!(stock.iter().all(|q| (0..=25).contains(q)));
        assert!(stock.contains(&0), "some variants are sold out");
        assert_eq!(catalog.products[0]["price_including_tax"].to_string(), "115.0", "decimal prices");
        let statuses: HashSet<&str> = catalog.sales.iter().filter_map(|s| s["status"].as_str()).collect();
        assert!(statuses.contains("VOIDED") && statuses.contains("SAVED"));
        assert!(catalog.sales.iter().any(|s| s["line_items"][0]["quantity"] == -1), "a return");
        let shelves = catalog.shelf_rows();
        assert_eq!(shelves.len(), catalog.products.len() + 1);
        let locations: HashSet<&str> = shelves.iter().skip(1).map(|row| row[4].as_str()).collect();
        assert!(locations.contains("Wall A-1") && locations.contains("Counter"), "{locations:?}");
        assert!(locations.iter().any(|l| l.starts_with("Rack B-")), "{locations:?}");
    }

    #[test]
    fn the_same_seed_gives_the_same_catalog() {
        let a = DemoCatalog::generate(7, now());
        let b = DemoCatalog::generate(7, now());
        assert_eq!(a.products, b.products);
        assert_eq!(a.inventory, b.inventory);
        assert_eq!(a.sales, b.sales);
        assert_ne!(a.inventory, DemoCatalog::generate(8, now()).inventory);
    }

    #[test]
    fn a_sized_catalog_has_the_counts_asked_for_unique_skus_and_real_references() {
        let catalog = DemoCatalog::generate_sized(7, now(), 2_000, 1_500);
        assert_eq!(catalog.products.len(), 2_000);
        assert_eq!(catalog.inventory.len(), 2_000);
        let lines: Vec<&Value> =
            catalog.sales.iter().flat_map(|s| s["line_items"].as_array().unwrap().iter()).collect();
        assert_eq!(lines.len(), 1_500);
        let skus: HashSet<&str> = catalog.products.iter().filter_map(|p| p["sku"].as_str()).collect();
        assert_eq!(skus.len(), 2_000, "SKUs are unique");
        let ids: HashSet<&str> = catalog.products.iter().filter_map(|p| p["id"].as_str()).collect();
        assert_eq!(ids.len(), 2_000, "product ids are unique");
        for line in &lines {
            assert!(ids.contains(line["product_id"].as_str().unwrap()), "sales refer to real products");
        }
        for stock in &catalog.inventory {
            assert!(ids.contains(stock["product_id"].as_str().unwrap()), "stock belongs to real products");
        }
        let line_ids: HashSet<&str> = lines.iter().filter_map(|l| l["id"].as_str()).collect();
        assert_eq!(line_ids.len(), lines.len(), "line ids are unique");
        let brands: HashSet<&str> = catalog.products.iter().filter_map(|p| p["brand"]["name"].as_str()).collect();
        assert!(brands.len() >= 15, "{brands:?}");
        assert!(lines.iter().any(|l| l["quantity"] == -1), "some returns");
        assert!(catalog.sales.iter().any(|s| s["status"] == "VOIDED"), "some voids");
        let all = [&catalog.outlets, &catalog.products, &catalog.inventory, &catalog.sales];
        let mut versions: Vec<i64> =
            all.iter().flat_map(|list| list.iter()).filter_map(|v| v["version"].as_i64()).collect();
        for list in all {
            let list_versions: Vec<i64> = list.iter().filter_map(|v| v["version"].as_i64()).collect();
            assert!(list_versions.windows(2).all(|w| w[0] < w[1]), "each list is ascending by version");
        }
        versions.sort_unstable();
        versions.dedup();
        assert_eq!(versions.len(), 1 + 2_000 + 2_000 + catalog.sales.len(), "versions are unique");
        let small = DemoCatalog::generate_sized(7, now(), 3, 0);
        assert_eq!(small.products.len(), 3);
        assert!(small.sales.is_empty());
    }

    async fn get_json(router: &Router, uri: &str) -> (StatusCode, Value) {
        let response = router.clone().oneshot(Request::get(uri).body(Body::empty()).unwrap()).await.unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn the_fake_api_pages_by_version_until_an_empty_page() {
        let catalog = DemoCatalog::generate(7, now());
        let total = catalog.products.len();
        let router = fake_lightspeed(catalog);
        let mut after = 0;
        let mut seen = 0;
        let mut pages = 0;
        loop {
            let (status, body) = get_json(&router, &format!("/api/2.0/products?after={after}&page_size=50")).await;
            assert_eq!(status, StatusCode::OK);
            let data = body["data"].as_array().unwrap();
            if data.is_empty() {
                assert_eq!(body["version"], json!({"min": null, "max": null}));
                break;
            }
            assert!(data.len() <= 50);
            assert_eq!(body["version"]["min"], data[0]["version"]);
            assert_eq!(body["version"]["max"], data[data.len() - 1]["version"]);
            after = body["version"]["max"].as_i64().unwrap();
            seen += data.len();
            pages += 1;
        }
        assert_eq!(seen, total);
        assert_eq!(pages, total.div_ceil(50));
        let (status, _) = get_json(&router, "/api/2.0/sales?after=-1").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }
}
