//! Search behaviour on the small valid fixture.

use std::path::Path;

use chrono::{TimeZone, Utc};
use guichet_knowledge::{Knowledge, ScheduleQuery};

use crate::fixture::valid_copy;

fn knowledge() -> Knowledge {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/valid");
    Knowledge::load(&dir).unwrap_or_else(|error| panic!("{error}"))
}

fn top(knowledge: &Knowledge, text: &str) -> (String, f32) {
    let hits = knowledge.search(text);
    let hit = hits
        .first()
        .unwrap_or_else(|| panic!("no hit for « {text} »"));
    (hit.fiche_id.clone(), hit.confidence)
}

#[test]
fn hits_are_ranked_bounded_and_limited() {
    let knowledge = knowledge();
    let hits = knowledge.search("passeport");
    assert!(!hits.is_empty() && hits.len() <= 5);
    assert!(hits.iter().all(|hit| (0.0..=1.0).contains(&hit.confidence)));
    assert_eq!(
        hits[0].fiche_id, "passeport",
        "the generic fiche answers the bare word"
    );
    assert!(knowledge.search_n("passeport", 2).len() <= 2);
    assert!(
        knowledge
            .search("euh bah bonjour madame s'il vous plaît")
            .is_empty()
    );
}

#[test]
fn a_typo_finds_the_fiche_but_weighs_less_than_the_exact_word() {
    let knowledge = knowledge();
    let (exact_id, exact) = top(&knowledge, "j'ai perdu mon passeport");
    let (typo_id, typo) = top(&knowledge, "jai perdu mon passport");
    assert_eq!(exact_id, "passeport-perte");
    assert_eq!(typo_id, "passeport-perte");
    assert!(typo < exact, "fuzzy {typo} must stay under exact {exact}");
}

#[test]
fn specific_requests_beat_the_clarifying_fiche() {
    let knowledge = knowledge();
    assert_eq!(
        top(&knowledge, "mon passeport est périmé").0,
        "passeport-renouvellement"
    );
    assert_eq!(
        top(&knowledge, "mon passeport est perime").0,
        "passeport-renouvellement"
    );
    assert_eq!(
        top(&knowledge, "bonjour je voudrais jeter un vieux frigo").0,
        "encombrants"
    );
}

#[test]
fn out_of_scope_is_unsure() {
    let knowledge = knowledge();
    for text in [
        "quelle est la capitale de l'Australie",
        "je voudrais commander une pizza",
    ] {
        // Unsure, or a matter of no public service: never a confident public fiche.
        let best = knowledge.search(text);
        let best = best.first();
        let outside = best.is_some_and(|hit| {
            knowledge
                .fiche(&hit.fiche_id)
                .is_some_and(|fiche| !fiche.competence.is_public())
        });
        let confidence = best.map_or(0.0, |hit| hit.confidence);
        assert!(outside || confidence < 0.3, "« {text} »: {confidence}");
    }
}

#[test]
fn hints_stats_and_schedule() {
    let knowledge = knowledge();
    let hints = knowledge.hints();
    assert!(hints.iter().any(|hint| hint == "passeport"));
    assert!(hints.iter().any(|hint| hint == "cni"));
    let stats = knowledge.stats();
    // The commune's 5 fiches and the national catalogue every commune loads.
    assert_eq!(
        stats.fiches,
        5 + guichet_knowledge::national_fiche_ids().len()
    );
    assert_eq!(stats.fiches_by_competence.get("agglomeration"), Some(&1));
    assert!(stats.questions > 15);
    // Tuesday 10 March 2026, 10:15 in Paris (09:15 UTC): open; 1 May: closed (public holiday).
    let tuesday = Utc.with_ymd_and_hms(2026, 3, 10, 9, 15, 0).single();
    let may_day = Utc.with_ymd_and_hms(2026, 5, 1, 9, 15, 0).single();
    assert!(tuesday.is_some_and(|at| knowledge.opening_hours().is_open(at)));
    assert!(may_day.is_some_and(|at| !knowledge.opening_hours().is_open(at)));
    assert!(knowledge.rollout_windows().is_none());
}

/// The demo commune, with the national catalogue.
fn demo() -> Knowledge {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../communes/demo");
    Knowledge::load(&dir).unwrap_or_else(|error| panic!("the demo commune must load:\n{error}"))
}

