//! Brands a sneaker and streetwear shop carries, recognised from a product's
//! name or SKU (the Inventory sheet has no brand column), and the web page's
//! brand-aware search.
//!
//! Recognition, first match wins:
//! 1. a brand's own words in the name (`Air Jordan`, `AJ1`, `A Bathing Ape`),
//!    brands in the order of `Brand::ALL`, so a sub-brand wins over its
//!    parent (Jordan over Nike, Yeezy over Adidas);
//! 2. a model only one brand makes (`Dunk`, `Samba`, `Chuck 70`, `XT-6`);
//! 3. the SKU: a brand's words, or a shop prefix (`SUP-`, `NB-`) or the
//!    brand's own style-code prefix (`VN000…` is Vans) as its first part;
//! 4. words too common to trust earlier: `Essentials` alone means Fear of
//!    God Essentials only when nothing else matched (Nike makes
//!    "Essentials" too).
//!
//! `AJ1`, `AJ 11`, `JD1` are read as "Jordan 1", "Jordan 11": in names and
//! in queries alike.

use crate::row::InventoryRow;
use crate::text::{fold, words};

/// A brand the shop carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Brand {
    Jordan,
    Yeezy,
    Nike,
    Adidas,
    NewBalance,
    Asics,
    Converse,
    Vans,
    Salomon,
    Puma,
    Reebok,
    Supreme,
    Stussy,
    Bape,
    FearOfGodEssentials,
    Palace,
    CarharttWip,
    NewEra,
}

struct Known {
    brand: Brand,
    name: &'static str,
    /// Folded phrases that name the brand (also in queries).
    aliases: &'static [&'static str],
    /// Folded phrases naming models only this brand makes (names only).
    models: &'static [&'static str],
    /// First part of a SKU; a trailing `*` matches any continuation.
    sku_prefixes: &'static [&'static str],
    /// Phrases that name the brand only when nothing else matched.
    weak: &'static [&'static str],
}

const KNOWN: [Known; 18] = [
    Known {
        brand: Brand::Jordan,
        name: "Jordan",
        aliases: &["jordan", "air jordan", "aj", "jumpman"],
        models: &[],
        sku_prefixes: &["jor", "jrd", "aj"],
        weak: &[],
    },
    Known {
        brand: Brand::Yeezy,
        name: "Yeezy",
        aliases: &["yeezy", "yzy"],
        models: &[],
        sku_prefixes: &["yzy"],
        weak: &[],
    },
    Known {
        brand: Brand::Nike,
        name: "Nike",
        aliases: &["nike"],
        models: &["dunk", "air force", "af1", "air max", "vapormax", "blazer", "cortez", "air huarache"],
        sku_prefixes: &["nk", "nke"],
        weak: &[],
    },
    Known {
        brand: Brand::Adidas,
        name: "Adidas",
        aliases: &["adidas"],
        models: &["samba", "gazelle", "superstar", "stan smith", "ultraboost", "spezial", "adilette"],
        sku_prefixes: &["adi", "ads"],
        weak: &[],
    },
    Known {
        brand: Brand::NewBalance,
        name: "New Balance",
        aliases: &["new balance", "nb"],
        models: &[],
        sku_prefixes: &["nb"],
        weak: &[],
    },
    Known {
        brand: Brand::Asics,
        name: "Asics",
        aliases: &["asics"],
        models: &["gel kayano", "gel lyte", "gel 1130", "gel nyc"],
        sku_prefixes: &["asc", "asi"],
        weak: &[],
    },
    Known {
        brand: Brand::Converse,
        name: "Converse",
        aliases: &["converse"],
        models: &["chuck taylor", "chuck 70", "all star", "one star"],
        sku_prefixes: &["cnv", "con"],
        weak: &[],
    },
    Known {
        brand: Brand::Vans,
        name: "Vans",
        aliases: &["vans"],
        models: &["old skool", "sk8 hi", "slip on"],
        sku_prefixes: &["van", "vn000*"],
        weak: &[],
    },
    Known {
        brand: Brand::Salomon,
        name: "Salomon",
        aliases: &["salomon"],
        models: &["xt 6", "xt 4", "speedcross", "acs pro"],
        sku_prefixes: &["sal", "slm"],
        weak: &[],
    },
    Known {
        brand: Brand::Puma,
        name: "Puma",
        aliases: &["puma"],
        models: &["palermo"],
        sku_prefixes: &["pum"],
        weak: &[],
    },
    Known {
        brand: Brand::Reebok,
        name: "Reebok",
        aliases: &["reebok"],
        models: &["club c"],
        sku_prefixes: &["rbk"],
        weak: &[],
    },
    Known {
        brand: Brand::Supreme,
        name: "Supreme",
        aliases: &["supreme"],
        models: &[],
        sku_prefixes: &["sup"],
        weak: &[],
    },
    Known {
        brand: Brand::Stussy,
        name: "Stüssy",
        aliases: &["stussy"],
        models: &[],
        sku_prefixes: &["stu", "sty"],
        weak: &[],
    },
    Known {
        brand: Brand::Bape,
        name: "A Bathing Ape",
        aliases: &["bape", "a bathing ape", "bathing ape"],
        models: &["baby milo"],
        sku_prefixes: &["bape"],
        weak: &[],
    },
    Known {
        brand: Brand::FearOfGodEssentials,
        name: "Fear of God Essentials",
        aliases: &["fear of god", "fog"],
        models: &[],
        sku_prefixes: &["fog"],
        weak: &["essentials"],
    },
    Known {
        brand: Brand::Palace,
        name: "Palace",
        aliases: &["palace"],
        models: &["tri ferg"],
        sku_prefixes: &["pal"],
        weak: &[],
    },
    Known {
        brand: Brand::CarharttWip,
        name: "Carhartt WIP",
        aliases: &["carhartt", "carhartt wip"],
        models: &[],
        sku_prefixes: &["wip", "chwip"],
        weak: &[],
    },
    Known {
        brand: Brand::NewEra,
        name: "New Era",
        aliases: &["new era"],
        models: &["59fifty", "9fifty", "9forty", "39thirty"],
        sku_prefixes: &["ne"],
        weak: &[],
    },
];

