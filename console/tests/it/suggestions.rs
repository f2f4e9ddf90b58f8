//! The éditeurs' Suggestions page: accept (the question goes into the fiche, the folder still
//! validates and the fiche now answers the utterance), reject, refusals, roles, communes,
//! path traversal and CSRF.

use crate::common;

use std::path::{Path, PathBuf};

use axum::http::StatusCode;
use common::{Client, Harness, signed_in};
use guichet_console::suggestions::{Suggestion, write_suggestion};
use guichet_knowledge::Knowledge;
use guichet_store::{AuditStore, Role};

/// What the caller said, currently not routed to `declaration-naissance`.
const UTTERANCE: &str = "ma fille est née il faut faire quoi";

/// Copies what the knowledge checker reads of the demo commune into `to`.
fn copy_demo(to: &Path) {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../communes/demo");
    std::fs::create_dir_all(to.join("fiches")).expect("fiches dir");
    for file in ["commune.toml", "synonyms.txt"] {
        std::fs::copy(demo.join(file), to.join(file)).expect("copy");
    }
    for entry in std::fs::read_dir(demo.join("fiches")).expect("demo fiches") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), to.join("fiches").join(entry.file_name())).expect("copy");
    }
}

/// The shared harness, with real knowledge folders (copies of the demo) where its two
/// communes live: the page reads the folders, not the fiche list given at start.
async fn harness() -> Harness {
    let h = common::harness().await;
    for commune in h.state.communes() {
        copy_demo(&commune.dir);
    }
    h
}

fn commune_dir(h: &Harness, commune: &str) -> PathBuf {
    h.dir.path().join(commune)
}

/// Writes a suggestion as the Statistiques page does; returns its file name.
fn suggest(h: &Harness, commune: &str, fiche: &str, utterance: &str) -> String {
    let suggestion = Suggestion {
        fiche: fiche.into(),
        utterance: utterance.into(),
        by: "ops@villebourg.example".into(),
        at: h.clock.now(),
    };
    let path = write_suggestion(&commune_dir(h, commune), &suggestion).expect("suggestion");
    path.file_name()
        .and_then(|n| n.to_str())
        .expect("file name")
        .to_string()
}

fn pending(h: &Harness, commune: &str, file: &str) -> PathBuf {
    commune_dir(h, commune).join("suggestions").join(file)
}

fn moved(h: &Harness, commune: &str, to: &str, file: &str) -> PathBuf {
    commune_dir(h, commune)
        .join("suggestions")
        .join(to)
        .join(file)
}

fn fiche_text(h: &Harness, commune: &str, id: &str) -> String {
    std::fs::read_to_string(
        commune_dir(h, commune)
            .join("fiches")
            .join(format!("{id}.md")),
    )
    .expect("fiche")
}

async fn editeur(h: &Harness) -> Client<'_> {
    signed_in(
        h,
        "redac@villebourg.example",
        Role::Editeur,
        &["villebourg"],
    )
    .await
}