#[test]
fn a_word_split_by_the_recogniser_is_glued_back() {
    let knowledge = demo();
    let split = knowledge.search("alors voila c'est pour mon passe port");
    let whole = knowledge.search("alors voila c'est pour mon passeport");
    assert_eq!(
        split.first().map(|hit| &hit.fiche_id),
        whole.first().map(|hit| &hit.fiche_id)
    );
}

#[test]
fn generic_words_alone_do_not_point_at_a_fiche() {
    let knowledge = demo();
    for text in ["euh c'est quoi la meteo pour demain", "votre mairie"] {
        // Unsure, or a matter of no public service (the weather): never a public fiche.
        let best = knowledge
            .search(text)
            .into_iter()
            .find(|hit| {
                knowledge
                    .fiche(&hit.fiche_id)
                    .is_some_and(|fiche| fiche.competence.is_public())
            })
            .map_or(0.0, |hit| hit.confidence);
        assert!(best < 0.2, "« {text} » → {best}");
    }
    let named = knowledge.search("la mairie est ouverte demain");
    assert!(named.first().is_some_and(|hit| hit.confidence >= 0.3));
    // When: "après-midi" qualifies the place named with it, it does not outweigh it.
    let (fiche, _) = top(
        &knowledge,
        "la bibliothèque est ouverte le samedi après-midi",
    );
    assert_eq!(fiche, "mediatheque");
    let (fiche, _) = top(&knowledge, "la mairie est ouverte le samedi après-midi");
    assert_eq!(fiche, "horaires-mairie");
}

#[test]
fn a_fiche_s_own_phrase_names_the_topic_in_a_long_sentence() {
    let knowledge = demo();
    let short = top(&knowledge, "ma carte vitale ne marche plus");
    let long = top(
        &knowledge,
        "heu bonjour c'est madame Durand j'appelle parce que ma carte vitale elle est passée \
         à la machine à laver et elle marche plus",
    );
    assert_eq!(short.0, "cpam");
    assert_eq!(long.0, "cpam", "{long:?}");
    assert!(
        long.1 >= guichet_knowledge::search::PHRASE_CONFIDENCE,
        "the circumstances do not dilute « carte Vitale »: {long:?}"
    );
}

#[test]
fn a_fiche_s_own_phrase_said_under_a_negation_does_not_floor_its_confidence() {
    let knowledge = demo();
    let floor = guichet_knowledge::search::PHRASE_CONFIDENCE;
    let confidence = |text: &str| {
        knowledge
            .search(text)
            .iter()
            .find(|hit| hit.fiche_id == "plainte")
            .map_or(0.0, |hit| hit.confidence)
    };
    let story = "ma voisine m'a raconté que son compagnon la frappe depuis des mois";
    let wants = confidence(&format!("{story} et elle veut porter plainte"));
    assert!(wants >= floor, "the complaint asked for: {wants}");
    for refused in [
        format!("{story} mais elle veut pas porter plainte"),
        format!("{story} mais elle veut pas en porter plainte"),
        format!("{story} elle a jamais porté plainte"),
    ] {
        let refused_confidence = confidence(&refused);
        assert!(
            refused_confidence < floor,
            "« {refused} » → {refused_confidence}"
        );
    }
    // Only the word right after the negation is negated: "pas ma carte Vitale" names it.
    let (fiche, confidence) = top(
        &knowledge,
        "bonjour je vous appelle parce que depuis mon déménagement le mois dernier dans la \
         commune je trouve pas ma carte vitale",
    );
    assert_eq!(fiche, "cpam");
    assert!(confidence >= floor, "{confidence}");
}

#[test]
fn a_fiche_that_names_the_topic_is_scored_even_when_bm25_ranks_it_low() {
    // "fièvre" is one word among everyday ones that many fiches share ("bébé", "deux mois",
    // "samedi soir"); BM25 ranked `urgences` too low for a short candidate list.
    let knowledge = demo();
    let hits = knowledge.search("mon bébé de deux mois a trente neuf de fièvre on est samedi soir");
    assert_eq!(
        hits.first().map(|hit| hit.fiche_id.as_str()),
        Some("urgences"),
        "{hits:?}"
    );
    // A longer list scores more fiches, it does not make a public fiche sure of small talk.
    let hits = knowledge.search("vous avez vu le film hier soir à la télé");
    let public = hits
        .iter()
        .filter(|hit| {
            knowledge
                .fiche(&hit.fiche_id)
                .is_some_and(|fiche| fiche.competence.is_public())
        })
        .map(|hit| hit.confidence)
        .fold(0.0, f32::max);
    assert!(public < 0.22, "{hits:?}");
}

