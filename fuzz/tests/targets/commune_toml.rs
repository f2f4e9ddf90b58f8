//! Fuzz target `commune_toml`: a commune's `commune.toml` read and validated by
//! `guichet_knowledge::check`, beside one valid fiche.
//!
//! Properties: never a panic; every problem of the file points at one of its lines with a
//! message; a folder refused has an error; an accepted commune's schedules (opening hours,
//! rollout windows, partners' hours) evaluate, and its numbers are E.164.

use crate::knowledge_folder;

use chrono::{DateTime, Utc};
use guichet_fuzz::ensure;
use guichet_knowledge::ScheduleQuery;
use knowledge_folder::Folder;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

const TARGET: &str = "commune_toml";

const FICHE: &str = "---\nid: horaires\ntitle: Horaires de la mairie\ncompetence: commune\n\
questions: [quels sont les horaires, la mairie est ouverte quand]\n---\n\
La mairie est ouverte du mardi au vendredi.\n";

const WORDS: &[&str] = &[
    "name",
    "insee",
    "timezone",
    "opening_hours",
    "greeting",
    "retention_days",
    "website",
    "address",
    "[transfer]\n",
    "number",
    "[sms]\n",
    "sender",
    "[rollout]\n",
    "windows",
    "pilot_numbers",
    "[partners.agglomeration]\n",
    "competences",
    "phone",
    "email",
    "postal_address",
    "report_email",
    "report_url",
    " = ",
    "\"",
    "\n",
    "[",
    "]",
    "[[",
    "]]",
    "Europe/Paris",
    "Mo-Fr 09:00-12:00",
    "+33130000000",
    "\"\"\"",
    "'''",
    "{",
    "}",
    ".",
];

fn toml_string() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[A-Za-z0-9 +:;,/.@'-]{0,30}".prop_map(|s| format!("{s:?}")),
        2 => any::<String>().prop_map(|s| format!("{s:?}")),
        1 => select(&["\"Europe/Paris\"", "\"Pacific/Noumea\"", "\"Mars/Olympus\"",
                      "\"Mo-Fr 08:30-12:00; PH off\"", "\"24/7\"", "\"+33130000000\"",
                      "\"VILLEBOURG\"", "\"https://www.villebourg.example\"", "\"a@b.example\"",
                      "12", "-1", "4294967296", "1e400", "true", "[]", "[\"+33612345678\"]",
                      "{ x = 1 }", "1979-05-27T07:32:00Z"][..])
            .prop_map(str::to_owned),
    ]
}

/// Communes of the documented shape with fields left out, misspelt or of the wrong type.
fn fresh() -> BoxedStrategy<Vec<u8>> {
    let top = select(
        &[
            "name",
            "insee",
            "timezone",
            "opening_hours",
            "greeting",
            "retention_days",
            "website",
            "address",
            "colour",
        ][..],
    );
    let partner_key = select(
        &[
            "name",
            "competences",
            "website",
            "phone",
            "email",
            "postal_address",
            "opening_hours",
            "report_email",
            "report_url",
            "fax",
        ][..],
    );
    let section = prop_oneof![
        (Just("transfer"), select(&["number", "extension"][..])),
        (Just("sms"), select(&["sender"][..])),
        (Just("rollout"), select(&["windows", "pilot_numbers"][..])),
    ];
    let partner = ("[a-z]{1,10}", vec((partner_key, toml_string()), 0..5));
    (
        vec((top, toml_string()), 0..9),
        vec((section, toml_string()), 0..4),
        vec(partner, 0..3),
    )
        .prop_map(|(fields, sections, partners)| {
            let mut text = String::new();
            for (key, value) in fields {
                text.push_str(&format!("{key} = {value}\n"));
            }
            for ((section, key), value) in sections {
                text.push_str(&format!("[{section}]\n{key} = {value}\n"));
            }
            for (name, fields) in partners {
                text.push_str(&format!("[partners.{name}]\n"));
                for (key, value) in fields {
                    text.push_str(&format!("{key} = {value}\n"));
                }
            }
            text.into_bytes()
        })
        .boxed()
}

fn is_e164(number: &str) -> bool {
    number
        .strip_prefix('+')
        .is_some_and(|digits| !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()))
}

fn check(folder: &Folder, text: &[u8]) -> Result<(), String> {
    folder.write("commune.toml", text);
    let report = folder.check();
    knowledge_folder::check_problem_lines(&report, &folder.path("commune.toml"), text)?;
    let Some(knowledge) = &report.knowledge else {
        return ensure(report.errors().next().is_some(), || {
            "a folder was refused without an error".into()
        });
    };
    let commune = knowledge.commune();
    ensure(is_e164(&commune.transfer_number), || {
        format!("transfer number {:?} accepted", commune.transfer_number)
    })?;
    for number in &commune.rollout.pilot_numbers {
        ensure(is_e164(number), || {
            format!("pilot number {number:?} accepted")
        })?;
    }
    let now = DateTime::<Utc>::from_timestamp(1_773_134_100, 0).unwrap_or_default();
    let mut schedules = vec![knowledge.opening_hours()];
    schedules.extend(knowledge.rollout_windows());
    schedules.extend(
        commune
            .partners
            .keys()
            .filter_map(|key| knowledge.partner_hours(key)),
    );
    for schedule in schedules {
        if !schedule.is_open(now) {
            let _ = schedule.next_opening(now);
        }
    }
    Ok(())
}

#[test]
fn commune_files() {
    let folder = Folder::new(None);
    folder.write("fiches/horaires.md", FICHE.as_bytes());
    guichet_fuzz::fuzz_bytes(TARGET, WORDS, fresh(), |text| check(&folder, text));
}
