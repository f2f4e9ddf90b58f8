//! Fuzz target `dialogue_yaml`: recorded dialogue files (`<commune>/dialogues/*.yaml`) parsed
//! and validated by `guichet_eval::dialogue::parse_file`, as `guichet eval` loads them.
//!
//! Properties: never a panic; positions are inside the file; a dialogue accepted without
//! problem has a name and turns, and survives `guichet dialogues export`'s YAML unchanged.

use std::collections::BTreeSet;
use std::path::Path;

use guichet_eval::dialogue::{Dialogue, LoadError, parse_file};
use guichet_eval::export::to_yaml;
use guichet_fuzz::ensure;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

const TARGET: &str = "dialogue_yaml";

const WORDS: &[&str] = &[
    "name: ",
    "channel: ",
    "from: ",
    "at: ",
    "turns:\n",
    "  - caller: ",
    "    dtmf: ",
    "    asr_confidence: ",
    "    expect: ",
    "{ action: answer, fiche: cni }",
    "action: ",
    "fiche: ",
    "sms: ",
    "handoff: ",
    "ticket: ",
    "say_contains: ",
    "say_not_contains: ",
    "voice",
    "sms",
    "chat",
    "clarify",
    "transfer",
    "callback",
    "report",
    "fallback",
    "goodbye",
    "deflect",
    "\"2026-03-10T10:15:00+01:00\"",
    "\"+33612345678\"",
    "---\n",
    "\n",
    "  ",
];

/// Fiche ids of the demo commune: what the dialogues' `fiche` expectations are checked against.
fn known_fiches() -> BTreeSet<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../communes/demo/fiches");
    std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|entry| {
                    let path = entry.path();
                    let stem = path.file_stem()?.to_str()?.to_owned();
                    path.extension()
                        .is_some_and(|ext| ext == "md")
                        .then_some(stem)
                })
                .collect()
        })
        .unwrap_or_default()
}

fn parse(text: &str, known: &BTreeSet<String>) -> (Vec<Dialogue>, Vec<LoadError>) {
    let (mut dialogues, mut errors) = (Vec::new(), Vec::new());
    parse_file(
        Path::new("fuzz.yaml"),
        "fuzz.yaml",
        text,
        known,
        &mut dialogues,
        &mut errors,
    );
    (dialogues, errors)
}

fn scalar() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[a-zA-Zéè' ]{0,20}",
        2 => any::<String>().prop_map(|text| serde_json::to_string(&text).unwrap_or_default()),
        1 => select(&["", "~", "12", "1e40", ".nan", "-0.5", "0.7", "true", "[]", "[cni, passeport]",
                      "\"2026-03-10T10:15:00+01:00\"", "2026-03-10T10:15:00Z",
                      "\"+262143-12-31T23:59:59+14:00\"", "\"-262143-01-01T00:00:00-14:00\"",
                      "\"2026-02-30T10:00:00+01:00\"", "\"2026-03-10T10:15:00+24:00\""][..])
            .prop_map(str::to_owned),
    ]
}

/// Dialogues of the documented shape with odd values, left-out and unknown keys.
fn fresh() -> BoxedStrategy<Vec<u8>> {
    let expect_key = select(
        &[
            "action",
            "fiche",
            "sms",
            "handoff",
            "ticket",
            "say_contains",
            "say_not_contains",
            "colour",
        ][..],
    );
    let expect = vec((expect_key, scalar()), 0..4).prop_map(|fields| {
        let fields: Vec<String> = fields.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        format!("{{ {} }}", fields.join(", "))
    });
    let turn_key = select(&["caller", "dtmf", "asr_confidence"][..]);
    let turn =
        (vec((turn_key, scalar()), 0..3), prop::option::of(expect)).prop_map(|(fields, expect)| {
            let mut lines: Vec<String> = fields.iter().map(|(k, v)| format!("{k}: {v}")).collect();
            lines.extend(expect.map(|expect| format!("expect: {expect}")));
            if lines.is_empty() {
                lines.push("caller: \"\"".into());
            }
            format!("  - {}\n", lines.join("\n    "))
        });
    let top_key = select(&["name", "channel", "from", "at", "colour"][..]);
    let document = (vec((top_key, scalar()), 0..5), vec(turn, 0..4)).prop_map(|(fields, turns)| {
        let mut text: String = fields.iter().map(|(k, v)| format!("{k}: {v}\n")).collect();
        text.push_str("turns:\n");
        text.push_str(&turns.concat());
        text
    });
    vec(document, 1..3)
        .prop_map(|documents| documents.join("---\n").into_bytes())
        .boxed()
}

fn check(known: &BTreeSet<String>, bytes: &[u8]) -> Result<(), String> {
    let text = String::from_utf8_lossy(bytes);
    let (dialogues, errors) = parse(&text, known);
    // The end of a text without a final line break is reported on the line after it.
    let last_line = guichet_fuzz::line_count(bytes) + 1;
    for error in &errors {
        ensure(!error.message.trim().is_empty(), || {
            "an error without a message".into()
        })?;
        if let Some((line, _)) = error.position {
            ensure((1..=last_line).contains(&line), || {
                format!("line {line} of a text of {} lines: {error}", last_line - 1)
            })?;
        }
    }
    ensure(!dialogues.is_empty() || !errors.is_empty(), || {
        "a file with neither a dialogue nor an error".into()
    })?;
    if !errors.is_empty() {
        return Ok(());
    }
    if !text.starts_with('\u{feff}') {
        let (with_bom, errors) = parse(&format!("\u{feff}{text}"), known);
        ensure(errors.is_empty() && with_bom == dialogues, || {
            format!("a byte order mark changes the file: {errors:?}")
        })?;
    }
    for dialogue in &dialogues {
        ensure(
            !dialogue.name.trim().is_empty() && !dialogue.turns.is_empty(),
            || format!("an empty dialogue was accepted: {dialogue:?}"),
        )?;
        let yaml = to_yaml(dialogue).map_err(|error| format!("export failed: {error}"))?;
        let (again, errors) = parse(&yaml, known);
        ensure(errors.is_empty() && again.len() == 1, || {
            format!("the exported YAML does not load back: {errors:?}\n{yaml}")
        })?;
        let mut again = again.into_iter().next().unwrap_or_else(|| dialogue.clone());
        again.id.clone_from(&dialogue.id);
        ensure(&again == dialogue, || {
            format!("export changed the dialogue:\n{dialogue:?}\n→\n{again:?}\n{yaml}")
        })?;
    }
    Ok(())
}

#[test]
fn recorded_dialogues() {
    let known = known_fiches();
    assert!(known.contains("passeport"), "demo fiches not found");
    guichet_fuzz::fuzz_bytes(TARGET, WORDS, fresh(), |bytes| check(&known, bytes));
}