/// The valid fixture with `extra` appended to its `synonyms.txt` and `fiches` (file name,
/// text) added.
fn with_additions(extra: &str, fiches: &[(&str, &str)]) -> (tempfile::TempDir, Knowledge) {
    let (temp, dir) = valid_copy();
    for (name, text) in fiches {
        std::fs::write(dir.join("fiches").join(name), text).unwrap();
    }
    let synonyms = dir.join("synonyms.txt");
    let text = std::fs::read_to_string(&synonyms).unwrap() + extra;
    std::fs::write(&synonyms, text).unwrap();
    let knowledge = Knowledge::load(&dir).unwrap_or_else(|error| panic!("{error}"));
    (temp, knowledge)
}

#[test]
fn a_spoken_synonym_no_fiche_uses_weighs_as_the_word_it_stands_for() {
    let (_plain_dir, plain) = with_additions("", &[]);
    let (_spoken_dir, spoken) = with_additions("\nperdu, paumé\n", &[]);
    // The caller's word finds the fiche through the fiches' word…
    assert_eq!(
        top(&spoken, "j'ai paumé mon passeport").0,
        "passeport-perte"
    );
    // …and a group holding a word no fiche uses does not make "perdu" weigh as the rarest word
    // of the folder: the share of the query the fiche covers is the same with or without it.
    let query = "j'ai perdu mon passeport et je voudrais les horaires";
    let (plain_top, plain_confidence) = top(&plain, query);
    let (spoken_top, spoken_confidence) = top(&spoken, query);
    assert_eq!(plain_top, spoken_top);
    assert!(
        (plain_confidence - spoken_confidence).abs() < 1e-4,
        "{plain_confidence} without the spoken synonym, {spoken_confidence} with it"
    );
}

#[test]
fn a_keyword_of_generic_words_and_numbers_floors_no_confidence() {
    let recensement = "---
id: recensement
title: Recensement citoyen
competence: commune
questions:
  - mon fils doit se faire recenser
keywords: [\"recensement citoyen\", \"seize ans\", \"16 ans\"]
handoff: never
---
Le recensement se fait à la mairie dans les trois mois qui suivent les seize ans.
";
    let (_dir, knowledge) = with_additions("", &[("recensement.md", recensement)]);
    let confidence = |text: &str| {
        knowledge
            .search(text)
            .iter()
            .find(|hit| hit.fiche_id == "recensement")
            .map_or(0.0, |hit| hit.confidence)
    };
    // The fiche's own phrase names its topic however long the sentence…
    assert!(
        confidence(
            "bonjour je vous appelle pour le recensement citoyen de mon grand fils qui est au lycée"
        ) >= 0.5
    );
    // …but an age says whom the request is about, not what it is.
    for text in [
        "ma fille de seize ans a écrit sur son téléphone qu'elle voulait disparaître",
        "mon fils de 16 ans s'est fait voler son scooter devant le collège",
    ] {
        assert!(confidence(text) < 0.35, "« {text} »: {}", confidence(text));
    }
}

#[test]
fn what_the_search_understood_is_shown_concept_by_concept() {
    let knowledge = knowledge();
    let understood = knowledge.understand("euh bonjour mon passport demain");
    let words: Vec<&str> = understood
        .iter()
        .map(|concept| concept.words.as_str())
        .collect();
    // Fillers and stop words are gone; the typo is corrected and flagged; "demain" only
    // qualifies the request.
    assert_eq!(words.len(), 2, "{understood:?}");
    assert!(
        understood[0].corrected && !understood[0].generic,
        "{understood:?}"
    );
    assert!(
        understood[1].generic && !understood[1].corrected,
        "{understood:?}"
    );
    assert!(
        understood[1].idf < understood[0].idf,
        "a generic word weighs less: {understood:?}"
    );
    assert_eq!(
        understood[0].words,
        knowledge.understand("passeport")[0].words,
        "the typo is read as the fiche's word"
    );
    assert!(knowledge.understand("euh bah bonjour").is_empty());
    assert!(
        knowledge.understand("parce que").is_empty(),
        "\"parce\" would stem to \"parc\""
    );
}
