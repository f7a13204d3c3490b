//! Booking confirmation codes read out by the caller.

/// The characters a booking code may contain: no 0/O, 1/I/L, 2/Z, 5/S, 8/B,
/// which sound or look alike.
pub const CODE_ALPHABET: &str = "ACDEFGHJKMNPQRTUVWXY34679";

pub const CODE_LENGTH: usize = 6;

const NATO: &[(&str, char)] = &[
    ("alpha", 'A'),
    ("alfa", 'A'),
    ("charlie", 'C'),
    ("delta", 'D'),
    ("echo", 'E'),
    ("foxtrot", 'F'),
    ("golf", 'G'),
    ("hotel", 'H'),
    ("juliet", 'J'),
    ("juliett", 'J'),
    ("kilo", 'K'),
    ("mike", 'M'),
    ("november", 'N'),
    ("papa", 'P'),
    ("quebec", 'Q'),
    ("romeo", 'R'),
    ("tango", 'T'),
    ("uniform", 'U'),
    ("victor", 'V'),
    ("whiskey", 'W'),
    ("whisky", 'W'),
    ("xray", 'X'),
    ("yankee", 'Y'),
];

/// How letters and digits sound when spoken. The second field marks words that
/// are also everyday English ("a", "are", "you"), trusted only inside a code.
const SPOKEN: &[(&str, char, bool)] = &[
    ("ay", 'A', false),
    ("aye", 'A', false),
    ("cee", 'C', false),
    ("see", 'C', true),
    ("sea", 'C', true),
    ("dee", 'D', false),
    ("eff", 'F', false),
    ("ef", 'F', false),
    ("gee", 'G', false),
    ("jee", 'G', false),
    ("aitch", 'H', false),
    ("haitch", 'H', false),
    ("jay", 'J', false),
    ("kay", 'K', false),
    ("kaye", 'K', false),
    ("em", 'M', false),
    ("en", 'N', false),
    ("pee", 'P', false),
    ("pea", 'P', true),
    ("cue", 'Q', false),
    ("queue", 'Q', false),
    ("kyu", 'Q', false),
    ("are", 'R', true),
    ("ar", 'R', false),
    ("arr", 'R', false),
    ("tee", 'T', false),
    ("tea", 'T', true),
    ("you", 'U', true),
    ("yu", 'U', false),
    ("vee", 'V', false),
    ("ex", 'X', true),
    ("why", 'Y', true),
    ("wye", 'Y', false),
    ("three", '3', false),
    ("four", '4', false),
    ("for", '4', true),
    ("six", '6', false),
    ("seven", '7', false),
    ("nine", '9', false),
];

/// Words that may sit between the characters of a code.
const GLUE: &[&str] = &["uh", "um", "umm", "er", "erm", "hmm", "then", "and", "dash", "hyphen", "space", "comma"];

/// The six-character booking code in `text`, uppercase, or `None`.
///
/// Understands codes typed as one word ("k7m3qx", "K7M-3QX"), characters
/// spoken one by one ("K 7 M 3 Q X"), letter names ("kay seven em three cue
/// ex"), NATO words ("kilo seven mike ...") and spelling aids ("K as in kilo",
/// "M for Mary", "X like x-ray"). Words that are also English ("a", "are",
/// "you", "see", "for") count only where they extend a code to exactly six
/// characters. When several codes are said the last one wins (a correction).
pub fn extract_code(text: &str) -> Option<String> {
    let tokens = code_tokens(text);
    // Capitals only mark a code when the rest of the text is not shouted.
    let capitals_mean_code = text.chars().any(char::is_lowercase);
    let mut runs: Vec<Vec<Piece>> = vec![Vec::new()];
    let mut i = 0;
    while i < tokens.len() {
        let (original, lower) = (&tokens[i].0, tokens[i].1.as_str());
        let next = tokens.get(i + 1).map_or("", |t| t.1.as_str());
        let last_letter = runs.last().and_then(|run| run.last()).and_then(|piece| piece.text.chars().last());

        // Spelling aids: "K as in kilo", "M for Mary", "X like x-ray".
        let aid_length = match (lower, next) {
            ("as", "in") => 2,
            ("for" | "like", _) if last_letter.is_some() => 1,
            _ => 0,
        };
        if aid_length > 0
            && let Some(letter) = last_letter
            && let Some(example) = tokens.get(i + aid_length).map(|t| t.1.as_str())
            && example.starts_with(letter.to_ascii_lowercase())
        {
            i += aid_length + 1;
            if example == "x" && tokens.get(i).is_some_and(|t| t.1 == "ray") {
                i += 1;
            }
            continue;
        }
        if lower == "x" && next == "ray" {
            push(&mut runs, "X", false);
            i += 2;
            continue;
        }
        if lower == "double" && matches!(next, "you" | "u") {
            push(&mut runs, "W", false);
            i += 2;
            continue;
        }
        if matches!(lower, "double" | "triple") && i + 1 < tokens.len() {
            let times = if lower == "double" { 2 } else { 3 };
            if let Some(piece) = piece_for(&tokens[i + 1].0, &tokens[i + 1].1, capitals_mean_code) {
                push(&mut runs, &piece.text.repeat(times), piece.weak);
                i += 2;
                continue;
            }
        }
        if GLUE.contains(&lower) {
            i += 1;
            continue;
        }
        match piece_for(original, lower, capitals_mean_code) {
            Some(piece) => push(&mut runs, &piece.text, piece.weak),
            None => runs.push(Vec::new()),
        }
        i += 1;
    }
    runs.iter().rev().find_map(|run| code_in(run))
}

