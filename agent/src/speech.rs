//! Text that a voice reads well: no URL, no Markdown, no abbreviation a synthesiser stumbles
//! on; times, prices and phone numbers written the way they are said; a website named in words
//! ("villebourg point example").

use chrono::{DateTime, Datelike, Timelike, Utc};
use chrono_tz::Tz;
use guichet_knowledge::{Schedule, ScheduleQuery};

/// Abbreviations and symbols, and what to say instead (matched as whole words).
const SPOKEN: &[(&str, &str)] = &[
    ("RDV", "rendez-vous"),
    ("rdv", "rendez-vous"),
    ("CNI", "carte d'identité"),
    ("n°", "numéro"),
    ("N°", "numéro"),
    ("tél.", "téléphone"),
    ("Tél.", "téléphone"),
    ("tel.", "téléphone"),
    ("etc.", "et cetera"),
    ("env.", "environ"),
    ("Mme", "Madame"),
    ("M.", "Monsieur"),
    ("&", "et"),
    ("€", "euros"),
    ("%", "pour cent"),
    ("1er", "premier"),
    ("1re", "première"),
    ("ex.", "par exemple"),
    ("cf.", "voir"),
    ("h.", "heures."),
];

/// Makes a fiche's prose speakable: removes URLs and Markdown marks, expands abbreviations,
/// says "8h30" as "8 heures 30" and "25€" as "25 euros".
pub fn speakable(text: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    for raw in text.split_whitespace() {
        let word = raw.trim_matches(|c| matches!(c, '*' | '_' | '`' | '#' | '>'));
        if word.is_empty() || is_url(word) {
            // A sentence ending on the URL keeps its full stop.
            if raw.ends_with('.')
                && let Some(last) = out.last_mut()
                && !last.ends_with(['.', '!', '?'])
            {
                last.push('.');
            }
            continue;
        }
        out.push(spoken_word(word));
    }
    out.join(" ")
        .replace(" :.", ".")
        .replace("().", ".")
        .replace(" ()", "")
}

fn is_url(word: &str) -> bool {
    let lower = word.trim_start_matches(['(', '«', '"', '[']).to_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://") || lower.starts_with("www.")
}

fn spoken_word(word: &str) -> String {
    if let Some((_, said)) = SPOKEN.iter().find(|(written, _)| *written == word) {
        return (*said).to_owned();
    }
    // Punctuation around the word is kept.
    let core = word.trim_end_matches(['.', ',', ';', ':', '!', '?', ')']);
    let tail = &word[core.len()..];
    if let Some(time) = spoken_time(core) {
        return format!("{time}{tail}");
    }
    if let Some(amount) = core
        .strip_suffix('€')
        .filter(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit() || c == ','))
    {
        return format!("{amount} euros{tail}");
    }
    if let Some((_, said)) = SPOKEN.iter().find(|(written, _)| *written == core) {
        return format!("{said}{tail}");
    }
    word.to_owned()
}

/// "8h30" → "8 heures 30", "14h" → "14 heures", "9h00" → "9 heures".
fn spoken_time(word: &str) -> Option<String> {
    let (hours, minutes) = word.split_once(['h', 'H'])?;
    if hours.is_empty() || hours.len() > 2 || !hours.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    if !(minutes.is_empty() || (minutes.len() == 2 && minutes.chars().all(|c| c.is_ascii_digit())))
    {
        return None;
    }
    let hours: u32 = hours.parse().ok()?;
    let minutes: u32 = if minutes.is_empty() {
        0
    } else {
        minutes.parse().ok()?
    };
    (hours < 24 && minutes < 60).then(|| hour_words(hours, minutes))
}

/// "13 heures 30", "9 heures", "midi", "midi 30" are avoided: a plain and unambiguous form.
pub fn hour_words(hours: u32, minutes: u32) -> String {
    let unit = if hours <= 1 { "heure" } else { "heures" };
    if minutes == 0 {
        format!("{hours} {unit}")
    } else {
        format!("{hours} {unit} {minutes:02}")
    }
}

/// A website said in words: "https://www.villebourg.example/espace" → "villebourg point example".
pub fn site_in_words(url: &str) -> String {
    let host = url::Url::parse(url)
        .ok()
        .and_then(|parsed| parsed.host_str().map(str::to_owned))
        .unwrap_or_else(|| {
            url.trim_start_matches("https://")
                .trim_start_matches("http://")
                .split('/')
                .next()
                .unwrap_or("")
                .to_owned()
        });
    let host = host.strip_prefix("www.").unwrap_or(&host);
    host.split('.')
        .map(|part| part.replace('-', " tiret "))
        .collect::<Vec<_>>()
        .join(" point ")
}

/// A French phone number as it is read: "+33130001111" → "01 30 00 11 11".
pub fn phone_in_words(number: &str) -> String {
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    let national = match digits.strip_prefix("33") {
        Some(rest) if number.trim_start().starts_with('+') && rest.len() == 9 => format!("0{rest}"),
        _ => digits,
    };
    let pairs = |digits: &str| {
        digits
            .as_bytes()
            .chunks(2)
            .map(|pair| String::from_utf8_lossy(pair).into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    };
    match national.len() {
        // 01 30 00 00 00; a short service number: 36 46.
        10 | 4 => pairs(&national),
        // The European numbers: 116 006.
        6 => format!("{} {}", &national[..3], &national[3..]),
        _ => national,
    }
}

/// Whether `text` already gives `phone`, however its digits are grouped ("32 30", "3230",
/// "01 39 49 78 00" for +33139497800).
pub fn gives_number(text: &str, phone: &str) -> bool {
    let wanted: String = phone_in_words(phone)
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    // Each number of the text as its digits, the spaces and dots between groups dropped.
    let mut numbers = Vec::new();
    let mut current = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let between_groups =
            matches!(c, ' ' | '.' | '\u{a0}') && chars.peek().is_some_and(char::is_ascii_digit);
        if c.is_ascii_digit() {
            current.push(c);
        } else if !current.is_empty() && !between_groups {
            numbers.push(std::mem::take(&mut current));
        }
    }
    numbers.push(current);
    !wanted.is_empty() && numbers.contains(&wanted)
}

