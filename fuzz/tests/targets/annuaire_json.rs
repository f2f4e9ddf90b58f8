//! Fuzz target `annuaire_json`: DILA's directory export (Annuaire de l'administration) through
//! `guichet_opendata::parse_directory`, then `commune.toml` for every INSEE code it names.
//!
//! Any input is refused with a message or read; a `commune.toml` written from it loads (its
//! hours are valid OpenStreetMap syntax, its numbers E.164), and every error names a record.

use guichet_fuzz::ensure;
use guichet_opendata::{DirectoryError, commune_toml, parse_directory};
use proptest::prelude::*;
use proptest::sample::select;

const TARGET: &str = "annuaire_json";

const WORDS: &[&str] = &[
    "\"service\"",
    "\"nom\"",
    "\"pivot\"",
    "\"type_service_local\"",
    "\"mairie\"",
    "\"caf\"",
    "\"code_insee_commune\"",
    "\"78490\"",
    "\"plage_ouverture\"",
    "\"nom_jour_debut\"",
    "\"Lundi\"",
    "\"Dimanche\"",
    "\"valeur_heure_debut_1\"",
    "\"08:30:00\"",
    "\"24:00:00\"",
    "\"telephone\"",
    "\"valeur\"",
    "\"01 30 79 63 00\"",
    "\"[{\\\"valeur\\\":\\\"x\\\"}]\"",
    "[",
    "]",
    "{",
    "}",
    ":",
    ",",
];

/// Records with a mairie, random days and times, nested fields as values or as JSON text.
fn fresh() -> BoxedStrategy<Vec<u8>> {
    let day = select(&["Lundi", "Mardi", "Samedi", "Dimanche", "lundi", "Lundo", ""][..]);
    let time = select(&["08:30:00", "12:00", "8h30", "24:00:00", "25:00", "", "13:3"][..]);
    let period = (day.clone(), day, time.clone(), time).prop_map(|(d1, d2, t1, t2)| {
        serde_json::json!({"nom_jour_debut": d1, "nom_jour_fin": d2,
                           "valeur_heure_debut_1": t1, "valeur_heure_fin_1": t2})
    });
    (
        proptest::collection::vec(period, 0..4),
        any::<bool>(),
        select(&["mairie", "caf", "epci", "france_services"][..]),
        select(&["01 30 79 63 00", "32 30", "+33 1 30", ""][..]),
    )
        .prop_map(|(periods, as_text, kind, phone)| {
            let mut record = serde_json::json!({
                "id": "x", "nom": "Mairie - Essai", "code_insee_commune": "78490",
                "pivot": [{"type_service_local": kind, "code_insee_commune": ["78490"]}],
                "telephone": [{"valeur": phone}],
                "plage_ouverture": periods,
            });
            if as_text {
                for key in ["pivot", "telephone", "plage_ouverture"] {
                    record[key] = serde_json::Value::String(record[key].to_string());
                }
            }
            serde_json::to_vec(&serde_json::json!({ "service": [record] })).unwrap_or_default()
        })
        .boxed()
}

fn check(input: &[u8]) -> Result<(), String> {
    let records = match parse_directory(input) {
        Ok(records) => records,
        Err(error) => {
            if let DirectoryError::Field { name, .. } = &error {
                ensure(!name.is_empty(), || {
                    format!("an error naming no record: {error}")
                })?;
            }
            return Ok(());
        }
    };
    let mut codes: Vec<&str> = records.iter().map(|r| r.insee.as_str()).collect();
    codes.sort_unstable();
    codes.dedup();
    for code in codes.into_iter().take(3) {
        let Ok(draft) = commune_toml(&records, code) else {
            continue;
        };
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        std::fs::write(dir.path().join("commune.toml"), &draft.toml).map_err(|e| e.to_string())?;
        let report = guichet_knowledge::check(dir.path());
        let problems: Vec<String> = report
            .errors()
            .map(|p| p.to_string())
            .filter(|p| p.contains("commune.toml"))
            .collect();
        ensure(problems.is_empty(), || {
            format!(
                "commune.toml written for {code} does not load: {problems:?}\n{}",
                draft.toml
            )
        })?;
    }
    Ok(())
}

#[test]
fn directory_export() {
    guichet_fuzz::fuzz_bytes(TARGET, WORDS, fresh(), check);
}