impl Brand {
    /// Every brand, in recognition order.
    pub const ALL: [Brand; 18] = {
        let mut all = [Brand::Jordan; 18];
        let mut index = 0;
        while index < KNOWN.len() {
            all[index] = KNOWN[index].brand;
            index += 1;
        }
        all
    };

    /// The brand's name as the shop writes it.
    pub fn name(self) -> &'static str {
        known(self).name
    }
}

fn known(brand: Brand) -> &'static Known {
    // `KNOWN` lists every brand once, in declaration order.
    &KNOWN[brand as usize]
}

/// The brand of a product, from its name, else its SKU; `None` when
/// neither says (see the module documentation for the rules).
pub fn brand_of(name: &str, sku: &str) -> Option<Brand> {
    let name_words = search_words(name);
    let phrase_in = |words: &[String], phrases: &[&str]| phrases.iter().any(|phrase| contains_phrase(words, phrase));
    if let Some(known) = KNOWN.iter().find(|k| phrase_in(&name_words, k.aliases)) {
        return Some(known.brand);
    }
    if let Some(known) = KNOWN.iter().find(|k| phrase_in(&name_words, k.models)) {
        return Some(known.brand);
    }
    let sku_words = search_words(sku);
    if let Some(known) = KNOWN.iter().find(|k| phrase_in(&sku_words, k.aliases)) {
        return Some(known.brand);
    }
    let first_part = fold(sku.trim()).split(|c: char| !c.is_alphanumeric()).next().unwrap_or_default().to_owned();
    let prefix_matches = |prefix: &&str| match prefix.strip_suffix('*') {
        Some(start) => first_part.starts_with(start),
        None => first_part == *prefix,
    };
    if let Some(known) = KNOWN.iter().find(|k| k.sku_prefixes.iter().any(prefix_matches)) {
        return Some(known.brand);
    }
    KNOWN.iter().find(|k| phrase_in(&name_words, k.weak)).map(|k| k.brand)
}

/// Whether a row matches what the owner typed into the search box.
///
/// The query is folded (case and accents do not matter) and split into
/// words; every part must match (AND):
/// - a brand's name or alias (`jordan`, `aj`, `bape`, `a bathing ape`,
///   `fog`, `stüssy`, also `essentials`) matches rows of that brand, or
///   rows that contain those words;
/// - any other word matches a row whose name, SKU, color, size or category
///   has a word beginning with it (`sam` finds "Samba"); a word ending in a
///   digit does not run on into a longer number (`9` finds size 9, not 9.5
///   or 10; `990` finds "990v6").
///
/// A query of 4 or more characters without spaces also matches anywhere
/// inside the SKU or barcode (a style code, a scanned barcode). An empty
/// query matches every row.
pub fn matches_search(row: &InventoryRow, query: &str) -> bool {
    SearchQuery::parse(query).matches(&SearchText::of(row))
}

