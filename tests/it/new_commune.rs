//! Issue 15's "done when": a commune folder built from a directory extract and the starter pack
//! (every draft published, as an éditeur would after review) passes `kb check`, answers the
//! public-test dialogue, and routes the demo's in-scope dialogues within 5 points of the
//! hand-written demo commune; init + import + index take under 30 s.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use guichet_eval::{Options, evaluate};
use guichet_knowledge::{FicheStatus, Knowledge, check};
use guichet_opendata::{StarterPack, import_service_public, init_folder, review};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixtures() -> PathBuf {
    root().join("opendata/tests/fixtures")
}

/// Init, import, publish every draft; returns the folder and how long init + import + index took.
fn build_commune(parent: &Path) -> (PathBuf, Duration) {
    let started = Instant::now();
    let out = parent.join("plaisir");
    init_folder(&fixtures().join("annuaire-extrait.json"), "78490", &out).unwrap();
    import_service_public(&fixtures().join("vosdroits"), &out, &StarterPack::shipped()).unwrap();
    Knowledge::load(&out).unwrap();
    let elapsed = started.elapsed();
    let drafts: Vec<String> = Knowledge::load(&out)
        .unwrap()
        .unpublished()
        .iter()
        .map(|fiche| fiche.id.clone())
        .collect();
    for id in drafts {
        review::set_status(&out, &id, FicheStatus::Publiee).unwrap();
    }
    (out, elapsed)
}

/// The eval's in-process replay of `dialogues` on the commune folder `commune`.
fn replay(commune: PathBuf, dialogues: Vec<PathBuf>) -> guichet_eval::Evaluation {
    evaluate(&Options {
        commune,
        dialogues,
        http: None,
        gates: Default::default(),
        baseline: None,
        split: None,
        policy: None,
    })
    .unwrap()
}

#[test]
fn init_import_and_index_take_under_30_seconds() {
    let dir = tempfile::tempdir().unwrap();
    let (_, elapsed) = build_commune(dir.path());
    println!("init + import + index: {:.2} s", elapsed.as_secs_f64());
    assert!(elapsed < Duration::from_secs(30), "{elapsed:?}");
}

