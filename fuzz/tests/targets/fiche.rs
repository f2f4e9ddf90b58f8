//! Fuzz target `fiche`: a fiche file (YAML front matter + spoken answer) read and validated by
//! `guichet_knowledge::check` (what `guichet kb check` and the server's reload run).
//!
//! Properties: never a panic; every problem of the fiche points at one of its lines with a
//! message; a folder refused has an error, a folder accepted has none, holds the fiche and
//! can be searched.

use crate::knowledge_folder;

use std::path::Path;

use guichet_fuzz::ensure;
use knowledge_folder::{Folder, check_problem_lines};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

const TARGET: &str = "fiche";
const FICHE: &str = "fiches/fuzz.md";

const WORDS: &[&str] = &[
    "---\n",
    "id: ",
    "title: ",
    "competence: ",
    "partner: ",
    "questions:\n",
    "  - ",
    "keywords: ",
    "link: ",
    "sms: ",
    "handoff: ",
    "clarify:\n",
    "  question: ",
    "  options:\n",
    "    - answers: ",
    "      goto: ",
    "commune",
    "agglomeration",
    "etat",
    "autre",
    "never",
    "offer",
    "always",
    "{link}",
    "https://www.villebourg.example/x",
    "[a, b]",
    "\"",
    ": ",
    "\n",
    "  ",
    "- ",
];

/// A YAML value: plain, double-quoted (any text), or a flow list.
fn yaml_value() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[a-z][a-z -]{0,15}",
        2 => any::<String>().prop_map(|text| serde_json::to_string(&text).unwrap_or_default()),
        1 => vec("[a-zé' ]{1,12}", 0..4).prop_map(|items| format!("[{}]", items.join(", "))),
        1 => select(&["", "~", "null", "12", "true", "[]", "{}", "|\n  bloc", "&a x", "*a"][..])
            .prop_map(str::to_owned),
    ]
}

/// Fiches of the documented shape, with fields left out, misspelt or odd.
fn fresh() -> BoxedStrategy<Vec<u8>> {
    let key = prop_oneof![
        8 => select(&["id", "title", "competence", "partner", "questions", "keywords", "link", "sms", "handoff"][..])
            .prop_map(str::to_owned),
        1 => "[a-z_]{1,10}",
    ];
    let value = prop_oneof![
        3 => yaml_value(),
        1 => select(&["commune", "agglomeration", "departement", "region", "etat", "autre",
                      "never", "offer", "always", "https://www.villebourg.example/rdv",
                      "\"Prenez rendez-vous : {link}\""][..])
            .prop_map(str::to_owned),
    ];
    let option = (yaml_value(), yaml_value())
        .prop_map(|(answers, goto)| format!("    - answers: {answers}\n      goto: {goto}\n"));
    let clarify =
        prop::option::of((yaml_value(), vec(option, 0..4))).prop_map(|clarify| match clarify {
            None => String::new(),
            Some((question, options)) => {
                format!(
                    "clarify:\n  question: {question}\n  options:\n{}",
                    options.concat()
                )
            }
        });
    let body = prop_oneof![
        Just(String::new()),
        any::<String>(),
        "[A-Za-zéè .,']{1,200}"
    ];
    (vec((key, value), 0..10), clarify, body, any::<bool>())
        .prop_map(|(fields, clarify, body, crlf)| {
            let mut text = String::from("---\n");
            for (key, value) in fields {
                text.push_str(&format!("{key}: {value}\n"));
            }
            text.push_str(&clarify);
            text.push_str("---\n");
            text.push_str(&body);
            if crlf {
                text = text.replace('\n', "\r\n");
            }
            text.into_bytes()
        })
        .boxed()
}

/// The demo commune's `commune.toml`.
fn demo_commune() -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../communes/demo/commune.toml");
    std::fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

fn check(alone: &Folder, in_commune: &Folder, text: &[u8]) -> Result<(), String> {
    alone.write(FICHE, text);
    let report = alone.check();
    let file = alone.path(FICHE);
    check_problem_lines(&report, &file, text)?;
    if report.errors().any(|problem| problem.path == file) {
        return Ok(());
    }

    // Valid on its own: read it again in the demo commune (partners), through to the index.
    in_commune.write(FICHE, text);
    let report = in_commune.check();
    let file = in_commune.path(FICHE);
    check_problem_lines(&report, &file, text)?;
    let Some(knowledge) = &report.knowledge else {
        return ensure(report.errors().next().is_some(), || {
            "a folder was refused without an error".into()
        });
    };
    ensure(report.errors().next().is_none(), || {
        "a folder with errors was accepted".into()
    })?;
    let fiche = knowledge
        .fiches()
        .iter()
        .find(|fiche| fiche.path == file)
        .ok_or_else(|| "the accepted fiche is missing from the knowledge".to_owned())?;
    ensure(knowledge.fiche(&fiche.id).is_some(), || {
        format!("fiche « {} » cannot be found by its id", fiche.id)
    })?;
    for text in fiche
        .questions
        .iter()
        .take(2)
        .chain([&fiche.title, &fiche.answer])
    {
        let _ = knowledge.search(text);
    }
    Ok(())
}

#[test]
fn fiche_files() {
    let alone = Folder::new(None);
    let in_commune = Folder::new(Some(&demo_commune()));
    guichet_fuzz::fuzz_bytes(TARGET, WORDS, fresh(), |text| {
        check(&alone, &in_commune, text)
    });
}