struct Piece {
    text: String,
    weak: bool,
}

fn push(runs: &mut [Vec<Piece>], text: &str, weak: bool) {
    if let Some(run) = runs.last_mut() {
        run.push(Piece { text: text.to_owned(), weak });
    }
}

/// Splits on anything but letters and digits, keeping the original case.
fn code_tokens(text: &str) -> Vec<(String, String)> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(|word| (word.to_owned(), word.to_lowercase()))
        .collect()
}

fn in_alphabet(c: char) -> bool {
    CODE_ALPHABET.contains(c.to_ascii_uppercase())
}

fn piece_for(original: &str, lower: &str, capitals_mean_code: bool) -> Option<Piece> {
    if let Some((_, letter)) = NATO.iter().find(|(word, _)| *word == lower) {
        return Some(Piece { text: letter.to_string(), weak: false });
    }
    if let Some((_, letter, weak)) = SPOKEN.iter().find(|(word, _, _)| *word == lower) {
        return Some(Piece { text: letter.to_string(), weak: *weak });
    }
    let chars: Vec<char> = lower.chars().collect();
    if chars.len() == 1 {
        let c = chars[0];
        return in_alphabet(c).then(|| Piece { text: c.to_ascii_uppercase().to_string(), weak: c == 'a' });
    }
    if chars.len() > CODE_LENGTH || !chars.iter().all(|c| c.is_ascii_alphanumeric() && in_alphabet(*c)) {
        return None;
    }
    // A word of several characters is a chunk of code only if it cannot be an
    // English word: it has a digit, was typed in capitals, or has no vowels.
    let vowels = chars.iter().filter(|c| matches!(c, 'a' | 'e' | 'i' | 'o' | 'u' | 'y')).count();
    let has_digit = chars.iter().any(char::is_ascii_digit);
    let capitals = capitals_mean_code && original.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    let chunk = has_digit || capitals || vowels == 0 || (chars.len() == CODE_LENGTH && vowels <= 1);
    chunk.then(|| Piece { text: lower.to_ascii_uppercase(), weak: false })
}

/// The code in one run of pieces, trimming ambiguous words at the edges when
/// the run is too long.
fn code_in(run: &[Piece]) -> Option<String> {
    let mut start = 0;
    let mut end = run.len();
    loop {
        let pieces = &run[start..end];
        let length: usize = pieces.iter().map(|piece| piece.text.len()).sum();
        if length == CODE_LENGTH && pieces.iter().any(|piece| !piece.weak) {
            return Some(pieces.iter().map(|piece| piece.text.as_str()).collect());
        }
        if length < CODE_LENGTH {
            return None;
        }
        if pieces.first().is_some_and(|piece| piece.weak) {
            start += 1;
        } else if pieces.last().is_some_and(|piece| piece.weak) {
            end -= 1;
        } else {
            return None;
        }
    }
}
