//! What kind of product a row is, by its Category: footwear (Sneakers,
//! Shoes, Trainers, Boots, …), apparel (Hoodies, T-Shirts, Pants, Jackets,
//! Shorts, …), or neither (caps, socks, bags: accessories). The owner types
//! the categories, so they are read loosely: any case, singular or plural,
//! punctuation aside.

/// Footwear or apparel; `kind_of` says which, if either.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProductKind {
    Footwear,
    Apparel,
}

const FOOTWEAR: &[&str] = &["sneaker", "shoe", "footwear", "trainer", "boot", "sandal", "slide", "clog", "runner"];

const APPAREL: &[&str] = &[
    "hoodie",
    "hoody",
    "sweatshirt",
    "crewneck",
    "sweater",
    "knitwear",
    "knit",
    "cardigan",
    "tshirt",
    "tee",
    "shirt",
    "overshirt",
    "top",
    "polo",
    "longsleeve",
    "tank",
    "jersey",
    "jacket",
    "coat",
    "outerwear",
    "vest",
    "gilet",
    "fleece",
    "pant",
    "trouser",
    "sweatpant",
    "jogger",
    "short",
    "jean",
    "denim",
    "cargo",
    "tracksuit",
    "dress",
    "skirt",
    "legging",
    "apparel",
    "clothing",
];

/// A word without its plural `s` (`hoodies` → `hoodie`, `dresses` →
/// `dress`), lowercase, letters and digits only.
fn singular(word: &str) -> String {
    let word: String = word.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect();
    if let Some(stem) = word.strip_suffix("sses") {
        format!("{stem}ss")
    } else if word.ends_with('s') && !word.ends_with("ss") {
        word[..word.len() - 1].to_owned()
    } else {
        word
    }
}

/// Footwear or apparel by a row's Category: the whole category
/// (`T-Shirts`), else its last word, the noun that says what it is
/// (`Running Shoes` is footwear, `Shoe Care` is not). Anything else (caps,
/// socks, bags, an empty category) is neither.
pub fn kind_of(category: &str) -> Option<ProductKind> {
    let whole = singular(category);
    let last = category.split(|c: char| c.is_whitespace() || c == '/' || c == '&').rfind(|w| !w.is_empty());
    let last = last.map(singular).unwrap_or_default();
    let is_one_of = |list: &[&str]| list.contains(&whole.as_str()) || list.contains(&last.as_str());
    if is_one_of(FOOTWEAR) {
        Some(ProductKind::Footwear)
    } else if is_one_of(APPAREL) {
        Some(ProductKind::Apparel)
    } else {
        None
    }
}
