//! "La mairie ouvre à quelle heure ?": answered from the commune's own fiche about its hours,
//! else from `opening_hours` in `commune.toml` (what the robot already reads to choose between
//! a transfer and a callback): whether it is open now, until when or when it opens next, and
//! its usual week, said, and texted to a mobile in short.

use std::sync::LazyLock;

use chrono::{DateTime, Timelike, Utc, Weekday};
use guichet_knowledge::text::{is_generic_word, is_stop_word};
use guichet_knowledge::{DayHours, Schedule, ScheduleQuery, normalize};

use crate::intents::{Lexicon, words};
use crate::speech::{MONTHS, WEEKDAYS, hour_words, next_opening_in_words};
use crate::turn::TurnInProgress;

/// The decision rule of an answer to "when is the mairie open".
const RULE: &str = "mairie_hours";

/// How the folder is asked for the commune's fiche about its hours.
pub(super) const HOURS_QUESTION: &str = "quels sont les horaires d'ouverture de la mairie";

/// Asking when it is open. Not « ouverture » alone (« l'ouverture d'un commerce »).
pub(super) static WHEN: LazyLock<Lexicon> = LazyLock::new(|| {
    Lexicon::new(&[
        "horaires",
        "horaire",
        "heures d'ouverture",
        "heure d'ouverture",
        "jours d'ouverture",
        "heure de fermeture",
        "ouvert",
        "ouverte",
        "ouverts",
        "ouvertes",
        "ouvre",
        "ouvrez",
        "ouvrent",
        "ouvrira",
        "fermé",
        "fermée",
        "fermés",
        "fermées",
        "fermez",
        "ferment",
        "fermera",
        "à quelle heure",
        "jusqu'à quelle heure",
    ])
});

/// The months' names as [`normalize`] writes them.
static MONTH_WORDS: LazyLock<Vec<String>> =
    LazyLock::new(|| MONTHS.iter().map(|month| normalize(month)).collect());

/// « c'est ouvert demain ? »: a question about the hours that names nothing but when (no
/// mairie, no other place) is about the mairie, which the caller is calling.
pub(super) fn asks_only_when_open(normalized: &str) -> bool {
    if !WHEN.found_in(&words(normalized)) {
        return false;
    }
    words(&WHEN.removed_from(normalized)).iter().all(|word| {
        is_stop_word(word)
            || is_generic_word(word)
            || MONTH_WORDS.iter().any(|month| month == word)
            || word.chars().all(|c| c.is_ascii_digit())
    })
}

impl TurnInProgress<'_> {
    /// Answers when the mairie is open: its own fiche about its hours, else `opening_hours`
    /// of `commune.toml`. False when the schedule never opens (nothing true to say).
    pub fn mairie_opening_hours(&mut self) -> bool {
        if self.commune_fiche_answers(HOURS_QUESTION, RULE) {
            return true;
        }
        let name = &self.kb().commune().name;
        let Some(hours) = Hours::of(self.kb().opening_hours(), self.ctx.now, Gender::Feminine)
        else {
            return false;
        };
        let sentence = format!("En ce moment, la mairie de {name} {}", hours.said);
        let sms = format!("Mairie de {name}, horaires : {}", hours.written);
        self.answer_from_commune_toml(
            RULE,
            "horaires de la mairie donnés",
            sentence,
            sms,
            "Je vous envoie les horaires par SMS.",
        );
        true
    }
}

/// How the sentences about a place's hours speak of it: the mairie (« elle est ouverte »), or
/// the reception desk of any other place (« l'accueil… il est ouvert »).
#[derive(Debug, Clone, Copy)]
pub(super) enum Gender {
    Feminine,
    Masculine,
}

impl Gender {
    fn pronoun(self) -> &'static str {
        match self {
            Gender::Feminine => "elle",
            Gender::Masculine => "il",
        }
    }

    /// « ouvert » → « ouverte ».
    fn agreed(self, participle: &str) -> String {
        match self {
            Gender::Feminine => format!("{participle}e"),
            Gender::Masculine => participle.to_owned(),
        }
    }
}

/// A place's hours in words, from its schedule.
pub(super) struct Hours {
    /// Whether it is open now and until when, or when it opens, then its usual week: « est
    /// ouverte, jusqu'à 12 heures. Elle est ouverte le lundi… Elle est fermée le dimanche. »
    pub said: String,
    /// The usual week in short, for an SMS: « lun. 13h30-17h30 ; … Fermé les jours fériés. »
    pub written: String,
}

