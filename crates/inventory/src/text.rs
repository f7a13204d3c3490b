//! Text as people type it: folded (lowercase, accents off) so "Stüssy" and
//! "STUSSY" are the same word, split into words, and compared naturally
//! (a run of digits as a number, so "Air Jordan 4" comes before
//! "Air Jordan 11"). Shared by search and ordering.

use std::cmp::Ordering;

/// Lowercase with the accents of Latin letters removed: `"Stüssy"` →
/// `"stussy"`. Combining marks are dropped too, so decomposed input folds
/// the same as composed input. Other scripts are only lowercased.
pub(crate) fn fold(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    for lower in text.chars().flat_map(char::to_lowercase) {
        let plain = match lower {
            '\u{300}'..='\u{36f}' => continue,
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => 'a',
            'ç' | 'ć' | 'ĉ' | 'č' => 'c',
            'ď' | 'đ' | 'ð' => 'd',
            'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' => 'e',
            'ğ' | 'ģ' => 'g',
            'ì' | 'í' | 'î' | 'ï' | 'ī' | 'į' | 'ı' => 'i',
            'ķ' => 'k',
            'ł' | 'ľ' | 'ļ' => 'l',
            'ñ' | 'ń' | 'ň' | 'ņ' => 'n',
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => 'o',
            'ř' | 'ŕ' => 'r',
            'ś' | 'š' | 'ş' | 'ș' => 's',
            'ť' | 'ţ' | 'ț' => 't',
            'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' | 'ų' => 'u',
            'ý' | 'ÿ' => 'y',
            'ź' | 'ż' | 'ž' => 'z',
            'ß' => {
                folded.push_str("ss");
                continue;
            }
            'æ' => {
                folded.push_str("ae");
                continue;
            }
            'œ' => {
                folded.push_str("oe");
                continue;
            }
            'þ' => {
                folded.push_str("th");
                continue;
            }
            other => other,
        };
        folded.push(plain);
    }
    folded
}

/// The folded words of `text`: runs of letters and digits. A `.` between two
/// digits stays inside its word, so sizes and prices keep their meaning
/// (`"10.5"`, `"9.5w"`); every other character separates words.
pub(crate) fn words(text: &str) -> Vec<String> {
    let chars: Vec<char> = fold(text).chars().collect();
    let mut words = Vec::new();
    let mut current = String::new();
    for (index, &c) in chars.iter().enumerate() {
        let decimal_point = c == '.'
            && index > 0
            && chars[index - 1].is_ascii_digit()
            && chars.get(index + 1).is_some_and(char::is_ascii_digit);
        if c.is_alphanumeric() || decimal_point {
            current.push(c);
        } else if !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// Compares two strings with runs of ASCII digits compared as numbers
/// (`"item 9"` < `"item 10"`), everything else character by character.
/// Numbers that differ only in leading zeros compare equal here; callers
/// break that tie on the raw text.
pub(crate) fn natural_cmp(a: &str, b: &str) -> Ordering {
    let mut a = a.chars().peekable();
    let mut b = b.chars().peekable();
    loop {
        match (a.peek().copied(), b.peek().copied()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let x = digit_run(&mut a);
                let y = digit_run(&mut b);
                let (x, y) = (x.trim_start_matches('0'), y.trim_start_matches('0'));
                match x.len().cmp(&y.len()).then_with(|| x.cmp(y)) {
                    Ordering::Equal => {}
                    unequal => return unequal,
                }
            }
            (Some(x), Some(y)) => match x.cmp(&y) {
                Ordering::Equal => {
                    a.next();
                    b.next();
                }
                unequal => return unequal,
            },
        }
    }
}

fn digit_run(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> String {
    let mut run = String::new();
    while let Some(digit) = chars.next_if(char::is_ascii_digit) {
        run.push(digit);
    }
    run
}

/// Text ordered the way a person reads it: folded and natural. Different
/// strings can compare equal ("Nike", "NIKE"); see `NaturalText`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FoldedText(String);

impl FoldedText {
    pub(crate) fn new(raw: &str) -> FoldedText {
        FoldedText(fold(raw))
    }
}

impl Ord for FoldedText {
    fn cmp(&self, other: &Self) -> Ordering {
        natural_cmp(&self.0, &other.0).then_with(|| self.0.cmp(&other.0))
    }
}

impl PartialOrd for FoldedText {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Text ordered the way a person reads it, then by the raw text, so two
/// different strings never compare equal.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct NaturalText {
    folded: FoldedText,
    raw: String,
}

impl NaturalText {
    pub(crate) fn new(raw: &str) -> NaturalText {
        NaturalText { folded: FoldedText::new(raw), raw: raw.to_owned() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_removes_case_and_accents() {
        let cases = [
            ("Stüssy", "stussy"),
            ("STÜSSY", "stussy"),
            ("Stu\u{308}ssy", "stussy"),
            ("Crème Brûlée", "creme brulee"),
            ("Straße", "strasse"),
            ("Æon Œuvre", "aeon oeuvre"),
            ("Łódź", "lodz"),
            ("ナイキ", "ナイキ"),
        ];
        for (input, expected) in cases {
            assert_eq!(fold(input), expected, "fold({input:?})");
        }
    }

    #[test]
    fn words_split_on_everything_but_letters_digits_and_decimal_points() {
        let cases: [(&str, &[&str]); 7] = [
            ("Nike Air Force 1 '07", &["nike", "air", "force", "1", "07"]),
            ("White/Black", &["white", "black"]),
            ("Gel-Kayano 14", &["gel", "kayano", "14"]),
            ("DD1391-100-10.5", &["dd1391", "100", "10.5"]),
            ("9.5W", &["9.5w"]),
            ("Size 9. Next", &["size", "9", "next"]),
            ("  ", &[]),
        ];
        for (input, expected) in cases {
            assert_eq!(words(input), expected, "words({input:?})");
        }
    }

    #[test]
    fn natural_order_compares_digit_runs_as_numbers() {
        let cases = [
            ("air jordan 4", "air jordan 11", Ordering::Less),
            ("air jordan 11", "air jordan 4", Ordering::Greater),
            ("990v6", "990v10", Ordering::Less),
            ("a", "b", Ordering::Less),
            ("a", "a1", Ordering::Less),
            ("item 007", "item 7", Ordering::Equal),
            ("item 0", "item", Ordering::Greater),
            ("", "", Ordering::Equal),
        ];
        for (a, b, expected) in cases {
            assert_eq!(natural_cmp(a, b), expected, "natural_cmp({a:?}, {b:?})");
        }
    }

    #[test]
    fn natural_text_breaks_ties_on_the_raw_text() {
        assert!(NaturalText::new("adidas 2") < NaturalText::new("Nike"), "folded first: a < n");
        assert!(NaturalText::new("Nike") < NaturalText::new("nike"), "then raw: 'N' < 'n'");
        assert_eq!(NaturalText::new("Nike").cmp(&NaturalText::new("Nike")), Ordering::Equal);
        assert!(NaturalText::new("item 007") < NaturalText::new("item 7"));
        assert_eq!(FoldedText::new("Nike").cmp(&FoldedText::new("NIKE")), Ordering::Equal);
        assert!(FoldedText::new("item 007") < FoldedText::new("item 7"), "equal numbers: the folded text decides");
    }
}