/// What the owner typed, prepared once for many rows (see
/// [`matches_search`]).
#[derive(Debug, Clone)]
pub struct SearchQuery {
    parts: Vec<QueryPart>,
    /// The folded query when it may be a style code or barcode (4 or more
    /// characters, no spaces).
    code: Option<String>,
}

#[derive(Debug, Clone)]
enum QueryPart {
    /// A brand's alias: rows of that brand, or rows containing the words.
    Brand(Brand, Vec<String>),
    /// `size 10`, `sz 10.5`, `size m`: rows whose size is exactly that
    /// (`10` is not `10.5`; a size written `US 10` is size 10).
    Size(String),
    Word(String),
}

/// The words that announce a size in a query.
const SIZE_WORDS: [&str; 3] = ["size", "sz", "sizes"];

impl SearchQuery {
    pub fn parse(query: &str) -> SearchQuery {
        let terms = search_words(query);
        let compact = fold(query.trim());
        let code = (compact.chars().count() >= 4 && !compact.contains(char::is_whitespace)).then_some(compact);
        let mut parts = Vec::new();
        let mut index = 0;
        while index < terms.len() {
            if let Some((named, length)) = brand_phrase_at(&terms, index) {
                parts.push(QueryPart::Brand(named, terms[index..index + length].to_vec()));
                index += length;
            } else if SIZE_WORDS.contains(&terms[index].as_str())
                && let Some(size) = terms.get(index + 1)
            {
                parts.push(QueryPart::Size(size.clone()));
                index += 2;
            } else {
                parts.push(QueryPart::Word(terms[index].clone()));
                index += 1;
            }
        }
        SearchQuery { parts, code }
    }

    /// An empty query matches every row.
    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    pub fn matches(&self, row: &SearchText) -> bool {
        if self.parts.is_empty() {
            return true;
        }
        if let Some(code) = &self.code
            && (row.sku.contains(code.as_str()) || row.barcode.contains(code.as_str()))
        {
            return true;
        }
        self.parts.iter().all(|part| match part {
            QueryPart::Brand(named, phrase) => {
                row.brand == Some(*named) || row.words.windows(phrase.len()).any(|window| window == phrase.as_slice())
            }
            QueryPart::Size(size) => row.size.iter().any(|word| word == size),
            QueryPart::Word(term) => row.words.iter().any(|word| word_matches(word, term)),
        })
    }
}

/// A row's searchable text, prepared once for many queries.
#[derive(Debug, Clone)]
pub struct SearchText {
    words: Vec<String>,
    /// The words of the size alone (`us 10` → `us`, `10`).
    size: Vec<String>,
    sku: String,
    barcode: String,
    brand: Option<Brand>,
}

impl SearchText {
    pub fn of(row: &InventoryRow) -> SearchText {
        SearchText {
            words: [row.name.as_str(), row.sku.as_str(), &row.color, &row.size, &row.category]
                .iter()
                .flat_map(|text| search_words(text))
                .collect(),
            size: words(&row.size),
            sku: fold(row.sku.as_str()),
            barcode: fold(&row.barcode),
            brand: brand_of(&row.name, row.sku.as_str()),
        }
    }

    /// The row's brand, as [`brand_of`] finds it.
    pub fn brand(&self) -> Option<Brand> {
        self.brand
    }
}

/// The longest brand alias (or weak alias) starting at `terms[index]`.
fn brand_phrase_at(terms: &[String], index: usize) -> Option<(Brand, usize)> {
    let mut best: Option<(Brand, usize)> = None;
    for known in &KNOWN {
        for phrase in known.aliases.iter().chain(known.weak) {
            let length = phrase.split(' ').count();
            let fits = terms.len() - index >= length && phrase.split(' ').zip(&terms[index..]).all(|(a, b)| a == b);
            if fits && best.is_none_or(|(_, longest)| length > longest) {
                best = Some((known.brand, length));
            }
        }
    }
    best
}

