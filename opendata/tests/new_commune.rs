//! `commune init` and `kb import service-public` on the committed fixtures: a directory extract
//! in the published JSON shape (Plaisir, 78490, with an annexe and its local offices) and real
//! vosdroits fiches (the starter pack's) in DILA's XML.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use guichet_knowledge::{FicheStatus, Knowledge, check};
use guichet_opendata::{
    FolderError, InitError, StarterPack, import_service_public, init_folder, read_fiches,
    read_manifest,
};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn directory() -> PathBuf {
    fixtures().join("annuaire-extrait.json")
}

fn vosdroits() -> PathBuf {
    fixtures().join("vosdroits")
}

fn new_commune(root: &Path) -> PathBuf {
    let out = root.join("plaisir");
    init_folder(&directory(), "78490", &out).unwrap();
    out
}

#[test]
fn init_writes_the_commune_its_annexe_and_local_offices() {
    let root = tempfile::tempdir().unwrap();
    let out = root.path().join("plaisir");
    let draft = init_folder(&directory(), "78490", &out).unwrap();
    assert_eq!(draft.name, "Plaisir");
    assert_eq!(draft.services, ["mairie_annexe_du_valibout"]);
    assert_eq!(
        draft.partners,
        [
            "agglomeration",
            "caf",
            "cpam",
            "france-travail",
            "prefecture",
            "tribunal",
            "point-justice",
            "ccas",
            "france_services",
            "police-gendarmerie",
            "departement",
            "adil",
            "msa",
            "education-nationale",
            "impots",
        ]
    );
    let text = std::fs::read_to_string(out.join("commune.toml")).unwrap();
    assert!(
        text.contains(
            r#"opening_hours = "Mo 13:30-17:30; Tu-Fr 08:30-12:00,13:30-17:30; Sa 09:00-12:00; PH off""#
        ),
        "{text}"
    );
    assert!(text.contains(r#"number = "+33130796300""#), "{text}");
    assert!(text.contains(r#"sender = "PLAISIR""#), "{text}");
    assert!(
        draft
            .notes
            .iter()
            .any(|note| note.contains("contact@sqy.fr") && note.contains("à confirmer")),
        "{:?}",
        draft.notes
    );
    // The folder is valid as written (no fiche yet: the import brings them).
    let report = check(&out);
    let errors: Vec<String> = report.errors().map(|p| p.to_string()).collect();
    assert!(
        errors.iter().all(|e| e.contains("fiche")),
        "only the missing fiches may be reported: {errors:?}"
    );
}

#[test]
fn the_loader_reads_the_partners_and_services_written() {
    let root = tempfile::tempdir().unwrap();
    let out = new_commune(root.path());
    import_service_public(&vosdroits(), &out, &StarterPack::shipped()).unwrap();
    let knowledge = Knowledge::load(&out).unwrap();
    let commune = knowledge.commune();
    assert_eq!(commune.name, "Plaisir");
    assert_eq!(
        commune.address.as_deref(),
        Some("2 rue de la République, 78370 Plaisir")
    );
    let caf = &commune.partners["caf"];
    assert!(caf.name.contains("Trappes"));
    // "32 30", a national short number, is kept as it is dialled: a partner's number is only
    // said to callers, never called by guichet.
    assert_eq!(caf.phone.as_deref(), Some("3230"));
    assert_eq!(commune.partners["cpam"].phone.as_deref(), Some("3646"));
    assert_eq!(
        commune.partners["tribunal"].phone.as_deref(),
        Some("+33139073907")
    );
    assert_eq!(
        commune.partners["france-travail"].opening_hours.as_deref(),
        Some("Mo-We 08:30-12:30,13:30-16:30; Th 08:30-12:30; Fr 08:30-12:30,13:30-15:30; PH off")
    );
    // The office that serves the commune, not another commune's (the gendarmerie of
    // Montfort-l'Amaury, whose postcode is Plaisir's INSEE code); a departmental body that
    // lists no commune, from the commune's département (the ADIL of the Yvelines, not of the
    // Essonne).
    let police = &commune.partners["police-gendarmerie"];
    assert_eq!(police.name, "Commissariat de police de Plaisir");
    assert_eq!(police.phone.as_deref(), Some("+33130818500"));
    assert!(commune.partners["adil"].name.contains("Yvelines"));
    assert_eq!(
        commune.partners["adil"].phone.as_deref(),
        Some("+33139508472")
    );
    assert!(
        commune.partners["education-nationale"]
            .name
            .contains("Yvelines")
    );
    // The commune's own social action centre, not the neighbouring commune's.
    let ccas = &commune.partners["ccas"];
    assert_eq!(ccas.name, "Centre communal d'action sociale de Plaisir");
    assert_eq!(ccas.phone.as_deref(), Some("+33130796310"));
    assert_eq!(
        ccas.opening_hours.as_deref(),
        Some("Mo-Fr 08:30-12:00,13:30-17:00; PH off")
    );
    // A body the extract lists no office of stays the national catalogue's.
    assert_eq!(
        commune.partners["banque-de-france"].name,
        "la Banque de France"
    );
    // Reports of the agglomeration's matters go to its directory e-mail; the other offices
    // take none (nothing to report to a CAF).
    let agglomeration = &commune.partners["agglomeration"];
    assert_eq!(
        agglomeration.report_email.as_deref(),
        Some("contact@sqy.fr")
    );
    assert_eq!(knowledge.reporting_partners(), ["agglomeration"]);
    let annexe = &commune.services["mairie_annexe_du_valibout"];
    // Said without the commune's name, which every site shares.
    assert_eq!(annexe.name, "Mairie annexe du Valibout");
    assert_eq!(annexe.phone.as_deref(), Some("+33130550000"));
    assert_eq!(
        annexe.opening_hours.as_deref(),
        Some("Tu-Th 09:00-12:00; PH off")
    );
}

#[test]
fn bad_directory_input_names_the_record_and_field_and_writes_nothing() {
    let root = tempfile::tempdir().unwrap();
    let out = root.path().join("x");
    let error = init_folder(&directory(), "99999", &out).unwrap_err();
    assert!(matches!(
        error,
        FolderError::Init {
            error: InitError::UnknownInsee(_),
            ..
        }
    ));
    // Trappes (78621) has offices (CAF, the agglomération) but no mairie record.
    let error = init_folder(&directory(), "78621", &out).unwrap_err();
    assert!(error.to_string().contains("mairie"), "{error}");
    assert!(!out.exists());

    // Hours missing from the mairie record.
    let mut json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(directory()).unwrap()).unwrap();
    json["service"][0]["plage_ouverture"] = serde_json::json!([]);
    let broken = root.path().join("broken.json");
    std::fs::write(&broken, json.to_string()).unwrap();
    let error = init_folder(&broken, "78490", &out).unwrap_err().to_string();
    assert!(error.contains("Mairie - Plaisir"), "{error}");
    assert!(error.contains("plage_ouverture"), "{error}");
    assert!(!out.exists());

    // Hours unparsable.
    json["service"][0]["plage_ouverture"] = serde_json::json!(
        [{"nom_jour_debut": "Lundi", "nom_jour_fin": "Vendredi",
          "valeur_heure_debut_1": "8h3O", "valeur_heure_fin_1": "12:00:00"}]
    );
    std::fs::write(&broken, json.to_string()).unwrap();
    let error = init_folder(&broken, "78490", &out).unwrap_err().to_string();
    assert!(
        error.contains("plage_ouverture") && error.contains("8h3O"),
        "{error}"
    );
    assert!(!out.exists());

    // Not the directory at all.
    std::fs::write(&broken, r#"{"type":"FeatureCollection","features":[]}"#).unwrap();
    let error = init_folder(&broken, "78490", &out).unwrap_err().to_string();
    assert!(error.contains("Annuaire"), "{error}");
    assert!(!out.exists());

    // An existing folder with content is never overwritten.
    let existing = new_commune(root.path());
    let error = init_folder(&directory(), "78490", &existing).unwrap_err();
    assert!(matches!(error, FolderError::Exists(_)));
}

#[test]
fn import_writes_drafts_that_pass_kb_check_and_reach_no_caller() {
    let root = tempfile::tempdir().unwrap();
    let out = new_commune(root.path());
    let pack = StarterPack::shipped();
    let report = import_service_public(&vosdroits(), &out, &pack).unwrap();
    assert!(report.missing.is_empty(), "{:?}", report.missing);
    assert_eq!(report.written.len(), pack.fiches.len() + pack.groups.len());
    let checked = check(&out);
    let errors: Vec<String> = checked.errors().map(|p| p.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    let knowledge = checked.knowledge.unwrap();
    // Only the national catalogue is published; the commune's own fiches are all drafts.
    assert!(
        knowledge
            .fiches()
            .iter()
            .all(|fiche| guichet_knowledge::is_national(&fiche.path)),
        "drafts are not published"
    );
    assert_eq!(knowledge.unpublished().len(), report.written.len());
    assert!(
        knowledge
            .search("mon passeport est expiré")
            .iter()
            .all(|hit| knowledge
                .fiche(&hit.fiche_id)
                .is_some_and(|fiche| guichet_knowledge::is_national(&fiche.path))),
        "no draft is found by the search"
    );

    let passport = knowledge
        .unpublished()
        .iter()
        .find(|fiche| fiche.id == "passeport-renouvellement")
        .unwrap();
    assert_eq!(passport.status, FicheStatus::Brouillon);
    let source = passport.source.as_ref().unwrap();
    assert_eq!(source.id.as_deref(), Some("F21091"));
    assert_eq!(source.name, "service-public.fr");
    assert!(passport.link.as_deref().unwrap().contains("F21091"));
    let sms = passport.sms_text().unwrap();
    assert!(
        sms.contains("service-public.fr") && sms.contains("ants.gouv.fr"),
        "{sms}"
    );
    assert!(passport.questions.len() >= 4, "{:?}", passport.questions);
    // Spoken: a few sentences, no screen directions.
    let sentences = passport.answer.matches(". ").count() + 1;
    assert!((1..=3).contains(&sentences), "{}", passport.answer);
    assert!(!passport.answer.to_lowercase().contains("cliquez"));
    assert!(passport.answer.len() < 500);
    // The competence from OuSAdresser, or the pack's: waste goes to the intercommunality.
    let waste = knowledge
        .unpublished()
        .iter()
        .find(|fiche| fiche.id == "depot-sauvage")
        .unwrap();
    assert_eq!(
        waste.competence,
        guichet_knowledge::Competence::Agglomeration
    );
    assert!(out.join(".import/sources/F21091.txt").is_file());

    // The national recorded questions of the pack's topics count once their fiches are
    // published: a commune made in a day has the second opinion from its first call.
    let national_only = knowledge.recorded_questions();
    assert!(national_only > 1_000, "{national_only}");
    for fiche in knowledge.unpublished() {
        guichet_opendata::review::set_status(&out, &fiche.id, FicheStatus::Publiee).unwrap();
    }
    let published = Knowledge::load(&out).unwrap();
    assert!(
        published.recorded_questions() > national_only,
        "{} recorded questions",
        published.recorded_questions()
    );
    let lost = published
        .resemblance("j'ai égaré mon passeport pendant les vacances")
        .unwrap();
    let topic = lost.topic().unwrap_or_default();
    assert!(topic.starts_with("passeport"), "{topic}");
}

#[test]
fn reimport_updates_untouched_drafts_keeps_staff_edits_and_flags_them() {
    let root = tempfile::tempdir().unwrap();
    let out = new_commune(root.path());
    let pack = StarterPack::shipped();
    import_service_public(&vosdroits(), &out, &pack).unwrap();

    // Staff publish one fiche and edit another.
    let fiches = out.join("fiches");
    let published = fiches.join("passeport-renouvellement.md");
    let text = std::fs::read_to_string(&published).unwrap();
    std::fs::write(
        &published,
        text.replace("status: brouillon", "status: publiee"),
    )
    .unwrap();
    let edited = fiches.join("acte-naissance.md");
    let edited_text = format!(
        "{}Texte ajouté par la mairie.\n",
        std::fs::read_to_string(&edited).unwrap()
    );
    std::fs::write(&edited, &edited_text).unwrap();

    // Same release again: nothing moves.
    let again = import_service_public(&vosdroits(), &out, &pack).unwrap();
    assert!(
        again.written.is_empty() && again.updated.is_empty(),
        "{again:?}"
    );
    assert!(again.flagged.is_empty());
    assert_eq!(again.kept.len(), 2);

    // A newer release: every fiche dated later, with a new introduction.
    let newer = root.path().join("vosdroits-newer");
    std::fs::create_dir(&newer).unwrap();
    for entry in std::fs::read_dir(vosdroits()).unwrap() {
        let path = entry.unwrap().path();
        let xml = std::fs::read_to_string(&path).unwrap();
        let xml = regex_free_redate(&xml).replacen(
            "<Introduction><Texte><Paragraphe>",
            "<Introduction><Texte><Paragraphe>Nouveauté de la publication de test. ",
            1,
        );
        std::fs::write(newer.join(path.file_name().unwrap()), xml).unwrap();
    }
    let report = import_service_public(&newer, &out, &pack).unwrap();
    assert!(
        report.updated.contains(&"passeport-perte".to_owned()),
        "{report:?}"
    );
    assert_eq!(report.flagged.len(), 2, "{report:?}");
    assert!(
        report
            .flagged
            .contains(&"passeport-renouvellement".to_owned())
    );
    assert!(report.flagged.contains(&"acte-naissance".to_owned()));
    assert_eq!(std::fs::read_to_string(&edited).unwrap(), edited_text);
    assert!(
        std::fs::read_to_string(&published)
            .unwrap()
            .contains("status: publiee")
    );
    let updated = std::fs::read_to_string(fiches.join("passeport-perte.md")).unwrap();
    assert!(updated.contains("2030-01-01"), "{updated}");
    let manifest = read_manifest(&out).unwrap();
    assert!(manifest.fiches["acte-naissance"].review.is_some());
    assert!(manifest.fiches["passeport-perte"].review.is_none());
}

/// Sets every fiche's `dc:date` to 2030-01-01.
fn regex_free_redate(xml: &str) -> String {
    let start = xml.find("<dc:date>").unwrap() + "<dc:date>".len();
    let end = start + xml[start..].find("</dc:date>").unwrap();
    format!("{}modified 2030-01-01{}", &xml[..start], &xml[end..])
}

#[test]
fn the_zip_and_the_folder_read_the_same() {
    let root = tempfile::tempdir().unwrap();
    let zip_path = root.path().join("vosdroits-latest.zip");
    let mut writer = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
    let options = zip::write::SimpleFileOptions::default();
    let mut names: Vec<_> = std::fs::read_dir(vosdroits())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    names.sort();
    for path in &names {
        writer
            .start_file(path.file_name().unwrap().to_str().unwrap(), options)
            .unwrap();
        writer.write_all(&std::fs::read(path).unwrap()).unwrap();
    }
    writer.start_file("README.txt", options).unwrap();
    writer.write_all(b"not a fiche").unwrap();
    writer.finish().unwrap();
    let from_zip = read_fiches(&zip_path, None).unwrap();
    let from_dir = read_fiches(&vosdroits(), None).unwrap();
    assert_eq!(from_zip.len(), names.len());
    assert_eq!(from_zip, from_dir);
    // Not a zip: a clear error.
    let error = read_fiches(&directory(), None).unwrap_err().to_string();
    assert!(error.contains("zip"), "{error}");
}
