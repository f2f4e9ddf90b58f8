//! Hot reload on a temporary copy of the valid fixture.

use std::path::Path;
use std::time::{Duration, Instant};

use guichet_knowledge::{Knowledge, LiveKnowledge};

use crate::fixture::{self, copy_dir};

/// Waits until `condition` holds (the reload runs on a background thread).
fn eventually(what: &str, condition: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

const NEW_FICHE: &str = "---
id: marche
title: Marché de Villetest
competence: commune
questions:
  - quels jours a lieu le marché
  - où est le marché
keywords: [marché, forains]
---
Le marché se tient le mercredi et le samedi matin sur la place de l'église.
";

#[test]
fn a_valid_change_is_swapped_in_and_an_invalid_one_is_not() -> std::io::Result<()> {
    let temp = tempfile::tempdir()?;
    let dir = temp.path().join("commune");
    copy_dir(&fixture::valid(), &dir)?;
    let (live, _guard) = LiveKnowledge::watch(&dir).unwrap_or_else(|error| panic!("{error}"));
    let before = live.load_full();
    assert_eq!(
        before
            .fiches()
            .iter()
            .filter(|fiche| !guichet_knowledge::is_national(&fiche.path))
            .count(),
        5
    );
    assert!(live.last_error().is_none());

    // A burst of saves: one valid new fiche, written in two steps.
    let path = dir.join("fiches/marche.md");
    std::fs::write(&path, &NEW_FICHE[..40])?;
    std::fs::write(&path, NEW_FICHE)?;
    eventually("the new fiche is in service", || {
        live.load_full().fiche("marche").is_some()
    });
    assert_eq!(
        live.load_full().search("le marché c'est quel jour")[0].fiche_id,
        "marche"
    );
    assert!(live.last_error().is_none());
    // The old version is still usable by whoever holds it.
    assert!(before.fiche("marche").is_none());

    // An invalid change: the last good version keeps answering, the errors are readable.
    let generation = live.generation();
    std::fs::write(
        dir.join("fiches/casse.md"),
        "---\nid: casse\ncompetence: mairie\n---\nTexte.\n",
    )?;
    eventually("the error is reported", || live.last_error().is_some());
    assert_eq!(live.generation(), generation);
    assert!(live.load_full().fiche("marche").is_some());
    let error = live
        .last_error()
        .map(|error| error.to_string())
        .unwrap_or_default();
    assert!(
        error.contains("casse.md:3: compétence inconnue « mairie »"),
        "{error}"
    );

    // Fixing it swaps the fixed folder in and clears the error.
    std::fs::remove_file(dir.join("fiches/casse.md"))?;
    eventually("the error is cleared", || live.last_error().is_none());
    assert!(live.generation() > generation);
    Ok(())
}

#[test]
fn an_invalid_folder_cannot_start_watching() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/unknown-goto");
    assert!(LiveKnowledge::watch(&dir).is_err());
}

/// Many communes on one node: the folders load together, identical ones share one index,
/// one watcher follows them all and a change reloads only the folder it touched.
#[test]
fn many_folders_share_their_index_and_one_watcher_reloads_only_the_changed_one()
-> std::io::Result<()> {
    let temp = tempfile::tempdir()?;
    let fixture = fixture::valid();
    let dirs: Vec<_> = (0..3)
        .map(|n| temp.path().join(format!("commune-{n}")))
        .collect();
    for dir in &dirs {
        copy_dir(&fixture, dir)?;
    }
    let lives: Vec<LiveKnowledge> = Knowledge::load_many(&dirs)
        .into_iter()
        .map(|loaded| LiveKnowledge::new(loaded.unwrap_or_else(|error| panic!("{error}"))))
        .collect();
    for (live, dir) in lives.iter().zip(&dirs) {
        assert_eq!(
            live.load_full().dir(),
            dir.as_path(),
            "loaded in the order given"
        );
    }
    let hints = |n: usize| lives[n].load_full().hints().clone();
    assert!(
        std::sync::Arc::ptr_eq(&hints(0), &hints(2)),
        "identical folders share what derives from the index"
    );
    let _guard = LiveKnowledge::watch_all(&lives).unwrap_or_else(|error| panic!("{error}"));

    std::fs::write(dirs[1].join("fiches/marche.md"), NEW_FICHE)?;
    eventually("the new fiche is in service in commune-1", || {
        lives[1].load_full().fiche("marche").is_some()
    });
    assert_eq!(
        lives[1].load_full().search("le marché c'est quel jour")[0].fiche_id,
        "marche"
    );
    std::thread::sleep(2 * guichet_knowledge::DEBOUNCE);
    assert_eq!(
        lives[0].generation(),
        0,
        "an untouched folder is not reloaded"
    );
    assert_eq!(lives[2].generation(), 0);
    assert!(lives[0].load_full().fiche("marche").is_none());
    assert!(
        !std::sync::Arc::ptr_eq(&hints(1), &hints(0)),
        "the edited folder has its own index"
    );
    assert!(std::sync::Arc::ptr_eq(&hints(0), &hints(2)));
    Ok(())
}
