//! How the console writes figures for French readers: « 12,5 % », « 1 234 »,
//! « 3 décembre 2026 », « 3 décembre 2026 à 14 h 05 », « 4 min 05 s ». One rule per kind of
//! figure, used by every page (never `{:.1}` or `%d/%m` in a handler).

use chrono::{Datelike, Timelike};
use guichet_agent::speech::MONTHS;

/// Narrow no-break space, the French thousands separator.
const NNBSP: char = '\u{202f}';
/// No-break space, before « % » (never alone at the start of a line).
const NBSP: char = '\u{a0}';

/// A whole number with French digit grouping: « 12 345 ».
pub fn integer(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 * 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(NNBSP);
        }
        out.push(c);
    }
    out
}

/// A count and its noun, agreed: « 1 rappel », « 2 rappels », « 0 rappel ».
pub fn counted(n: usize, singular: &str, plural: &str) -> String {
    format!("{} {}", integer(n), if n > 1 { plural } else { singular })
}

/// A number with one decimal and a comma: « 12,5 ».
pub fn decimal(value: f64) -> String {
    let value = if value.is_finite() { value } else { 0.0 };
    let text = format!("{:.1}", value.abs());
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, "0"));
    let whole: usize = whole.parse().unwrap_or(0);
    let sign = if value < 0.0 && text != "0.0" {
        "-"
    } else {
        ""
    };
    format!("{sign}{},{fraction}", integer(whole))
}

/// A percentage (already in percent): « 12,5 % ».
pub fn percent(value: f64) -> String {
    format!("{}{NBSP}%", decimal(value))
}

/// A fraction (0.953) as a percentage: « 95,3 % ».
pub fn fraction_percent(fraction: f64) -> String {
    percent(fraction * 100.0)
}

/// A day: « 3 décembre 2026 » (« 1er » for the first of the month).
pub fn date(at: &impl Datelike) -> String {
    let day = match at.day() {
        1 => "1er".to_string(),
        d => d.to_string(),
    };
    format!("{day} {} {}", MONTHS[at.month0() as usize], at.year())
}

/// A short day for chart axes: « 3 déc. ».
pub fn short_date(at: &impl Datelike) -> String {
    let month = MONTHS[at.month0() as usize];
    let short = if month.chars().count() <= 4 {
        month.to_string()
    } else {
        format!("{}.", month.chars().take(3).collect::<String>())
    };
    format!("{} {short}", at.day())
}

/// A moment: « 3 décembre 2026 à 14 h 05 ».
pub fn date_time(at: &(impl Datelike + Timelike)) -> String {
    format!("{} à {} h {:02}", date(at), at.hour(), at.minute())
}

/// A duration: « 45 s », « 4 min 05 s », « 2 h 03 min ».
pub fn duration(duration: chrono::Duration) -> String {
    let seconds = duration.num_seconds().max(0);
    let (hours, minutes, secs) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    if hours > 0 {
        format!("{hours} h {minutes:02} min")
    } else if minutes > 0 {
        format!("{minutes} min {secs:02} s")
    } else {
        format!("{secs} s")
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;

    #[test]
    fn numbers_have_a_comma_and_grouped_digits() {
        assert_eq!(percent(12.5), "12,5\u{a0}%");
        assert_eq!(percent(100.0 / 3.0), "33,3\u{a0}%");
        assert_eq!(percent(0.0), "0,0\u{a0}%");
        assert_eq!(fraction_percent(0.985), "98,5\u{a0}%");
        assert_eq!(integer(1234567), "1\u{202f}234\u{202f}567");
        assert_eq!(integer(999), "999");
        assert_eq!(counted(0, "rappel", "rappels"), "0 rappel");
        assert_eq!(counted(2, "rappel", "rappels"), "2 rappels");
        assert_eq!(decimal(f64::NAN), "0,0");
        assert_eq!(decimal(-2.25), "-2,2");
    }

    #[test]
    fn dates_and_durations_read_in_french() {
        let at = Utc
            .with_ymd_and_hms(2026, 12, 3, 14, 5, 0)
            .single()
            .expect("a valid date");
        assert_eq!(date(&at), "3 décembre 2026");
        assert_eq!(date_time(&at), "3 décembre 2026 à 14 h 05");
        assert_eq!(short_date(&at), "3 déc.");
        let first = Utc
            .with_ymd_and_hms(2026, 5, 1, 9, 0, 0)
            .single()
            .expect("a valid date");
        assert_eq!(date(&first), "1er mai 2026");
        assert_eq!(short_date(&first), "1 mai");
        assert_eq!(duration(chrono::Duration::seconds(245)), "4 min 05 s");
        assert_eq!(duration(chrono::Duration::seconds(45)), "45 s");
        assert_eq!(duration(chrono::Duration::seconds(7380)), "2 h 03 min");
        assert_eq!(duration(chrono::Duration::seconds(-5)), "0 s");
    }
}
