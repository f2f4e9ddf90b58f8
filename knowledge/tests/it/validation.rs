//! `check` on one broken fixture folder per validation rule: the exact `path:line: message`.

use std::path::{Path, PathBuf};

use guichet_knowledge::{Knowledge, Report, Severity, check};

/// The fiches of the folder itself, without the national catalogue every commune loads.
fn own_fiches(knowledge: &guichet_knowledge::Knowledge) -> usize {
    knowledge
        .fiches()
        .iter()
        .filter(|fiche| !guichet_knowledge::is_national(&fiche.path))
        .count()
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// The problems of a fixture as `relative/path:line: message`.
fn problems(name: &str) -> (Report, Vec<String>) {
    let dir = fixture(name);
    let report = check(&dir);
    let prefix = format!("{}/", dir.display());
    let lines = report
        .problems
        .iter()
        .map(|problem| problem.to_string().trim_start_matches(&prefix).to_owned())
        .collect();
    (report, lines)
}

/// Asserts a broken fixture is refused with exactly these problems.
fn assert_refused(name: &str, expected: &[&str]) {
    let (report, lines) = problems(name);
    assert_eq!(lines, expected, "fixture {name}");
    assert!(report.knowledge.is_none(), "fixture {name} must be refused");
    let error = Knowledge::load(&fixture(name))
        .err()
        .unwrap_or_else(|| panic!("{name} loaded"));
    assert_eq!(error.problems.len(), expected.len());
}

/// Asserts a fixture loads, with exactly these warnings.
fn assert_warned(name: &str, expected: &[&str]) {
    let (report, lines) = problems(name);
    assert_eq!(lines, expected, "fixture {name}");
    assert!(
        report
            .problems
            .iter()
            .all(|problem| problem.severity == Severity::Warning)
    );
    let knowledge =
        Knowledge::load(&fixture(name)).unwrap_or_else(|error| panic!("{name}: {error}"));
    assert_eq!(knowledge.warnings().len(), expected.len());
}

#[test]
fn the_valid_fixture_has_no_problem() {
    let (report, lines) = problems("valid");
    assert!(lines.is_empty(), "{lines:?}");
    let knowledge = report
        .knowledge
        .unwrap_or_else(|| panic!("valid fixture refused"));
    assert_eq!(own_fiches(&knowledge), 5);
    assert_eq!(knowledge.commune().name, "Villetest");
    let encombrants = knowledge
        .fiche("encombrants")
        .unwrap_or_else(|| panic!("encombrants"));
    assert_eq!(encombrants.partner.as_deref(), Some("agglomeration"));
    assert!(
        knowledge
            .partner_of(encombrants)
            .is_some_and(|partner| partner.accepts_reports())
    );
    assert!(knowledge.partner_hours("agglomeration").is_some());
    let passeport = knowledge
        .fiche("passeport")
        .unwrap_or_else(|| panic!("passeport"));
    assert!(passeport.answer.is_empty() && passeport.clarify.is_some());
}

#[test]
fn missing_id() {
    assert_refused(
        "missing-id",
        &[
            "fiches/passeport-renouvellement.md:2: identifiant manquant (champ « id »)",
            "fiches/passeport.md:17: l'option mène à la fiche « passeport-renouvellement », qui n'existe pas",
        ],
    );
}

#[test]
fn missing_title() {
    assert_refused(
        "missing-title",
        &["fiches/passeport-renouvellement.md:2: titre manquant (champ « title »)"],
    );
}

#[test]
fn missing_answer() {
    assert_refused(
        "missing-answer",
        &[
            "fiches/passeport-renouvellement.md:14: réponse manquante : écrivez la réponse parlée après la seconde ligne « --- »",
        ],
    );
}

#[test]
fn duplicate_id() {
    assert_refused(
        "duplicate-id",
        &[
            "fiches/passeport-renouvellement.md:2: identifiant « passeport-renouvellement » déjà utilisé par la fiche passeport-renouvellement-bis.md",
        ],
    );
}

#[test]
fn goto_to_an_unknown_fiche() {
    assert_refused(
        "unknown-goto",
        &["fiches/passeport.md:15: l'option mène à la fiche « passeport-perdu », qui n'existe pas"],
    );
}

#[test]
fn clarify_cycle() {
    assert_refused(
        "clarify-cycle",
        &[
            "fiches/passeport.md:17: les précisions tournent en rond : passeport-renouvellement → passeport → passeport-renouvellement",
        ],
    );
}

#[test]
fn unknown_competence() {
    assert_refused(
        "unknown-competence",
        &[
            "fiches/encombrants.md:4: compétence inconnue « agglo » : valeurs possibles commune, agglomeration, departement, region, etat, autre, aucune",
        ],
    );
}

#[test]
fn unknown_keys_in_fiche_and_commune() {
    assert_refused(
        "unknown-key",
        &[
            "commune.toml:12: clé inconnue « numero » (faute de frappe ?)",
            "fiches/passeport-renouvellement.md:12: champ inconnu « handof » (faute de frappe ?)",
        ],
    );
}

#[test]
fn undefined_partner() {
    assert_refused(
        "undefined-partner",
        &[
            "fiches/carte-grise.md:4: partenaire « etat » non défini dans commune.toml : ajoutez une section [partners.etat] (sans champ « partner », la compétence sert de clé)",
            "fiches/encombrants.md:5: partenaire « syndicat-dechets » non défini dans commune.toml : ajoutez une section [partners.syndicat-dechets]",
        ],
    );
}

#[test]
fn malformed_urls() {
    assert_refused(
        "bad-url",
        &[
            "commune.toml:21: site du partenaire « agglomeration » : adresse web « agglo-test » invalide (attendu : https://…)",
            "fiches/passeport-renouvellement.md:10: lien de la fiche : adresse web « www.villetest.example/rendez-vous » invalide (attendu : https://…)",
        ],
    );
}

#[test]
fn invalid_opening_hours() {
    assert_refused(
        "bad-opening-hours",
        &[
            "commune.toml:4: horaires de la mairie : horaires invalides « Mo-Fr 8h30-12h » : syntaxe non reconnue à partir du caractère 7",
            "commune.toml:17: fenêtres de déploiement [rollout] : horaires invalides « Mo-Fr 25:00-26:00 » : syntaxe non reconnue à partir du caractère 7",
            "commune.toml:24: horaires du partenaire « agglomeration » : horaires invalides « du lundi au vendredi » : syntaxe non reconnue à partir du caractère 1",
        ],
    );
}

#[test]
fn bad_timezone() {
    assert_refused(
        "bad-timezone",
        &["commune.toml:3: fuseau horaire inconnu « Paris » (exemple : Europe/Paris)"],
    );
}

#[test]
fn transfer_number_not_e164() {
    assert_refused(
        "bad-transfer-number",
        &[
            "commune.toml:11: numéro de transfert « 01 30 00 00 00 » invalide : format international attendu, par exemple +33130000000",
        ],
    );
}

#[test]
fn synonyms_line_with_one_entry() {
    assert_refused(
        "bad-synonyms",
        &[
            "synonyms.txt:4: une ligne de synonymes doit contenir au moins deux expressions séparées par des virgules",
        ],
    );
}

#[test]
fn yaml_syntax_error_points_at_the_line() {
    assert_refused(
        "yaml-syntax",
        &[
            "fiches/passeport-renouvellement.md:10: en-tête YAML illisible : did not find expected ',' or ']'",
            "fiches/passeport.md:17: l'option mène à la fiche « passeport-renouvellement », qui n'existe pas",
        ],
    );
}

#[test]
fn fiche_without_front_matter() {
    assert_refused(
        "no-front-matter",
        &[
            "fiches/passeport-renouvellement.md:1: en-tête manquant : la fiche doit commencer par une ligne « --- », les champs, puis une autre ligne « --- »",
            "fiches/passeport.md:17: l'option mène à la fiche « passeport-renouvellement », qui n'existe pas",
        ],
    );
}

#[test]
fn missing_commune_toml() {
    assert_refused(
        "missing-commune",
        &["commune.toml:1: fichier absent : chaque dossier de commune a un commune.toml"],
    );
}

#[test]
fn long_sms_is_a_warning() {
    assert_warned(
        "long-sms",
        &[
            "fiches/passeport-renouvellement.md:11: attention : le SMS, lien compris, fait 264 caractères et partira en 4 SMS (2 au plus : 134 caractères, à cause d'un caractère spécial (ê, ç, ô…) qui réduit chaque SMS à 67 caractères)",
        ],
    );
}

#[test]
fn unreachable_fiche_is_a_warning() {
    assert_warned(
        "unreachable",
        &[
            "fiches/rendez-vous.md:5: attention : aucune des questions de la fiche ne la trouve en premier (elles mènent à : passeport-renouvellement) : reformulez-les ou ajoutez des mots-clés propres à la fiche",
        ],
    );
}

#[test]
fn drafts_are_kept_for_review_but_never_searched() {
    let (report, lines) = problems("drafts");
    assert!(lines.is_empty(), "{lines:?}");
    let knowledge = report
        .knowledge
        .unwrap_or_else(|| panic!("drafts fixture refused"));
    assert_eq!(own_fiches(&knowledge), 5, "only the published fiches");
    assert!(knowledge.fiche("carte-grise").is_none());
    let draft = &knowledge.unpublished()[0];
    assert_eq!(draft.id, "carte-grise");
    assert_eq!(draft.status, guichet_knowledge::FicheStatus::Brouillon);
    let source = draft.source.as_ref().expect("source read");
    assert_eq!(source.name, "service-public.fr");
    assert_eq!(source.id.as_deref(), Some("F1050"));
    assert_eq!(
        source.date.map(|date| date.to_string()).as_deref(),
        Some("2026-05-02")
    );
    let hits = knowledge.search("changer le titulaire de la carte grise");
    assert!(
        hits.iter().all(|hit| hit.fiche_id != "carte-grise"),
        "a draft is never a search hit: {hits:?}"
    );
}

#[test]
fn a_published_clarification_cannot_lead_to_a_draft() {
    assert_refused(
        "draft-goto",
        &[
            "fiches/passeport.md:15: l'option mène à la fiche « passeport-perte », qui n'est pas publiée (statut brouillon) : publiez-la ou retirez l'option",
        ],
    );
}

#[test]
fn unknown_status_and_source_fields_are_refused() {
    let (report, lines) = problems("bad-status");
    assert!(report.knowledge.is_none());
    assert_eq!(
        lines,
        [
            "fiches/passeport-renouvellement.md:13: statut « publié » inconnu : publiee, brouillon ou rejetee",
            "fiches/passeport-renouvellement.md:14: source sans nom (champ « source.name », par exemple service-public.fr)",
            "fiches/passeport-renouvellement.md:15: champ inconnu « source.nom » : name, id, date ou url",
            "fiches/passeport-renouvellement.md:16: date de source « 2 mai 2026 » illisible : écrivez AAAA-MM-JJ",
        ]
    );
}