/// The days' French names, Monday first.
pub const WEEKDAYS: [&str; 7] = [
    "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
];
/// The months' French names, said by the robot and written by the console.
pub const MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

/// When something happens, said from the point of view of `now` (both in the commune's
/// timezone): "aujourd'hui lundi à 13 heures 30", "demain mardi à 8 heures 30", "jeudi à 9
/// heures", "le vendredi 15 mai à 8 heures 30".
pub fn when_in_words(now: DateTime<Tz>, at: DateTime<Tz>) -> String {
    let weekday = WEEKDAYS[at.weekday().num_days_from_monday() as usize];
    let hour = hour_words(at.hour(), at.minute());
    let days = (at.date_naive() - now.date_naive()).num_days();
    match days {
        0 => format!("aujourd'hui {weekday} à {hour}"),
        1 => format!("demain {weekday} à {hour}"),
        2..=6 => format!("{weekday} à {hour}"),
        _ => {
            let day = if at.day() == 1 {
                "premier".to_owned()
            } else {
                at.day().to_string()
            };
            format!(
                "le {weekday} {day} {} à {hour}",
                MONTHS[at.month0() as usize]
            )
        }
    }
}

/// When a place with this schedule opens next, in words from `now` (see [`when_in_words`]);
/// `None` when it does not open within the schedule's horizon.
pub fn next_opening_in_words(schedule: &Schedule, now: DateTime<Utc>) -> Option<String> {
    let tz = schedule.timezone();
    let next = schedule.next_opening(now)?;
    Some(when_in_words(
        now.with_timezone(&tz),
        next.with_timezone(&tz),
    ))
}

/// Spells a reference for the voice: "SIG-1A2B3C" → "S I G, 1 A 2 B 3 C".
pub fn spelled(reference: &str) -> String {
    reference
        .split('-')
        .map(|part| part.chars().map(String::from).collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use chrono_tz::Europe::Paris;

    #[test]
    fn urls_and_markdown_are_not_spoken() {
        let text =
            "Prenez **rendez-vous** sur https://www.villebourg.example/rdv. Ou venez en mairie.";
        assert_eq!(
            speakable(text),
            "Prenez rendez-vous sur. Ou venez en mairie."
        );
        assert!(!speakable("voir www.ants.gouv.fr").contains("www"));
    }

    #[test]
    fn times_prices_and_abbreviations() {
        assert_eq!(
            speakable("ouvert de 8h30 à 12h."),
            "ouvert de 8 heures 30 à 12 heures."
        );
        assert_eq!(
            speakable("timbre de 86€, prendre RDV"),
            "timbre de 86 euros, prendre rendez-vous"
        );
        assert_eq!(
            speakable("le 1er étage, etc."),
            "le premier étage, et cetera"
        );
    }

    #[test]
    fn websites_and_phones_in_words() {
        assert_eq!(
            site_in_words("https://www.villebourg.example/espace-citoyen"),
            "villebourg point example"
        );
        assert_eq!(
            site_in_words("https://ants.gouv.fr"),
            "ants point gouv point fr"
        );
        assert_eq!(
            site_in_words("https://www.agglo-valdexemple.example"),
            "agglo tiret valdexemple point example"
        );
        assert_eq!(phone_in_words("+33130001111"), "01 30 00 11 11");
        assert_eq!(phone_in_words("3646"), "36 46");
        assert_eq!(phone_in_words("116006"), "116 006");
        assert_eq!(phone_in_words("119"), "119");
        assert_eq!(spelled("SIG-1A2B3C"), "S I G, 1 A 2 B 3 C");
    }

    #[test]
    fn a_number_already_given_is_recognised_however_grouped() {
        let text = "Vous pouvez la joindre au 32 30, ou au 01.39.49.78.00 du lundi au vendredi.";
        assert!(gives_number(text, "3230"));
        assert!(gives_number(text, "+33139497800"));
        assert!(!gives_number(text, "3646"));
        assert!(
            !gives_number("Appelez le 3230 4", "3230"),
            "a longer number is another"
        );
    }

    #[test]
    fn opening_said_in_words() {
        let now = Paris
            .with_ymd_and_hms(2026, 3, 9, 9, 30, 0)
            .single()
            .unwrap_or_else(|| Paris.timestamp_opt(0, 0).unwrap());
        let at = |d, h, m| {
            Paris
                .with_ymd_and_hms(2026, 3, d, h, m, 0)
                .single()
                .unwrap_or(now)
        };
        assert_eq!(
            when_in_words(now, at(9, 13, 30)),
            "aujourd'hui lundi à 13 heures 30"
        );
        assert_eq!(
            when_in_words(now, at(10, 8, 30)),
            "demain mardi à 8 heures 30"
        );
        assert_eq!(when_in_words(now, at(14, 9, 0)), "samedi à 9 heures");
        assert_eq!(
            when_in_words(now, at(16, 13, 30)),
            "le lundi 16 mars à 13 heures 30"
        );
    }
}
