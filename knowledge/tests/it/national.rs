//! The national "qui fait quoi" catalogue: loaded by every commune, overridden or disabled per
//! fiche by the commune's folder, and the commune's own partners first.

use std::path::Path;

use guichet_knowledge::Knowledge;

use crate::fixture::valid_copy;

/// Writes the commune's `commune.toml`: `base` with `[national] disabled = ids`.
fn disable_national(dir: &Path, base: &str, ids: &[&str]) {
    let section = format!("[national]\ndisabled = {ids:?}\n");
    std::fs::write(dir.join("commune.toml"), format!("{base}\n{section}")).unwrap();
}

/// Appends `section` to the folder's `commune.toml`.
fn append_to_commune_toml(dir: &Path, section: &str) {
    let toml = dir.join("commune.toml");
    let text = std::fs::read_to_string(&toml).unwrap();
    std::fs::write(&toml, format!("{text}\n{section}")).unwrap();
}

fn load(dir: &Path) -> Knowledge {
    match Knowledge::load(dir) {
        Ok(knowledge) => knowledge,
        Err(error) => panic!("{error}"),
    }
}

fn top(knowledge: &Knowledge, text: &str) -> Option<String> {
    knowledge
        .search(text)
        .first()
        .map(|hit| hit.fiche_id.clone())
}

#[test]
fn every_commune_gets_the_catalogue_with_its_partners() {
    let (_temp, dir) = valid_copy();
    let knowledge = load(&dir);
    for id in guichet_knowledge::national_fiche_ids() {
        assert!(
            knowledge.fiche(&id).is_some(),
            "national fiche {id} missing"
        );
    }
    let cpam = knowledge.fiche("cpam").unwrap();
    let partner = knowledge.partner_of(cpam).unwrap();
    assert_eq!(partner.phone.as_deref(), Some("3646"));
    assert_eq!(partner.website.as_deref(), Some("https://www.ameli.fr"));
    assert!(cpam.source.is_some() && cpam.sms_text().unwrap().contains("ameli.fr"));
    assert_eq!(
        top(&knowledge, "j'ai perdu ma carte vitale").as_deref(),
        Some("cpam")
    );
    // The commune's own fiches still come first on their topics.
    assert_eq!(
        top(&knowledge, "je voudrais jeter un vieux canapé").as_deref(),
        Some("encombrants")
    );
}

#[test]
fn a_commune_fiche_with_the_same_id_replaces_the_national_one() {
    let (_temp, dir) = valid_copy();
    std::fs::write(
        dir.join("fiches/cpam.md"),
        "---\nid: cpam\ntitle: Assurance maladie à Villetest\ncompetence: commune\n\
         questions:\n  - carte vitale\n  - sécurité sociale\n  - assurance maladie\n  - remboursement de soins\n\
         keywords: [carte vitale]\n---\nLa permanence de la caisse a lieu en mairie le mardi.\n",
    )
    .unwrap();
    let knowledge = load(&dir);
    let cpam = knowledge.fiche("cpam").unwrap();
    assert_eq!(cpam.title, "Assurance maladie à Villetest");
    assert!(cpam.answer.contains("le mardi"));
}

#[test]
fn a_commune_can_disable_national_fiches_and_typos_are_refused() {
    let (_temp, dir) = valid_copy();
    let text = std::fs::read_to_string(dir.join("commune.toml")).unwrap();
    disable_national(&dir, &text, &["msa", "france-renov"]);
    let knowledge = load(&dir);
    assert!(knowledge.fiche("msa").is_none());
    assert!(knowledge.fiche("france-renov").is_none());
    assert!(knowledge.fiche("cpam").is_some());

    disable_national(&dir, &text, &["msaa"]);
    let error = Knowledge::load(&dir).expect_err("an unknown id is refused");
    let message = error.to_string();
    assert!(
        message.contains("commune.toml") && message.contains("« msaa »"),
        "{message}"
    );
}

#[test]
fn the_communes_own_partner_takes_precedence() {
    let (_temp, dir) = valid_copy();
    append_to_commune_toml(
        &dir,
        "[partners.cpam]\nname = \"CPAM de Test\"\nphone = \"+33130005555\"\n\
         website = \"https://www.cpam-test.example\"\n",
    );
    let knowledge = load(&dir);
    let cpam = knowledge.fiche("cpam").unwrap();
    let partner = knowledge.partner_of(cpam).unwrap();
    assert_eq!(partner.name, "CPAM de Test");
    assert_eq!(partner.phone.as_deref(), Some("+33130005555"));
}

/// A local agency listed without a number of its own (the Annuaire gives the CPAM's 36 46 or
/// nothing) is still reached by phone: the national number fills in, its own address stays.
#[test]
fn a_local_partner_without_a_phone_gives_the_national_number() {
    let (_temp, dir) = valid_copy();
    append_to_commune_toml(
        &dir,
        "[partners.cpam]\nname = \"CPAM de Test - agence\"\n\
         postal_address = \"1 rue de Test, 99999 Test\"\n",
    );
    let knowledge = load(&dir);
    let cpam = knowledge.fiche("cpam").unwrap();
    let partner = knowledge.partner_of(cpam).unwrap();
    assert_eq!(partner.name, "CPAM de Test - agence");
    assert_eq!(partner.phone.as_deref(), Some("3646"));
    assert_eq!(partner.website.as_deref(), Some("https://www.ameli.fr"));
    assert_eq!(
        partner.postal_address.as_deref(),
        Some("1 rue de Test, 99999 Test")
    );
}