#[test]
fn the_new_commune_passes_kb_check_and_answers_the_public_test() {
    let dir = tempfile::tempdir().unwrap();
    let (out, _) = build_commune(dir.path());
    let report = check(&out);
    let errors: Vec<String> = report.errors().map(|p| p.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    let knowledge = report.knowledge.unwrap();
    assert!(knowledge.unpublished().is_empty());

    let outcome = replay(
        out.clone(),
        vec![root().join("communes/demo/dialogues/001-test-public-mobile.yaml")],
    );
    let run = &outcome.report.dialogues[0];
    for turn in &run.turns {
        println!("{turn:?}");
    }
    assert!(run.passed, "the public test failed on the new commune");
}

/// The demo dialogues every expected fiche of which the new commune has.
fn in_scope_dialogues(new_fiches: &BTreeSet<String>) -> Vec<PathBuf> {
    let demo = root().join("communes/demo");
    let demo_fiches: BTreeSet<String> = Knowledge::load(&demo)
        .unwrap()
        .fiches()
        .iter()
        .map(|fiche| fiche.id.clone())
        .collect();
    let dialogues = guichet_eval::dialogue::load(&[demo.join("dialogues")], &demo_fiches).unwrap();
    let mut files: BTreeSet<String> = BTreeSet::new();
    let mut out_of_scope: BTreeSet<String> = BTreeSet::new();
    for dialogue in &dialogues {
        let file = dialogue
            .id
            .split('#')
            .next()
            .unwrap_or(&dialogue.id)
            .to_owned();
        let expected: Vec<&String> = dialogue
            .turns
            .iter()
            .filter_map(|turn| turn.expect.as_ref())
            .flat_map(|expect| expect.fiches())
            .collect();
        if !expected.is_empty() && expected.iter().all(|id| new_fiches.contains(*id)) {
            files.insert(file);
        } else {
            out_of_scope.insert(file);
        }
    }
    files
        .difference(&out_of_scope)
        .map(|file| demo.join("dialogues").join(file))
        .collect()
}

#[test]
fn routing_on_the_demo_in_scope_dialogues_is_within_5_points_of_the_demo() {
    let dir = tempfile::tempdir().unwrap();
    let (out, _) = build_commune(dir.path());
    let new_fiches: BTreeSet<String> = Knowledge::load(&out)
        .unwrap()
        .fiches()
        .iter()
        .map(|fiche| fiche.id.clone())
        .collect();
    let dialogues = in_scope_dialogues(&new_fiches);
    assert!(
        dialogues.len() >= 20,
        "only {} in-scope dialogues",
        dialogues.len()
    );
    let run = |commune: PathBuf| replay(commune, dialogues.clone()).report.figures.metrics;
    let demo = run(root().join("communes/demo"));
    let new = run(out);
    let rate = |ratio: guichet_eval::Ratio| ratio.rate.unwrap_or(0.0) * 100.0;
    println!(
        "{} in-scope dialogues ({} turns expecting a fiche)",
        dialogues.len(),
        demo.fiche_accuracy.total
    );
    println!(
        "routing (fiche accuracy): demo {:.1} %, new commune {:.1} %",
        rate(demo.fiche_accuracy),
        rate(new.fiche_accuracy)
    );
    println!(
        "action accuracy: demo {:.1} %, new commune {:.1} %; misroute: demo {:.1} %, new commune {:.1} %",
        rate(demo.action_accuracy),
        rate(new.action_accuracy),
        rate(demo.misroute),
        rate(new.misroute)
    );
    assert!(
        rate(demo.fiche_accuracy) - rate(new.fiche_accuracy) <= 5.0,
        "routing more than 5 points below the demo"
    );
}

/// On its first day, a commune made from the Annuaire says where the mairie is and when it is
/// open, from what `commune init` wrote into `commune.toml` (it has no fiche about either), and
/// gives the number of a local agency the Annuaire lists with a national short number (36 46),
/// and of the local offices it lists for national fiches (the commissariat, the MDPH) and of its
/// own social action centre (the CCAS); a site of the mairie named (the annexe) is answered with
/// its own hours.
#[test]
fn the_new_commune_says_where_and_when_the_mairie_is_open_and_the_numbers_to_call() {
    let dir = tempfile::tempdir().unwrap();
    let (out, _) = build_commune(dir.path());
    let dialogue = dir.path().join("mairie.yaml");
    std::fs::write(
        &dialogue,
        r#"name: "Où et quand, le premier jour"
channel: voice
from: "+33612345678"
at: "2026-03-09T09:30:00+01:00"
turns:
  - caller: "bonjour la mairie elle est où exactement"
    expect: { action: answer, sms: true, say_contains: ["2 rue de la République"] }
  - caller: "et vous êtes ouverts le samedi"
    expect: { action: answer, sms: true, say_contains: ["est fermée ; elle ouvrira aujourd'hui lundi à 13 heures 30", "le samedi de 9 heures à 12 heures", "les jours fériés"] }
  - caller: "et la mairie annexe du valibout elle ouvre quand"
    expect: { action: answer, say_contains: ["l'accueil de la Mairie annexe du Valibout est fermé ; il ouvrira demain mardi à 9 heures", "du mardi au jeudi de 9 heures à 12 heures"] }
  - caller: "et j'ai perdu ma carte vitale"
    expect: { action: deflect, fiche: cpam, say_contains: ["CPAM", "36 46"] }
  - caller: "non, c'est autre chose, je voudrais porter plainte pour un cambriolage"
    expect: { action: deflect, fiche: plainte, say_contains: ["Commissariat de police de Plaisir", "01 30 81 85 00"] }
  - caller: "et pour le dossier MDPH de mon fils"
    expect: { action: deflect, fiche: mdph, say_contains: ["(MDPH) des Yvelines", "01 30 21 07 30"] }
  - caller: "et là on a plus rien à manger à la maison, il y a une aide alimentaire ?"
    expect: { action: answer, fiche: ccas, sms: true, say_contains: ["le Centre communal d'action sociale de Plaisir par téléphone au 01 30 79 63 10"] }
  - caller: "et le ccas il ouvre quand"
    expect: { action: answer, fiche: ccas, say_contains: ["l'accueil du Centre communal d'action sociale de Plaisir est ouvert", "du lundi au vendredi de 8 heures 30 à 12 heures"] }
"#,
    )
    .unwrap();
    let outcome = replay(out, vec![dialogue]);
    let run = &outcome.report.dialogues[0];
    for turn in &run.turns {
        println!("{turn:?}");
    }
    assert!(
        run.passed,
        "the new commune does not say where, when or whom to call"
    );
}