impl Hours {
    /// `None` when the schedule never opens (nothing true to say).
    pub(super) fn of(schedule: &Schedule, now: DateTime<Utc>, gender: Gender) -> Option<Hours> {
        let tz = schedule.timezone();
        let open = gender.agreed("ouvert");
        let now_words = if schedule.is_open(now) {
            let until = schedule
                .next_change(now)
                .map(|close| close.with_timezone(&tz))
                .filter(|close| close.date_naive() == now.with_timezone(&tz).date_naive())
                .map(|close| format!(", jusqu'à {}", hour_words(close.hour(), close.minute())));
            format!("est {open}{}", until.unwrap_or_default())
        } else {
            format!(
                "est {} ; {} ouvrira {}",
                gender.agreed("fermé"),
                gender.pronoun(),
                next_opening_in_words(schedule, now)?
            )
        };
        let week = schedule.usual_week(now);
        let holidays = schedule.closed_on_public_holidays(now);
        Some(Hours {
            said: format!("{now_words}. {}", week_said(&week, holidays, gender)),
            written: week_written(&week, holidays),
        })
    }
}

/// Runs of consecutive days open at the same hours, in week order.
fn open_runs(week: &[DayHours]) -> Vec<&[DayHours]> {
    week.chunk_by(|a, b| a.open == b.open)
        .filter(|run| !run[0].open.is_empty())
        .collect()
}

fn day_said(day: Weekday) -> &'static str {
    WEEKDAYS[day.num_days_from_monday() as usize]
}

/// "lun.", "mar.", … "dim.": the first three letters.
fn day_written(day: Weekday) -> String {
    format!("{}.", &day_said(day)[..3])
}

/// Whether a time of the schedule (minutes after midnight) is the midnight that ends a day.
fn is_midnight_end(minutes: u32) -> bool {
    minutes > 0 && minutes.is_multiple_of(24 * 60)
}

/// A time of the schedule (minutes after midnight, maybe past 24:00) in words.
fn time_said(minutes: u32) -> String {
    if is_midnight_end(minutes) {
        return "minuit".to_owned();
    }
    hour_words(minutes / 60 % 24, minutes % 60)
}

fn time_written(minutes: u32) -> String {
    if is_midnight_end(minutes) {
        return "24h".to_owned();
    }
    match minutes % 60 {
        0 => format!("{}h", minutes / 60 % 24),
        rest => format!("{}h{rest:02}", minutes / 60 % 24),
    }
}

/// "a", "a et b", "a, b et c".
fn listed(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} et {last}", init.join(", ")),
    }
}

/// The usual week said: "Elle est ouverte le lundi de 13 heures 30 à 17 heures 30, du mardi
/// au vendredi de 8 heures 30 à 12 heures et de 13 heures 30 à 17 heures 30. Elle est fermée
/// le dimanche et les jours fériés."
fn week_said(week: &[DayHours], closed_on_holidays: bool, gender: Gender) -> String {
    let runs: Vec<String> = open_runs(week)
        .iter()
        .map(|run| {
            let (first, last) = (day_said(run[0].day), day_said(run[run.len() - 1].day));
            let days = match run.len() {
                1 => format!("le {first}"),
                2 => format!("le {first} et le {last}"),
                _ => format!("du {first} au {last}"),
            };
            let spans: Vec<String> = run[0]
                .open
                .iter()
                .map(|span| format!("de {} à {}", time_said(span.start), time_said(span.end)))
                .collect();
            format!("{days} {}", listed(&spans))
        })
        .collect();
    let mut closed: Vec<String> = week
        .iter()
        .filter(|day| day.open.is_empty())
        .map(|day| format!("le {}", day_said(day.day)))
        .collect();
    if closed_on_holidays {
        closed.push("les jours fériés".to_owned());
    }
    let mut pronoun = gender.pronoun().to_owned();
    pronoun[..1].make_ascii_uppercase();
    let mut said = String::new();
    if !runs.is_empty() {
        said = format!(
            "{pronoun} est {} {}.",
            gender.agreed("ouvert"),
            runs.join(", ")
        );
    }
    if !closed.is_empty() {
        said.push_str(&format!(
            " {pronoun} est {} {}.",
            gender.agreed("fermé"),
            listed(&closed)
        ));
    }
    said.trim_start().to_owned()
}

