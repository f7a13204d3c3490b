//! How many SMS segments a message body costs, counted as carriers (and
//! Twilio) bill them.
//!
//! - A body made only of GSM-7 characters (3GPP TS 23.038 basic set plus its
//!   extension table) is sent as GSM-7. Extension characters (`^ { } \ [ ~ ] |
//!   €` and form feed) take two septets: an escape and the character. Up to
//!   160 septets is one segment; a longer body is split into segments of at
//!   most 153 septets (7 bytes go to the concatenation header), and an escape
//!   pair is never split across two segments.
//! - Any other character switches the whole body to UCS-2, counted in UTF-16
//!   code units: up to 70 is one segment, a longer body is split into segments
//!   of at most 67 units, and a surrogate pair (a character outside the Basic
//!   Multilingual Plane, such as most emoji) is never split.
//! - An empty body is one segment: Twilio bills an empty message as one.
//!
//! The body is counted as given: Twilio's optional "smart encoding" (curly
//! quotes to straight ones, …) is not applied, so a `’` makes the message
//! UCS-2. Splitting is per Unicode scalar value: a sequence of several scalars
//! shown as one glyph (a flag, a skin-tone emoji) may be split between them.

/// How a message body is encoded on the air.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SmsEncoding {
    /// The GSM 7-bit default alphabet: 160 septets in a single message.
    Gsm7,
    /// UCS-2 (UTF-16 code units): 70 in a single message.
    Ucs2,
}

/// A body's encoding and the segments it is billed as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SmsSegments {
    pub encoding: SmsEncoding,
    /// One or more.
    pub count: i64,
}

/// The GSM 03.38 basic character set in code order (0x00 to 0x7F), without
/// 0x1B, the escape to the extension table.
const GSM7_BASIC: &str = concat!(
    "@£$¥èéùìòÇ\nØø\rÅå",
    "Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ",
    " !\"#¤%&'()*+,-./",
    "0123456789:;<=>?",
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§",
    "¿abcdefghijklmnopqrstuvwxyzäöñüà",
);

/// The characters of the extension table, each sent as an escape and a septet.
const GSM7_EXTENSION: &str = "\u{0C}^{}\\[~]|€";

const GSM7_SINGLE: i64 = 160;
const GSM7_PER_SEGMENT: i64 = 153;
const UCS2_SINGLE: i64 = 70;
const UCS2_PER_SEGMENT: i64 = 67;

/// The encoding of `body` and how many segments it is billed as.
pub fn count_sms_segments(body: &str) -> SmsSegments {
    if body.chars().all(|c| gsm7_septets(c).is_some()) {
        let septets = body.chars().map(|c| gsm7_septets(c).unwrap_or(1));
        SmsSegments { encoding: SmsEncoding::Gsm7, count: count_segments(septets, GSM7_SINGLE, GSM7_PER_SEGMENT) }
    } else {
        let code_units = body.chars().map(|c| if c.len_utf16() == 1 { 1 } else { 2 });
        SmsSegments { encoding: SmsEncoding::Ucs2, count: count_segments(code_units, UCS2_SINGLE, UCS2_PER_SEGMENT) }
    }
}

fn gsm7_septets(c: char) -> Option<i64> {
    if GSM7_BASIC.contains(c) {
        Some(1)
    } else if GSM7_EXTENSION.contains(c) {
        Some(2)
    } else {
        None
    }
}

