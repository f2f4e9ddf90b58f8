//! The eval on the demo commune, intact and with a deliberately broken fiche.

use crate::common;

use std::path::Path;

use guichet_eval::gates::Gates;
use guichet_eval::{FileFormat, Options, evaluate, write_reports};

fn options(commune: &Path, gates: Gates) -> Options {
    Options {
        commune: commune.to_path_buf(),
        dialogues: Vec::new(),
        http: None,
        gates,
        baseline: None,
        split: None,
        policy: None,
    }
}

/// Swaps the `questions` and `keywords` of two fiches: what a staff member does when pasting a
/// fiche's phrasings into the wrong file.
fn swap_phrasings(fiches: &Path, a: &str, b: &str) {
    let read = |id: &str| std::fs::read_to_string(fiches.join(format!("{id}.md"))).unwrap();
    let split = |text: &str| -> (serde_yaml_ng::Mapping, String) {
        let rest = text.strip_prefix("---\n").unwrap();
        let end = rest.find("\n---").unwrap();
        let front: serde_yaml_ng::Mapping = serde_yaml_ng::from_str(&rest[..end]).unwrap();
        (front, rest[end + 4..].to_owned())
    };
    let (mut front_a, body_a) = split(&read(a));
    let (mut front_b, body_b) = split(&read(b));
    for key in ["questions", "keywords"] {
        let value_a = front_a.remove(key).unwrap();
        let value_b = front_b.remove(key).unwrap();
        front_a.insert(key.into(), value_b);
        front_b.insert(key.into(), value_a);
    }
    let write = |id: &str, front: &serde_yaml_ng::Mapping, body: &str| {
        let text = format!("---\n{}---{body}", serde_yaml_ng::to_string(front).unwrap());
        std::fs::write(fiches.join(format!("{id}.md")), text).unwrap();
    };
    write(a, &front_a, &body_a);
    write(b, &front_b, &body_b);
}

#[test]
fn the_gate_fails_on_a_deliberately_broken_fiche() {
    // The gates are set at the intact folder's own figures, so that this test proves the
    // breakage is caught whatever the current quality of the demo (the 95 % / 1 % gate on the
    // demo itself is `demo_commune_meets_the_gates`).
    let intact = evaluate(&options(&common::demo(), Gates::default())).unwrap();
    let m = &intact.report.figures.metrics;
    let gates = Gates {
        min_fiche_accuracy: m.fiche_accuracy.rate,
        max_misroute: m.misroute.rate,
        max_false_answers: m.false_answer.rate,
    };
    assert!(
        gates.breaches(m).is_empty(),
        "the intact folder passes its own figures"
    );

    let temp = tempfile::tempdir().unwrap();
    common::copy_dir(&common::demo(), temp.path());
    swap_phrasings(&temp.path().join("fiches"), "horaires-mairie", "cantine");
    let broken = evaluate(&options(temp.path(), gates)).unwrap();
    assert!(!broken.passed(), "the gate must fail");
    let b = &broken.report.figures.metrics;
    assert!(
        b.fiche_accuracy.rate < m.fiche_accuracy.rate,
        "fiche accuracy {:?} → {:?}",
        m.fiche_accuracy,
        b.fiche_accuracy
    );
    assert!(
        broken
            .breaches
            .iter()
            .any(|breach| breach.contains("précision des fiches")),
        "{:?}",
        broken.breaches
    );
    // The worst fiches name the broken ones.
    let worst: Vec<&str> = broken
        .report
        .figures
        .per_fiche
        .iter()
        .take(5)
        .map(|f| f.fiche.as_str())
        .collect();
    assert!(
        worst.contains(&"horaires-mairie") || worst.contains(&"cantine"),
        "{worst:?}"
    );
}

#[test]
fn a_baseline_names_the_dialogues_that_got_worse() {
    let out = tempfile::tempdir().unwrap();
    let intact = evaluate(&options(&common::demo(), Gates::default())).unwrap();
    write_reports(
        &intact.report,
        &[FileFormat::Json],
        out.path(),
        &Gates::default(),
    )
    .unwrap();
    let baseline = out.path().join("report.json");

    let mut same = options(&common::demo(), Gates::default());
    same.baseline = Some(baseline.clone());
    let again = evaluate(&same).unwrap();
    let comparison = again.comparison.as_ref().unwrap();
    assert!(!comparison.regressed(), "{}", comparison.render());
    assert!(again.passed());

    let temp = tempfile::tempdir().unwrap();
    common::copy_dir(&common::demo(), temp.path());
    swap_phrasings(&temp.path().join("fiches"), "horaires-mairie", "cantine");
    let mut broken = options(temp.path(), Gates::default());
    broken.baseline = Some(baseline);
    let worse = evaluate(&broken).unwrap();
    let comparison = worse.comparison.as_ref().unwrap();
    assert!(comparison.regressed());
    assert!(!worse.passed());
    assert!(!comparison.worse.is_empty());
    let text = comparison.render();
    assert!(text.contains("Dialogues en recul"), "{text}");
    assert!(
        comparison
            .worse
            .iter()
            .all(|change| text.contains(&change.id))
    );
}

#[test]
fn every_report_format_is_written_and_well_formed() {
    let outcome = evaluate(&options(&common::demo(), Gates::default())).unwrap();
    let out = tempfile::tempdir().unwrap();
    let written = write_reports(
        &outcome.report,
        &FileFormat::ALL,
        out.path(),
        &Gates::default(),
    )
    .unwrap();
    assert_eq!(written.len(), 3);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("report.json")).unwrap())
            .unwrap();
    let dialogues = json["dialogues"].as_array().unwrap();
    assert_eq!(dialogues.len(), outcome.report.dialogues.len());
    assert!(dialogues[0]["turns"][0]["got"]["decision"]["action"].is_string());
    let xml = std::fs::read_to_string(out.path().join("junit.xml")).unwrap();
    let document = roxmltree::Document::parse(&xml).unwrap();
    let cases = document
        .descendants()
        .filter(|node| node.has_tag_name("testcase"))
        .count();
    assert_eq!(cases, outcome.report.dialogues.len());
    let html = std::fs::read_to_string(out.path().join("report.html")).unwrap();
    assert!(html.contains("<svg") && html.contains("</html>"));
}

/// THE GATE OF ISSUE 6 on the demo commune: fiche accuracy ≥ 95 %, misroute ≤ 1 %, and
/// (issue 14) false answers ≤ 1 % of all scored turns.
/// It depends on the engine, the fiches and the recorded dialogues together; it prints the
/// figures and the failing dialogues when it fails.
#[test]

fn demo_commune_meets_the_gates() {
    let gates = Gates {
        min_fiche_accuracy: Some(0.95),
        max_misroute: Some(0.01),
        max_false_answers: Some(0.01),
    };
    // The demo's recorded dialogues (the top-level files); the out-of-scope and paraphrase
    // sets of issue 14 (sub-folders, dev and test splits) are measured, not yet gated.
    let mut options = options(&common::demo(), gates);
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(common::demo().join("dialogues"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .collect();
    files.sort();
    options.dialogues = files;
    let outcome = evaluate(&options).unwrap();
    let table = guichet_eval::report::table::render(&outcome.report, Default::default());
    assert!(outcome.passed(), "{table}\n{:?}", outcome.breaches);
}