/// The usual week in short, for an SMS: "lun. 13h30-17h30 ; mar.-ven. 8h30-12h, 13h30-17h30 ;
/// sam. 9h-12h. Fermé les jours fériés."
fn week_written(week: &[DayHours], closed_on_holidays: bool) -> String {
    let runs: Vec<String> = open_runs(week)
        .iter()
        .map(|run| {
            let first = day_written(run[0].day);
            let days = match run.len() {
                1 => first,
                _ => format!("{first}-{}", day_written(run[run.len() - 1].day)),
            };
            let spans: Vec<String> = run[0]
                .open
                .iter()
                .map(|span| format!("{}-{}", time_written(span.start), time_written(span.end)))
                .collect();
            format!("{days} {}", spans.join(", "))
        })
        .collect();
    let mut written = format!("{}.", runs.join(" ; "));
    if closed_on_holidays {
        written.push_str(" Fermé les jours fériés.");
    }
    written
}

#[cfg(test)]
mod tests {
    use guichet_knowledge::Schedule;

    use super::*;

    fn asks(text: &str) -> bool {
        crate::mairie::asks_of_the_mairie(&WHEN, &normalize(text))
    }

    #[test]
    fn when_questions_about_the_mairie() {
        for text in [
            "la mairie ouvre à quelle heure",
            "vous êtes ouverts le samedi",
            "c'est quoi vos horaires",
            "vous fermez à quelle heure ce soir",
            "est-ce que la mairie est ouverte le 15 août",
            "LA MAIRIE EST FERMÉE ENTRE MIDI ET DEUX ?",
        ] {
            assert!(asks(text), "{text}");
        }
    }

    #[test]
    fn hours_questions_that_name_nothing_else() {
        for text in [
            "c'est ouvert demain matin ?",
            "euh bonjour c'est ouvert le 15 août",
            "c'est fermé entre midi et deux",
        ] {
            assert!(asks_only_when_open(&normalize(text)), "{text}");
        }
        for text in [
            "la piscine c'est ouvert le dimanche",
            "c'est pour ouvrir un compte",
            "mon dossier est ouvert depuis lundi",
            "quelle heure il est",
        ] {
            assert!(!asks_only_when_open(&normalize(text)), "{text}");
        }
    }

    #[test]
    fn other_questions_are_not() {
        for text in [
            "la médiathèque est ouverte le dimanche",
            "je voudrais déclarer l'ouverture d'un commerce à la mairie",
            "où est la mairie",
            "c'est ouvert demain",
        ] {
            assert!(!asks(text), "{text}");
        }
    }

    fn week(expression: &str) -> (Vec<DayHours>, bool) {
        let schedule = Schedule::parse(expression, chrono_tz::Europe::Paris).unwrap();
        // Tuesday 10 March 2026.
        let at = chrono::DateTime::parse_from_rfc3339("2026-03-10T10:15:00+01:00")
            .unwrap()
            .to_utc();
        (
            schedule.usual_week(at),
            schedule.closed_on_public_holidays(at),
        )
    }

    #[test]
    fn the_usual_week_in_words() {
        let (days, holidays) =
            week("Mo 13:30-17:30; Tu-Fr 08:30-12:00,13:30-17:30; Sa 09:00-12:00; PH off");
        assert_eq!(
            week_said(&days, holidays, Gender::Feminine),
            "Elle est ouverte le lundi de 13 heures 30 à 17 heures 30, du mardi au vendredi de \
             8 heures 30 à 12 heures et de 13 heures 30 à 17 heures 30, le samedi de 9 heures \
             à 12 heures. Elle est fermée le dimanche et les jours fériés."
        );
        assert_eq!(
            week_written(&days, holidays),
            "lun. 13h30-17h30 ; mar.-ven. 8h30-12h, 13h30-17h30 ; sam. 9h-12h. \
             Fermé les jours fériés."
        );
    }

    #[test]
    fn two_days_a_late_evening_and_no_holiday_rule() {
        let (days, holidays) = week("We,Th 14:00-24:00");
        assert!(!holidays, "no PH rule: open on public holidays as any day");
        assert_eq!(
            week_said(&days, holidays, Gender::Feminine),
            "Elle est ouverte le mercredi et le jeudi de 14 heures à minuit. Elle est fermée \
             le lundi, le mardi, le vendredi, le samedi et le dimanche."
        );
        assert_eq!(week_written(&days, holidays), "mer.-jeu. 14h-24h.");
    }
}