fn word_matches(word: &str, term: &str) -> bool {
    let Some(rest) = word.strip_prefix(term) else {
        return false;
    };
    let ends_in_digit = term.ends_with(|c: char| c.is_ascii_digit());
    !(ends_in_digit && rest.starts_with(|c: char| c.is_ascii_digit() || c == '.'))
}

/// Folded words, with `aj1`/`jd1` (any number) read as `jordan 1`.
fn search_words(text: &str) -> Vec<String> {
    let mut expanded = Vec::new();
    for word in words(text) {
        let number = word.strip_prefix("aj").or_else(|| word.strip_prefix("jd"));
        match number {
            Some(digits) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
                expanded.push("jordan".to_owned());
                expanded.push(digits.to_owned());
            }
            _ => expanded.push(word),
        }
    }
    expanded
}

fn contains_phrase(words: &[String], phrase: &str) -> bool {
    let phrase: Vec<&str> = phrase.split(' ').collect();
    words.windows(phrase.len()).any(|window| window.iter().zip(&phrase).all(|(word, part)| word == part))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::row::Sku;
    use crate::row::tests::row;

    #[test]
    fn the_table_lists_every_brand_once_in_declaration_order() {
        for (index, known) in KNOWN.iter().enumerate() {
            assert_eq!(known.brand as usize, index, "{}", known.name);
        }
        assert_eq!(Brand::ALL.len(), KNOWN.len());
        assert_eq!(Brand::ALL[0], Brand::Jordan);
        assert_eq!(Brand::FearOfGodEssentials.name(), "Fear of God Essentials");
        assert_eq!(Brand::Bape.name(), "A Bathing Ape");
        for known in &KNOWN {
            for phrase in known.aliases.iter().chain(known.models).chain(known.weak).chain(known.sku_prefixes) {
                assert_eq!(*phrase, fold(phrase), "{phrase:?} is stored folded");
                assert!(!phrase.contains("  ") && phrase.trim() == *phrase, "{phrase:?}");
            }
        }
    }

    #[test]
    fn brands_from_names() {
        use Brand::*;
        let cases = [
            ("Air Jordan 1 Retro High OG", Some(Jordan)),
            ("Nike Air Jordan 4", Some(Jordan)),
            ("Jordan Flight Hoodie", Some(Jordan)),
            ("AJ1 Chicago Lost & Found", Some(Jordan)),
            ("AJ 11 Concord", Some(Jordan)),
            ("JD1 Mid", Some(Jordan)),
            ("Jumpman Tee", Some(Jordan)),
            ("Yeezy Boost 350 V2", Some(Yeezy)),
            ("Adidas Yeezy Slide", Some(Yeezy)),
            ("Nike Dunk Low Retro", Some(Nike)),
            ("Dunk Low Panda", Some(Nike)),
            ("Air Force 1 '07", Some(Nike)),
            ("AF1 Shadow", Some(Nike)),
            ("Adidas Samba OG", Some(Adidas)),
            ("Gazelle Indoor", Some(Adidas)),
            ("New Balance 990v6", Some(NewBalance)),
            ("NB 550", Some(NewBalance)),
            ("Asics Gel-Kayano 14", Some(Asics)),
            ("GEL-1130", Some(Asics)),
            ("Converse Chuck 70 Hi", Some(Converse)),
            ("Chuck Taylor All Star", Some(Converse)),
            ("Vans Old Skool", Some(Vans)),
            ("Sk8-Hi", Some(Vans)),
            ("Salomon XT-6", Some(Salomon)),
            ("XT-6 Advanced", Some(Salomon)),
            ("Puma Palermo", Some(Puma)),
            ("Reebok Club C 85", Some(Reebok)),
            ("Supreme Box Logo Hooded Sweatshirt", Some(Supreme)),
            ("Stüssy Basic Logo Tee", Some(Stussy)),
            ("STUSSY 8 Ball Tee", Some(Stussy)),
            ("BAPE Shark Full Zip Hoodie", Some(Bape)),
            ("A Bathing Ape Baby Milo Tee", Some(Bape)),
            ("Fear of God Essentials Hoodie", Some(FearOfGodEssentials)),
            ("FOG 1977 Hoodie", Some(FearOfGodEssentials)),
            ("Essentials Hoodie", Some(FearOfGodEssentials)),
            ("Nike Sportswear Essentials Hoodie", Some(Nike)),
            ("Palace Tri-Ferg Tee", Some(Palace)),
            ("Carhartt WIP Double Knee Pant", Some(CarharttWip)),
            ("New Era 59FIFTY Yankees Cap", Some(NewEra)),
            ("Nike Everyday Cushioned Crew Socks 3-Pack", Some(Nike)),
            ("Gift Card", None),
            ("Shoe Cleaner Kit", None),
            ("Fogged Lens Cloth", None),
            ("Ajax Cleaner", None),
            ("Newbalance Laces", None),
        ];
        for (name, expected) in cases {
            assert_eq!(brand_of(name, "X-1"), expected, "brand_of({name:?})");
        }
    }

    #[test]
    fn brands_from_skus_when_the_name_does_not_say() {
        use Brand::*;
        let cases = [
            ("SUP-FW26-BOGO", Some(Supreme)),
            ("sup_fw26_tee", Some(Supreme)),
            ("NB-550-WHT-9", Some(NewBalance)),
            ("VN000D3HY28", Some(Vans)),
            ("VN000D3HY28-9", Some(Vans)),
            ("NIKE-TEE-M", Some(Nike)),
            ("JOR-HOODIE-L", Some(Jordan)),
            ("AJ1-CHI-9", Some(Jordan)),
            ("FOG-TEE-M", Some(FearOfGodEssentials)),
            ("DZ5485-612-9", None),
            ("SUPPLY-01", None),
            ("", None),
        ];
        for (sku, expected) in cases {
            assert_eq!(brand_of("Hoodie", sku), expected, "brand_of(\"Hoodie\", {sku:?})");
        }
        assert_eq!(brand_of("Adidas Samba", "NB-1"), Some(Adidas), "the name wins over the SKU");
        assert_eq!(brand_of("Essentials Tee", "NK-1"), Some(Nike), "the SKU wins over a weak name word");
    }

    fn product(name: &str, sku: &str, color: &str, size: &str, category: &str) -> InventoryRow {
        InventoryRow {
            name: name.into(),
            sku: Sku::parse(sku).unwrap(),
            color: color.into(),
            size: size.into(),
            category: category.into(),
            barcode: format!("0{}", sku.len()),
            ..row("X")
        }
    }

    #[test]
    fn search_is_brand_aware_and_forgiving() {
        let catalog = [
            product("Air Jordan 1 Retro High OG", "DZ5485-612-9", "Varsity Red/Black", "9", "Sneakers"),
            product("AJ1 Chicago", "AJ1-CHI-10.5", "White/Red", "10.5", "Sneakers"),
            product("Air Jordan 11 Concord", "378037-100-9.5W", "White/Black", "9.5W", "Sneakers"),
            product("Nike Dunk Low Retro", "DD1391-100-10", "White/Black", "10", "Sneakers"),
            product("New Balance 990v6", "M990GL6-9", "Grey", "9", "Sneakers"),
            product("BAPE Shark Full Zip Hoodie", "001ZPJ801002-M", "1st Camo Green", "M", "Hoodies"),
            product("A Bathing Ape College Tee", "001TEJ801-L", "Black", "L", "T-Shirts"),
            product("Essentials Hoodie", "192HO246250F-S", "Oatmeal", "S", "Hoodies"),
            product("Nike Sportswear Essentials Hoodie", "NSW-ESS-M", "Black", "M", "Hoodies"),
            product("Stüssy Basic Logo Tee", "1904870-XL", "Black", "XL", "T-Shirts"),
        ];
        let cases: [(&str, &[&str]); 24] = [
            (
                "",
                &[
                    "DZ5485-612-9",
                    "AJ1-CHI-10.5",
                    "378037-100-9.5W",
                    "DD1391-100-10",
                    "M990GL6-9",
                    "001ZPJ801002-M",
                    "001TEJ801-L",
                    "192HO246250F-S",
                    "NSW-ESS-M",
                    "1904870-XL",
                ],
            ),
            ("jordan", &["DZ5485-612-9", "AJ1-CHI-10.5", "378037-100-9.5W"]),
            ("JORDAN", &["DZ5485-612-9", "AJ1-CHI-10.5", "378037-100-9.5W"]),
            ("air jordan", &["DZ5485-612-9", "AJ1-CHI-10.5", "378037-100-9.5W"]),
            ("aj1", &["DZ5485-612-9", "AJ1-CHI-10.5"]),
            ("jd1", &["DZ5485-612-9", "AJ1-CHI-10.5"]),
            ("jordan 11", &["378037-100-9.5W"]),
            ("bape", &["001ZPJ801002-M", "001TEJ801-L"]),
            ("a bathing ape", &["001ZPJ801002-M", "001TEJ801-L"]),
            ("fog", &["192HO246250F-S"]),
            ("fear of god", &["192HO246250F-S"]),
            ("essentials", &["192HO246250F-S", "NSW-ESS-M"]),
            ("stüssy", &["1904870-XL"]),
            ("STUSSY tee", &["1904870-XL"]),
            ("nike", &["DD1391-100-10", "NSW-ESS-M"]),
            ("nike hoodie", &["NSW-ESS-M"]),
            ("dun", &["DD1391-100-10"]),
            ("white black", &["378037-100-9.5W", "DD1391-100-10"]),
            ("9", &["DZ5485-612-9", "M990GL6-9"]),
            ("9.5", &["378037-100-9.5W"]),
            ("990", &["M990GL6-9"]),
            ("dd1391", &["DD1391-100-10"]),
            ("HO2462", &["192HO246250F-S"]),
            ("hoodies m", &["001ZPJ801002-M", "NSW-ESS-M"]),
        ];
        for (query, expected) in cases {
            let found: Vec<&str> =
                catalog.iter().filter(|row| matches_search(row, query)).map(|row| row.sku.as_str()).collect();
            assert_eq!(found, expected, "search {query:?}");
        }
    }

    #[test]
    fn a_size_in_a_query_matches_that_size_exactly() {
        let sized =
            |sku: &str, size: &str| InventoryRow { name: "Nike Dunk Low Panda".into(), size: size.into(), ..row(sku) };
        let ten = sized("DD1391-100-10", "10");
        let ten_half = sized("DD1391-100-105", "10.5");
        let us_ten = sized("DD1391-100-US10", "US 10");
        let medium = InventoryRow { name: "Essentials Hoodie".into(), size: "M".into(), ..row("FOG-HOOD-M") };
        for query in ["size 10", "Size 10", "sz 10", "dunk size 10", "size 10 dunk", "nike size 10"] {
            assert!(matches_search(&ten, query), "{query:?} finds size 10");
            assert!(matches_search(&us_ten, query), "{query:?} finds size US 10");
            assert!(!matches_search(&ten_half, query), "{query:?} is not 10.5");
        }
        assert!(matches_search(&ten_half, "size 10.5"));
        assert!(!matches_search(&ten, "size 10.5"));
        assert!(!matches_search(&ten, "jordan size 10"), "every part must match");
        assert!(matches_search(&medium, "size m") && matches_search(&medium, "hoodie size M"));
        assert!(!matches_search(&medium, "size 10"));
    }

    #[test]
    fn the_longest_brand_name_in_a_query_counts_as_one() {
        let pant = InventoryRow { name: "Carhartt Double Knee Pant".into(), ..row("I031501-32") };
        assert_eq!(brand_of(&pant.name, pant.sku.as_str()), Some(Brand::CarharttWip));
        assert!(matches_search(&pant, "carhartt wip"), "\"carhartt wip\" is the brand, not \"carhartt\" and \"wip\"");
        assert!(matches_search(&pant, "carhartt wip pant"));
        assert!(!matches_search(&pant, "carhartt wip hoodie"));
    }

    #[test]
    fn a_barcode_is_found_by_its_digits() {
        let scanned = InventoryRow { barcode: "195866123456".into(), ..row("A") };
        assert!(matches_search(&scanned, "195866123456"));
        assert!(matches_search(&scanned, "123456"));
        assert!(!matches_search(&scanned, "999999"));
    }

    #[test]
    fn a_number_does_not_run_on_into_a_longer_one() {
        let cases = [
            ("9", "9", true),
            ("9", "9.5", false),
            ("9", "90", false),
            ("9.5", "9.5w", true),
            ("990", "990v6", true),
            ("99", "990v6", false),
            ("sam", "samba", true),
            ("samba", "sam", false),
            ("af1", "af10", false),
        ];
        for (term, word, expected) in cases {
            assert_eq!(word_matches(word, term), expected, "{term:?} in {word:?}");
        }
    }
}
