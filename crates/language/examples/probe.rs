fn main() {
    let now = chrono::NaiveDate::from_ymd_opt(2026, 3, 11).and_then(|d| d.and_hms_opt(10, 30, 0)).unwrap_or_default();
    for arg in std::env::args().skip(1) {
        println!(
            "{arg:?}\n  norm={:?}\n  when={:?}\n  intents={:?}\n  yes_no={:?} name={:?} code={:?}",
            frontdesk_language::normalize(&arg),
            frontdesk_language::extract_when(&arg, now),
            frontdesk_language::classify(&arg),
            frontdesk_language::yes_no(&arg),
            frontdesk_language::extract_name(&arg, true),
            frontdesk_language::extract_code(&arg)
        );
    }
}
