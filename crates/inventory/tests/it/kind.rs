//! Footwear, apparel or neither, by the Category the owner typed.

use frontdesk_inventory::{ProductKind, kind_of};

use ProductKind::{Apparel, Footwear};

#[track_caller]
fn check(cases: &[(&str, Option<ProductKind>)]) {
    for &(category, expected) in cases {
        assert_eq!(kind_of(category), expected, "{category:?}");
    }
}

#[test]
fn footwear() {
    check(&[
        ("Sneakers", Some(Footwear)),
        ("sneaker", Some(Footwear)),
        ("SNEAKERS", Some(Footwear)),
        ("Shoes", Some(Footwear)),
        ("Running Shoes", Some(Footwear)),
        ("Footwear", Some(Footwear)),
        ("Trainers", Some(Footwear)),
        ("Boots", Some(Footwear)),
        ("Chelsea Boots", Some(Footwear)),
        ("Sandals", Some(Footwear)),
        ("Slides", Some(Footwear)),
        ("Clogs", Some(Footwear)),
        ("Runners", Some(Footwear)),
        ("Kids / Sneakers", Some(Footwear)),
    ]);
}

#[test]
fn apparel() {
    check(&[
        ("Hoodies", Some(Apparel)),
        ("Hoody", Some(Apparel)),
        ("T-Shirts", Some(Apparel)),
        ("T-Shirt", Some(Apparel)),
        ("Tees", Some(Apparel)),
        ("Long Sleeve Tees", Some(Apparel)),
        ("Pants", Some(Apparel)),
        ("Sweatpants", Some(Apparel)),
        ("Jeans", Some(Apparel)),
        ("Shorts", Some(Apparel)),
        ("Jackets & Coats", Some(Apparel)),
        ("Outerwear", Some(Apparel)),
        ("Crewnecks", Some(Apparel)),
        ("Knitwear", Some(Apparel)),
        ("Dresses", Some(Apparel)),
        ("Skirts", Some(Apparel)),
        ("Leggings", Some(Apparel)),
        ("Tracksuits", Some(Apparel)),
        ("Clothing", Some(Apparel)),
        ("Mens Apparel", Some(Apparel)),
    ]);
}

#[test]
fn neither() {
    check(&[
        ("Accessories", None),
        ("Hats", None),
        ("Caps", None),
        ("Socks", None),
        ("Bags", None),
        ("Gift Cards", None),
        ("Sunglasses", None),
    ]);
}

#[test]
fn the_last_word_says_what_it_is() {
    check(&[
        // The noun is last: care products for shoes are not shoes.
        ("Shoe Care", None),
        ("Sneaker Cleaner", None),
        ("Shoe Laces", None),
        ("Hoodie Hangers", None),
        // A mixed category is what its last word is.
        ("Shoes & Hoodies", Some(Apparel)),
        ("Hoodies & Shoes", Some(Footwear)),
        // Separators: spaces, `/` and `&`, with or without spaces around them.
        ("Tops/Tees", Some(Apparel)),
        ("Accessories & Boots", Some(Footwear)),
        ("Bags & ", None),
    ]);
}

#[test]
fn edge_cases() {
    check(&[
        ("", None),
        ("   ", None),
        ("&", None),
        ("/", None),
        // Plural `s` only: `ss` endings stay, `sses` loses `es`.
        ("Dress", Some(Apparel)),
        ("Glasses", None),
        ("Shorts!", Some(Apparel)),
        ("  Sneakers  ", Some(Footwear)),
        // The whole category without its punctuation: `T-Shirts` is `tshirt`.
        ("Tshirts", Some(Apparel)),
        ("Long-Sleeve", Some(Apparel)),
        // A word only containing a known one is not it.
        ("Bootcut Belts", None),
        ("Topaz", None),
        ("Shoebox", None),
    ]);
}
