//! Routing quality on the demo commune: `routing.tsv` (phrasing, TAB, expected fiche id) must
//! reach top-1 ≥ 90 %, and `out_of_scope.txt` phrasings must get a low confidence.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use guichet_knowledge::Knowledge;

/// Confidence under which a query counts as "not understood".
const LOW_CONFIDENCE: f32 = 0.3;
/// Share of routing phrasings whose first hit must be the expected fiche.
const TOP1_TARGET: f64 = 0.90;
/// Share of out-of-scope phrasings that must stay under [`LOW_CONFIDENCE`].
const OUT_OF_SCOPE_TARGET: f64 = 0.95;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

static DEMO: LazyLock<Knowledge> =
    LazyLock::new(
        || match Knowledge::load(&workspace().join("communes/demo")) {
            Ok(knowledge) => knowledge,
            Err(error) => panic!("the demo commune must load:\n{error}"),
        },
    );

fn data_lines(name: &str) -> Vec<(usize, String)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    text.lines()
        .enumerate()
        .map(|(index, line)| (index + 1, line.trim().to_owned()))
        .filter(|(_, line)| !line.is_empty() && !line.starts_with('#'))
        .collect()
}

#[test]
fn routing_top1_reaches_the_target() {
    let cases = data_lines("routing.tsv");
    assert!(
        cases.len() >= 150,
        "routing.tsv must hold at least 150 phrasings, has {}",
        cases.len()
    );
    let mut failures = Vec::new();
    // Confidence of the correct first hits: [< 0.3, 0.3..0.6, >= 0.6].
    let mut bands = [0usize; 3];
    for (line, case) in &cases {
        let Some((phrasing, expected)) = case.split_once('\t') else {
            panic!("routing.tsv:{line}: expected `phrasing<TAB>fiche_id`");
        };
        let expected = expected.trim();
        assert!(
            DEMO.fiche(expected).is_some(),
            "routing.tsv:{line}: unknown fiche `{expected}`"
        );
        let hits = DEMO.search(phrasing);
        let top = hits.first().map_or("(none)", |hit| hit.fiche_id.as_str());
        if let Some(hit) = hits.first().filter(|hit| hit.fiche_id == expected) {
            bands[usize::from(hit.confidence >= 0.3) + usize::from(hit.confidence >= 0.6)] += 1;
        }
        if top != expected {
            let found: Vec<String> = hits
                .iter()
                .map(|hit| format!("{} {:.2}", hit.fiche_id, hit.confidence))
                .collect();
            failures.push(format!(
                "routing.tsv:{line}: « {phrasing} » → expected {expected}, got [{}]",
                found.join(", ")
            ));
        }
    }
    let share = 1.0 - failures.len() as f64 / cases.len() as f64;
    for failure in &failures {
        println!("{failure}");
    }
    println!(
        "top-1: {:.1} % of {} phrasings ({} failures)",
        share * 100.0,
        cases.len(),
        failures.len()
    );
    println!(
        "confidence of the correct first hits: {} under 0.3, {} between 0.3 and 0.6, {} from 0.6",
        bands[0], bands[1], bands[2]
    );
    assert!(
        share >= TOP1_TARGET,
        "top-1 {:.1} % < {:.0} %",
        share * 100.0,
        TOP1_TARGET * 100.0
    );
}

#[test]
fn out_of_scope_phrasings_get_a_low_confidence() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/out_of_scope.txt");
    let mut cases: Vec<(String, String)> = vec![
        (
            "(built-in)".into(),
            "quelle est la capitale de l'Australie".into(),
        ),
        (
            "(built-in)".into(),
            "je voudrais commander une pizza".into(),
        ),
    ];
    if path.exists() {
        cases.extend(
            data_lines("out_of_scope.txt")
                .into_iter()
                .map(|(line, text)| (format!("out_of_scope.txt:{line}"), text)),
        );
    }
    let mut failures = Vec::new();
    for (at, phrasing) in &cases {
        // A matter of no public service (the caller's bank…) is recognised as such: right.
        if let Some(hit) = DEMO.search(phrasing).first()
            && hit.confidence >= LOW_CONFIDENCE
            && DEMO
                .fiche(&hit.fiche_id)
                .is_some_and(|fiche| fiche.competence.is_public())
        {
            failures.push(format!(
                "{at}: « {phrasing} » → {} {:.2}",
                hit.fiche_id, hit.confidence
            ));
        }
    }
    for failure in &failures {
        println!("{failure}");
    }
    let share = 1.0 - failures.len() as f64 / cases.len() as f64;
    println!(
        "low confidence: {:.1} % of {} phrasings",
        share * 100.0,
        cases.len()
    );
    assert!(
        share >= OUT_OF_SCOPE_TARGET,
        "only {:.1} % out-of-scope phrasings stay under {LOW_CONFIDENCE}",
        share * 100.0
    );
}

#[test]
fn clear_requests_get_a_high_confidence() {
    for (phrasing, expected) in [
        ("mon passeport est expiré", "passeport-renouvellement"),
        ("carte didentité perdue", "cni-perte"),
        ("je voudrais un extrait de naissance", "acte-naissance"),
        ("on voudrait se pacse", "pacs"),
    ] {
        let hits = DEMO.search(phrasing);
        let top = hits
            .first()
            .unwrap_or_else(|| panic!("no hit for « {phrasing} »"));
        assert_eq!(top.fiche_id, expected, "« {phrasing} »: {hits:?}");
        assert!(
            top.confidence > 0.6,
            "« {phrasing} »: confidence {}",
            top.confidence
        );
    }
}

#[test]
fn the_demo_commune_has_no_error() {
    for warning in DEMO.warnings() {
        println!("{warning}");
    }
    assert!(DEMO.fiches().len() >= 80);
}

/// BM25 weighs in the ranking (`RANK_SCORE_WEIGHT`): the RSA fiche, whose whole matter is the
/// word said, comes before France Travail, whose confidence is higher on "je touche plus mes
/// indemnités" alone.
#[test]
fn a_fiche_that_dwells_on_the_named_topic_comes_first() {
    let hits = DEMO.search("je touche plus mes indemnités comment faire pour avoir le rsa");
    assert_eq!(hits[0].fiche_id, "rsa", "{hits:?}");
    assert!(
        hits.iter()
            .any(|hit| hit.fiche_id == "france-travail" && hit.confidence > hits[0].confidence),
        "ranked by confidence alone: {hits:?}"
    );
}

/// The engine's own questions are searched once and kept: what is kept is what the search
/// finds, the first time and after.
#[test]
fn a_fixed_question_finds_what_the_search_finds() {
    let question = "quels sont les horaires d'ouverture de la mairie";
    let searched = DEMO.search(question);
    assert!(!searched.is_empty());
    for _ in 0..2 {
        let kept = DEMO.search_fixed(question);
        assert_eq!(kept.len(), searched.len());
        for (kept, searched) in kept.iter().zip(&searched) {
            assert_eq!(kept.fiche_id, searched.fiche_id);
            assert_eq!(kept.confidence, searched.confidence);
        }
    }
}