/// Segments for characters of the given sizes: one if they all fit in
/// `single`, else filled greedily up to `per_segment`, never splitting a
/// character.
fn count_segments(sizes: impl Iterator<Item = i64> + Clone, single: i64, per_segment: i64) -> i64 {
    if sizes.clone().sum::<i64>() <= single {
        return 1;
    }
    let (mut segments, mut filled) = (1, 0);
    for size in sizes {
        if filled + size > per_segment {
            segments += 1;
            filled = 0;
        }
        filled += size;
    }
    segments
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(body: &str, encoding: SmsEncoding, count: i64) {
        let shown: String = body.chars().take(12).collect();
        let length = body.chars().count();
        assert_eq!(count_sms_segments(body), SmsSegments { encoding, count }, "{shown:?}… ({length} characters)");
    }

    fn repeat(piece: &str, times: usize) -> String {
        piece.repeat(times)
    }

    #[test]
    fn counts_segments_like_the_carriers() {
        use SmsEncoding::{Gsm7, Ucs2};
        let a = |n| repeat("a", n);
        let zh = |n| repeat("ж", n);
        let cases: Vec<(String, SmsEncoding, i64)> = vec![
            (String::new(), Gsm7, 1),
            ("Your booking is confirmed: Tue 3 PM. Reply C to confirm.".to_owned(), Gsm7, 1),
            (a(160), Gsm7, 1),
            (a(161), Gsm7, 2),
            (a(306), Gsm7, 2),
            (a(307), Gsm7, 3),
            // `€` is two septets: 158 + 2 fits, 159 + 2 does not.
            (a(158) + "€", Gsm7, 1),
            (a(159) + "€", Gsm7, 2),
            (repeat("€", 80), Gsm7, 1),
            (repeat("€", 81), Gsm7, 2),
            // Nine extension characters are 18 septets: 8 × 18 + 16 = 160.
            (repeat("^{}\\[~]|\u{0C}", 8) + &a(16), Gsm7, 1),
            (repeat("^{}\\[~]|\u{0C}", 8) + &a(17), Gsm7, 2),
            // 306 septets either way, but an escape pair never straddles two segments.
            (a(153) + "€" + &a(151), Gsm7, 2),
            (a(152) + "€" + &a(152), Gsm7, 3),
            // Accented letters of the basic set stay GSM-7; others do not.
            ("Café, Ça, Ñoño, Ærø, ¿Qué?, ¡Sì! Δ Ω ß § @ £ $ ¥ ò ù Ü ¤".to_owned(), Gsm7, 1),
            ("Line\nbreak\r\n".to_owned(), Gsm7, 1),
            ("ça".to_owned(), Ucs2, 1),
            ("α".to_owned(), Ucs2, 1),
            ("See you at 3 PM, you’re booked".to_owned(), Ucs2, 1),
            ("“Quoted”".to_owned(), Ucs2, 1),
            ("tab\t".to_owned(), Ucs2, 1),
            ("😀".to_owned(), Ucs2, 1),
            // One emoji turns 159 plain characters into UCS-2: 161 units, 67 + 67 + 27.
            (a(159) + "😀", Ucs2, 3),
            (zh(70), Ucs2, 1),
            (zh(71), Ucs2, 2),
            (zh(134), Ucs2, 2),
            (zh(135), Ucs2, 3),
            // An emoji is two units: 69 + 2 overflow a single message, 69 + 1 do not.
            (zh(69) + "😀", Ucs2, 2),
            (zh(69) + "é", Ucs2, 1),
            (repeat("😀", 35), Ucs2, 1),
            (repeat("😀", 36), Ucs2, 2),
            // 134 units either way, but a surrogate pair never straddles two segments.
            (zh(65) + "😀" + &zh(67), Ucs2, 2),
            (zh(66) + "😀" + &zh(66), Ucs2, 3),
        ];
        for (body, encoding, count) in cases {
            check(&body, encoding, count);
        }
    }

    #[test]
    fn the_character_tables_match_gsm_03_38() {
        let basic: Vec<char> = GSM7_BASIC.chars().collect();
        // 128 code points, less the escape.
        assert_eq!(basic.len(), 127);
        let mut distinct = basic.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), 127, "a character appears twice");
        assert_eq!(GSM7_EXTENSION.chars().count(), 10);
        assert!(GSM7_EXTENSION.chars().all(|c| !GSM7_BASIC.contains(c)));
        // The code of a character is its position, plus one after the absent escape.
        let code_of = |c| basic.iter().position(|&b| b == c).map(|i| if i >= 0x1B { i + 1 } else { i });
        let codes = [
            ('@', 0x00),
            ('$', 0x02),
            ('Ç', 0x09),
            ('\n', 0x0A),
            ('_', 0x11),
            ('Ξ', 0x1A),
            ('Æ', 0x1C),
            ('¤', 0x24),
            ('¡', 0x40),
            ('A', 0x41),
            ('§', 0x5F),
            ('¿', 0x60),
            ('à', 0x7F),
        ];
        for (c, code) in codes {
            assert_eq!(code_of(c), Some(code), "{c:?}");
        }
    }
}