/// The page's body with the HTML escapes of the templates undone, to look for French text.
fn text(page: &common::Page) -> String {
    page.body
        .replace("&#x27;", "'")
        .replace("&#x2f;", "/")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn first_hit(dir: &Path, text: &str) -> String {
    let knowledge = Knowledge::load(dir).expect("the folder validates");
    knowledge
        .search(text)
        .first()
        .map(|hit| hit.fiche_id.clone())
        .unwrap_or_default()
}

async fn audit_actions(h: &Harness) -> Vec<(String, String)> {
    h.store
        .list_audit(&["villebourg".into()], Some("suggestion."), 100)
        .await
        .expect("audit")
        .into_iter()
        .map(|a| (a.entry.action, a.entry.detail))
        .collect()
}

#[tokio::test]
async fn accept_adds_the_question_to_the_chosen_fiche() {
    let h = harness().await;
    let dir = commune_dir(&h, "villebourg");
    assert_ne!(first_hit(&dir, UTTERANCE), "declaration-naissance");
    let before = fiche_text(&h, "villebourg", "declaration-naissance");
    // Suggested for the birth certificate; the éditeur picks the birth declaration instead.
    let file = suggest(&h, "villebourg", "acte-naissance", UTTERANCE);
    let mut client = editeur(&h).await;

    let page = client.get("/console/suggestions").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains(UTTERANCE), "{}", page.body);
    assert!(page.body.contains("Acte de naissance"), "fiche title shown");
    assert!(page.body.contains("<code>acte-naissance</code>"));
    assert!(page.body.contains("ops@villebourg.example"));
    assert!(text(&page).contains("9 mars 2026 à 20 h 30"), "Paris time");
    assert!(
        text(&page).contains("je voudrais un extrait d'acte de naissance"),
        "current questions shown"
    );
    assert!(page.body.contains("Suggestions (1)"), "count in the menu");
    let csrf = page.csrf().expect("csrf");

    let started = std::time::Instant::now();
    let accepted = client
        .post(
            "/console/suggestions/accepter",
            &[
                ("csrf", &csrf),
                ("commune", "villebourg"),
                ("fichier", &file),
                ("fiche", "declaration-naissance"),
            ],
        )
        .await;
    println!("accept took {:?}", started.elapsed());
    assert_eq!(accepted.status, StatusCode::SEE_OTHER, "{}", accepted.body);
    assert_eq!(accepted.location().as_deref(), Some("/console/suggestions"));

    // The fiche gained exactly one line, the question; everything else is untouched.
    let after = fiche_text(&h, "villebourg", "declaration-naissance");
    let added: Vec<&str> = after
        .lines()
        .filter(|line| !before.lines().any(|old| old == *line))
        .collect();
    assert_eq!(added, [format!("  - {UTTERANCE}")], "{after}");
    assert_eq!(after.lines().count(), before.lines().count() + 1);
    let without: String = after
        .lines()
        .filter(|line| !line.contains(UTTERANCE))
        .map(|line| format!("{line}\n"))
        .collect();
    assert_eq!(without, before, "the rest of the fiche is unchanged");
    // The whole folder still validates, and the fiche now answers the utterance.
    assert_eq!(first_hit(&dir, UTTERANCE), "declaration-naissance");
    assert!(!pending(&h, "villebourg", &file).exists());
    assert!(moved(&h, "villebourg", "acceptees", &file).is_file());
    let leftovers: Vec<_> = std::fs::read_dir(dir.join("fiches"))
        .expect("fiches")
        .flatten()
        .filter(|e| !e.file_name().to_string_lossy().ends_with(".md"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "no temporary file left: {leftovers:?}"
    );

    let page = client.get("/console/suggestions").await;
    assert!(page.body.contains("Suggestion acceptée"), "{}", page.body);
    assert!(text(&page).contains("fiches/declaration-naissance.md"));
    assert!(page.body.contains("Aucune suggestion en attente"));
    let again = client.get("/console/suggestions").await;
    assert!(
        !again.body.contains("Suggestion acceptée"),
        "flash shown once"
    );
    let audit = audit_actions(&h).await;
    assert!(
        audit
            .iter()
            .any(|(action, detail)| action == "suggestion.accepted"
                && detail.contains("fiche=declaration-naissance")
                && detail.contains(&file)),
        "{audit:?}"
    );
}

#[tokio::test]
async fn a_question_already_there_is_not_added_twice() {
    let h = harness().await;
    let before = fiche_text(&h, "villebourg", "passeport");
    // "je voudrais refaire mon passeport" is in the fiche; case, accents and spacing differ.
    let file = suggest(
        &h,
        "villebourg",
        "passeport",
        "Je  voudrais REFAIRE mon passéport",
    );
    let mut client = editeur(&h).await;
    let csrf = client.csrf("/console/suggestions").await;
    let accepted = client
        .post(
            "/console/suggestions/accepter",
            &[
                ("csrf", &csrf),
                ("commune", "villebourg"),
                ("fichier", &file),
            ],
        )
        .await;
    assert_eq!(accepted.status, StatusCode::SEE_OTHER, "{}", accepted.body);
    assert_eq!(fiche_text(&h, "villebourg", "passeport"), before);
    assert!(moved(&h, "villebourg", "acceptees", &file).is_file());
    let page = client.get("/console/suggestions").await;
    assert!(
        page.body.contains("contient déjà cette question"),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn reject_moves_the_suggestion_away() {
    let h = harness().await;
    let before = fiche_text(&h, "villebourg", "passeport");
    let file = suggest(&h, "villebourg", "passeport", "je veux un chaton");
    let mut client = editeur(&h).await;
    let csrf = client.csrf("/console/suggestions").await;
    let rejected = client
        .post(
            "/console/suggestions/rejeter",
            &[
                ("csrf", &csrf),
                ("commune", "villebourg"),
                ("fichier", &file),
            ],
        )
        .await;
    assert_eq!(rejected.status, StatusCode::SEE_OTHER, "{}", rejected.body);
    assert!(!pending(&h, "villebourg", &file).exists());
    assert!(moved(&h, "villebourg", "rejetees", &file).is_file());
    assert_eq!(fiche_text(&h, "villebourg", "passeport"), before);
    let page = client.get("/console/suggestions").await;
    assert!(page.body.contains("Suggestion rejetée"), "{}", page.body);
    let audit = audit_actions(&h).await;
    assert!(
        audit
            .iter()
            .any(|(action, detail)| action == "suggestion.rejected"
                && detail.contains("fiche=passeport")
                && detail.contains(&file)),
        "{audit:?}"
    );
    // Acting again on the same file: it is gone, said plainly.
    let twice = client
        .post(
            "/console/suggestions/rejeter",
            &[
                ("csrf", &csrf),
                ("commune", "villebourg"),
                ("fichier", &file),
            ],
        )
        .await;
    assert_eq!(twice.status, StatusCode::SEE_OTHER);
    let page = client.get("/console/suggestions").await;
    assert!(page.body.contains("introuvable"), "{}", page.body);
}

#[tokio::test]
async fn an_accept_leaving_the_folder_invalid_changes_nothing() {
    let h = harness().await;
    let dir = commune_dir(&h, "villebourg");
    let file = suggest(&h, "villebourg", "declaration-naissance", UTTERANCE);
    // Someone saved another fiche with a mistake since the service started.
    let broken_path = dir.join("fiches").join("pacs.md");
    let good_pacs = std::fs::read_to_string(&broken_path).expect("pacs");
    let broken = good_pacs.replacen("competence: commune", "competence: mairie", 1);
    assert_ne!(broken, good_pacs);
    std::fs::write(&broken_path, &broken).expect("write");
    let line = broken
        .lines()
        .position(|l| l.starts_with("competence: mairie"))
        .expect("line")
        + 1;
    let before = fiche_text(&h, "villebourg", "declaration-naissance");

    let mut client = editeur(&h).await;
    let page = client.get("/console/suggestions").await;
    assert!(
        text(&page).contains(&format!("fiches/pacs.md:{line}: compétence inconnue")),
        "the page warns about the folder: {}",
        page.body
    );
    let csrf = page.csrf().expect("csrf");
    let refused = client
        .post(
            "/console/suggestions/accepter",
            &[
                ("csrf", &csrf),
                ("commune", "villebourg"),
                ("fichier", &file),
                ("fiche", "declaration-naissance"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::SEE_OTHER, "{}", refused.body);
    assert_eq!(
        fiche_text(&h, "villebourg", "declaration-naissance"),
        before
    );
    assert!(pending(&h, "villebourg", &file).is_file(), "still pending");
    let page = client.get("/console/suggestions").await;
    assert!(
        page.body.contains("Suggestion non acceptée"),
        "{}",
        page.body
    );
    assert!(
        text(&page).contains(&format!(
            "fiches/pacs.md:{line}: compétence inconnue « mairie »"
        )),
        "{}",
        page.body
    );
    assert!(
        !audit_actions(&h)
            .await
            .iter()
            .any(|(a, _)| a == "suggestion.accepted")
    );

    // Once the mistake is fixed, the same suggestion goes through.
    std::fs::write(&broken_path, &good_pacs).expect("write");
    let accepted = client
        .post(
            "/console/suggestions/accepter",
            &[
                ("csrf", &csrf),
                ("commune", "villebourg"),
                ("fichier", &file),
                ("fiche", "declaration-naissance"),
            ],
        )
        .await;
    assert_eq!(accepted.status, StatusCode::SEE_OTHER);
    assert!(fiche_text(&h, "villebourg", "declaration-naissance").contains(UTTERANCE));
    assert_eq!(first_hit(&dir, UTTERANCE), "declaration-naissance");
}

#[tokio::test]
async fn an_unreadable_suggestion_is_listed_and_can_be_rejected() {
    let h = harness().await;
    let dir = commune_dir(&h, "villebourg").join("suggestions");
    std::fs::create_dir_all(&dir).expect("dir");
    let file = "20260309T193000Z-passeport.yaml";
    std::fs::write(dir.join(file), "fiche: [pas: une: fiche\n").expect("write");
    let mut client = editeur(&h).await;
    let page = client.get("/console/suggestions").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Suggestion illisible"), "{}", page.body);
    let csrf = page.csrf().expect("csrf");
    let accept = client
        .post(
            "/console/suggestions/accepter",
            &[
                ("csrf", &csrf),
                ("commune", "villebourg"),
                ("fichier", file),
            ],
        )
        .await;
    assert_eq!(accept.status, StatusCode::SEE_OTHER);
    assert!(dir.join(file).is_file());
    let page = client.get("/console/suggestions").await;
    assert!(
        text(&page).contains("ne peut qu'être rejetée"),
        "{}",
        page.body
    );
    let reject = client
        .post(
            "/console/suggestions/rejeter",
            &[
                ("csrf", &csrf),
                ("commune", "villebourg"),
                ("fichier", file),
            ],
        )
        .await;
    assert_eq!(reject.status, StatusCode::SEE_OTHER);
    assert!(dir.join("rejetees").join(file).is_file());
}

#[tokio::test]
async fn only_editeurs_and_admins_see_the_page() {
    let h = harness().await;
    let file = suggest(&h, "villebourg", "passeport", UTTERANCE);
    let mut standardiste = signed_in(
        &h,
        "agent@villebourg.example",
        Role::Standardiste,
        &["villebourg"],
    )
    .await;
    assert_eq!(
        standardiste.get("/console/suggestions").await.status,
        StatusCode::FORBIDDEN
    );
    let queue = standardiste.get("/console/file").await;
    assert!(
        !text(&queue).contains("/console/suggestions"),
        "no menu link"
    );
    let csrf = queue.csrf().expect("csrf");
    for action in ["accepter", "rejeter"] {
        let refused = standardiste
            .post(
                &format!("/console/suggestions/{action}"),
                &[
                    ("csrf", &csrf),
                    ("commune", "villebourg"),
                    ("fichier", &file),
                ],
            )
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{action}");
    }
    let mut operateur = signed_in(
        &h,
        "ops@villebourg.example",
        Role::Operateur,
        &["villebourg"],
    )
    .await;
    assert_eq!(
        operateur.get("/console/suggestions").await.status,
        StatusCode::FORBIDDEN
    );
    assert!(pending(&h, "villebourg", &file).is_file());
    let mut admin = signed_in(&h, "admin@villebourg.example", Role::Admin, &["villebourg"]).await;
    let page = admin.get("/console/suggestions").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(UTTERANCE));
}

#[tokio::test]
async fn another_communes_suggestions_are_out_of_reach() {
    let h = harness().await;
    let file = suggest(&h, "villebourg", "passeport", UTTERANCE);
    let before = fiche_text(&h, "villebourg", "passeport");
    let mut other = signed_in(
        &h,
        "redac@autreville.example",
        Role::Editeur,
        &["autreville"],
    )
    .await;
    let page = other.get("/console/suggestions").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains(UTTERANCE), "{}", page.body);
    assert!(page.body.contains("Aucune suggestion en attente"));
    assert!(!page.body.contains("Suggestions (1)"));
    let csrf = page.csrf().expect("csrf");
    for action in ["accepter", "rejeter"] {
        let refused = other
            .post(
                &format!("/console/suggestions/{action}"),
                &[
                    ("csrf", &csrf),
                    ("commune", "villebourg"),
                    ("fichier", &file),
                ],
            )
            .await;
        assert_eq!(refused.status, StatusCode::NOT_FOUND, "{action}");
        // Their own commune with the other's file name: no such suggestion there.
        let elsewhere = other
            .post(
                &format!("/console/suggestions/{action}"),
                &[
                    ("csrf", &csrf),
                    ("commune", "autreville"),
                    ("fichier", &file),
                ],
            )
            .await;
        assert_eq!(elsewhere.status, StatusCode::SEE_OTHER, "{action}");
    }
    assert!(pending(&h, "villebourg", &file).is_file());
    assert_eq!(fiche_text(&h, "villebourg", "passeport"), before);
}

#[tokio::test]
async fn path_traversal_and_missing_csrf_are_refused() {
    let h = harness().await;
    let file = suggest(&h, "villebourg", "passeport", UTTERANCE);
    // A file outside suggestions/ that a traversal would reach.
    let target = commune_dir(&h, "villebourg").join("commune.toml");
    let commune_toml = std::fs::read_to_string(&target).expect("commune.toml");
    let mut client = editeur(&h).await;
    let csrf = client.csrf("/console/suggestions").await;
    for name in [
        "../commune.toml",
        "../../villebourg/commune.toml",
        "20260309T193000Z-x/../../commune.toml",
        "20260309T193000Z-..yaml",
        "20260309T193000Z-a\\..\\b.yaml",
        "/etc/passwd",
        "acceptees",
        "",
    ] {
        for action in ["accepter", "rejeter"] {
            let refused = client
                .post(
                    &format!("/console/suggestions/{action}"),
                    &[
                        ("csrf", &csrf),
                        ("commune", "villebourg"),
                        ("fichier", name),
                    ],
                )
                .await;
            assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{action} {name}");
        }
    }
    assert_eq!(
        std::fs::read_to_string(&target).expect("read"),
        commune_toml
    );
    assert!(target.is_file());
    // Without (or with a wrong) CSRF token nothing happens.
    for token in [None, Some("0000")] {
        for action in ["accepter", "rejeter"] {
            let mut fields = vec![("commune", "villebourg"), ("fichier", file.as_str())];
            if let Some(token) = token {
                fields.push(("csrf", token));
            }
            let refused = client
                .post(&format!("/console/suggestions/{action}"), &fields)
                .await;
            assert_eq!(refused.status, StatusCode::FORBIDDEN, "{action} {token:?}");
        }
    }
    assert!(pending(&h, "villebourg", &file).is_file());
    assert!(
        !commune_dir(&h, "villebourg")
            .join("suggestions/acceptees")
            .exists()
    );
    assert!(
        !commune_dir(&h, "villebourg")
            .join("suggestions/rejetees")
            .exists()
    );
}

/// Posts the fiche editor's form for `acte-deces` of Villebourg.
async fn submit(
    client: &mut Client<'_>,
    csrf: &str,
    digest: &str,
    action: &str,
    texte: &str,
) -> common::Page {
    client
        .post(
            "/console/fiches/enregistrer",
            &[
                ("csrf", csrf),
                ("commune", "villebourg"),
                ("fiche", "acte-deces"),
                ("empreinte", digest),
                ("texte", texte),
                ("action", action),
            ],
        )
        .await
}

/// The hidden field `name` of a page.
fn hidden(page: &common::Page, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page.body.find(&marker).expect("the field") + marker.len();
    let end = page.body[start..].find('"').expect("its end") + start;
    page.body[start..end].to_string()
}

#[tokio::test]
async fn an_editeur_edits_previews_and_saves_a_fiche_checked_like_kb_check() {
    let h = harness().await;
    let mut client = editeur(&h).await;
    let list = client.get("/console/brouillons").await;
    assert!(
        text(&list).contains("/console/fiches/villebourg/acte-deces"),
        "{}",
        list.body
    );
    let page = client.get("/console/fiches/villebourg/acte-deces").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let original = fiche_text(&h, "villebourg", "acte-deces");
    assert!(text(&page).contains("title: Acte de décès"));
    let csrf = page.csrf().expect("csrf");
    let digest = hidden(&page, "empreinte");
    // A broken fiche: the French list of what is wrong, nothing written.
    let broken = original.replace("title: Acte de décès\n", "");
    let refused = submit(&mut client, &csrf, &digest, "enregistrer", &broken).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    let shown = text(&refused);
    assert!(shown.contains("la fiche n'est pas valide"), "{shown}");
    assert!(
        shown.contains("fiches/acte-deces.md"),
        "the problem names the file: {shown}"
    );
    assert_eq!(fiche_text(&h, "villebourg", "acte-deces"), original);

    // A preview of a valid change: what the robot will say, nothing written.
    let edited = original.replace(
        "L'acte de décès se demande",
        "Bonne nouvelle : l'acte de décès se demande",
    );
    let previewed = submit(&mut client, &csrf, &digest, "apercu", &edited).await;
    assert_eq!(previewed.status, StatusCode::OK, "{}", previewed.body);
    assert!(text(&previewed).contains("Bonne nouvelle : l'acte de décès"));
    assert!(previewed.body.contains("id=\"fiche-preview\""));
    assert_eq!(fiche_text(&h, "villebourg", "acte-deces"), original);

    // Saved: written, audited, and the folder still loads with the new answer.
    let saved = submit(&mut client, &csrf, &digest, "enregistrer", &edited).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    assert!(text(&saved).contains("Fiche enregistrée"));
    assert_eq!(fiche_text(&h, "villebourg", "acte-deces"), edited);
    let knowledge = Knowledge::load(&commune_dir(&h, "villebourg")).expect("still valid");
    assert!(
        knowledge
            .fiche("acte-deces")
            .is_some_and(|f| f.answer.starts_with("Bonne nouvelle"))
    );
    let audit = h
        .store
        .list_audit(&["villebourg".into()], Some("fiche."), 10)
        .await
        .expect("audit");
    assert!(audit.iter().any(|a| a.entry.detail == "fiche=acte-deces"));
    // A save from the page opened before the change: refused, the newer text kept.
    let stale = submit(&mut client, &csrf, &digest, "enregistrer", &original).await;
    assert_eq!(stale.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(&stale).contains("modifiée par quelqu'un d'autre"));
    assert_eq!(fiche_text(&h, "villebourg", "acte-deces"), edited);
    // No temporary file left beside the fiches.
    let leftovers: Vec<_> = std::fs::read_dir(commune_dir(&h, "villebourg").join("fiches"))
        .expect("fiches")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert!(leftovers.is_empty());

    // Other communes, bad ids, standardistes: refused.
    for path in [
        "/console/fiches/autreville/acte-deces",
        "/console/fiches/villebourg/..%2Fcommune",
        "/console/fiches/villebourg/inconnue",
    ] {
        assert_eq!(
            client.get(path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let mut agent = signed_in(
        &h,
        "agent@villebourg.example",
        Role::Standardiste,
        &["villebourg"],
    )
    .await;
    assert_eq!(
        agent
            .get("/console/fiches/villebourg/acte-deces")
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let no_csrf = client
        .post(
            "/console/fiches/enregistrer",
            &[
                ("commune", "villebourg"),
                ("fiche", "acte-deces"),
                ("texte", "x"),
            ],
        )
        .await;
    assert_eq!(no_csrf.status, StatusCode::FORBIDDEN);
}