#[test]
fn matters_of_no_public_service_have_no_partner_and_name_where_to_go() {
    let (_temp, dir) = valid_copy();
    let knowledge = load(&dir);
    let outside: Vec<_> = knowledge
        .fiches()
        .iter()
        .filter(|fiche| fiche.competence == guichet_knowledge::Competence::Aucune)
        .collect();
    assert!(outside.len() >= 8, "{} fiches", outside.len());
    for fiche in outside {
        assert!(
            fiche.partner.is_none(),
            "{}: no public body, no partner",
            fiche.id
        );
        assert!(fiche.source.is_some(), "{}: source", fiche.id);
        assert!(!fiche.answer.trim().is_empty(), "{}: answer", fiche.id);
    }
    assert_eq!(
        top(&knowledge, "ma carte bancaire est bloquée").as_deref(),
        Some("banque")
    );
    assert_eq!(
        top(&knowledge, "ma box internet ne marche plus").as_deref(),
        Some("operateur-telecom")
    );
}

#[test]
fn a_body_specialising_an_unknown_fiche_is_warned_not_refused() {
    let (_temp, dir) = valid_copy();
    let text = std::fs::read_to_string(dir.join("commune.toml")).unwrap();
    // The commune turns the CPAM off: the MSA's link to it (`specialises: [cpam, …]`) is no typo.
    disable_national(&dir, &text, &["cpam"]);
    std::fs::write(
        dir.join("fiches/mission-locale.md"),
        "---\nid: mission-locale\ntitle: Mission locale\ncompetence: agglomeration\nquestions:\n  \
         - je cherche la mission locale\nkeywords: [mission locale]\n\
         specialises: [france-travail, franse-travail]\nrecourse_for: [cpam, caff]\n\
         handoff: never\n---\n\
         La mission locale accompagne les jeunes de seize à vingt-cinq ans.\n",
    )
    .unwrap();
    let knowledge = load(&dir);
    let warnings: Vec<String> = knowledge
        .warnings()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(
        warnings[0].ends_with(
            "fiches/mission-locale.md:8: attention : specialises : la fiche « franse-travail » \
             n'existe pas ; ce lien est ignoré"
        ),
        "{warnings:?}"
    );
    assert!(
        warnings[1].ends_with(
            "fiches/mission-locale.md:9: attention : recourse_for : la fiche « caff » n'existe \
             pas ; ce lien est ignoré"
        ),
        "{warnings:?}"
    );
    assert_eq!(
        knowledge.fiche("mission-locale").unwrap().specialises,
        ["france-travail", "franse-travail"]
    );
}

#[test]
fn every_commune_gets_the_national_spoken_synonyms_before_its_own() {
    let (_temp, dir) = valid_copy();
    let knowledge = load(&dir);
    let groups = knowledge.synonyms();
    let boulot = groups
        .iter()
        .position(|group| group.entries.iter().any(|entry| entry == "boulot"))
        .expect("the national synonyms are loaded");
    let own = groups
        .iter()
        .position(|group| group.entries.iter().any(|entry| entry == "cni"))
        .expect("the commune's synonyms are loaded");
    assert!(boulot < own, "national synonyms first, the commune's after");
    assert_eq!(
        top(&knowledge, "mon patron me paye pas mon boulot"),
        top(&knowledge, "mon employeur me paye pas mon travail")
    );
}

/// The first national recorded question for `fiche`, as `questions.txt` spells it.
fn national_question(fiche: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("national/questions.txt");
    let text = std::fs::read_to_string(path).unwrap();
    let prefix = format!("{fiche} : ");
    let line = text.lines().find(|line| line.starts_with(&prefix)).unwrap();
    line[prefix.len()..].to_owned()
}

/// Writes a recorded dialogue whose caller says `caller`, expecting a reformulation.
fn record(dir: &Path, caller: &str) {
    std::fs::create_dir_all(dir.join("dialogues")).unwrap();
    let dialogue =
        format!("name: x\nturns:\n  - caller: \"{caller}\"\n    expect: {{ action: fallback }}\n");
    std::fs::write(dir.join("dialogues/own.yaml"), dialogue).unwrap();
}

#[test]
fn every_commune_reads_the_national_recorded_questions_unless_it_turns_them_off() {
    let (_temp, dir) = valid_copy();
    let knowledge = load(&dir);
    let national = knowledge.recorded_questions();
    assert!(national > 1_000, "{national}");
    let vitale = knowledge
        .resemblance("j'ai égaré ma carte vitale dans le bus")
        .unwrap();
    assert_eq!(vitale.topic(), Some("cpam"));

    // A question the commune records itself is read once, with the commune's expectation.
    record(&dir, &national_question("cpam"));
    assert_eq!(load(&dir).recorded_questions(), national);
    record(&dir, "une question que personne d'autre ne pose");
    assert_eq!(load(&dir).recorded_questions(), national + 1);

    // A disabled national fiche takes its recorded questions away.
    append_to_commune_toml(&dir, "[national]\ndisabled = [\"cpam\"]\n");
    let without_cpam = load(&dir);
    assert!(without_cpam.recorded_questions() < national);
    let vitale = without_cpam.resemblance("j'ai égaré ma carte vitale dans le bus");
    assert_ne!(vitale.and_then(|found| found.topic()), Some("cpam"));

    // The commune turns them all off: only its own are read.
    let base = std::fs::read_to_string(crate::fixture::valid().join("commune.toml")).unwrap();
    std::fs::write(
        dir.join("commune.toml"),
        format!("{base}\n[national]\nrecorded_questions = false\n"),
    )
    .unwrap();
    assert_eq!(load(&dir).recorded_questions(), 1);
}
