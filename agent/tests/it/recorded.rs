//! The recorded questions' second opinion (`Policy::second_opinion`): the demo's fiches in a
//! folder of their own, with and without recorded dialogues.

use std::path::Path;

use crate::common;

use common::*;
use guichet_agent::DecisionAction;
use guichet_knowledge::Knowledge;

/// The demo commune's fiches in a new folder, with `dialogues` (YAML) as its only recorded
/// questions when given (the national ones turned off).
fn commune(dialogues: Option<&str>) -> (tempfile::TempDir, Knowledge) {
    let dir = tempfile::tempdir().expect("tempdir");
    let demo = Path::new(DEMO);
    std::fs::copy(demo.join("synonyms.txt"), dir.path().join("synonyms.txt")).expect("copy");
    let toml = std::fs::read_to_string(demo.join("commune.toml")).expect("commune.toml");
    let own_only = format!("{toml}\n[national]\nrecorded_questions = false\n");
    std::fs::write(dir.path().join("commune.toml"), own_only).expect("write");
    std::fs::create_dir(dir.path().join("fiches")).expect("mkdir");
    for entry in std::fs::read_dir(demo.join("fiches")).expect("fiches") {
        let path = entry.expect("entry").path();
        std::fs::copy(
            &path,
            dir.path()
                .join("fiches")
                .join(path.file_name().expect("name")),
        )
        .expect("copy");
    }
    if let Some(dialogues) = dialogues {
        std::fs::create_dir(dir.path().join("dialogues")).expect("mkdir");
        std::fs::write(dir.path().join("dialogues/enregistres.yaml"), dialogues).expect("write");
    }
    let knowledge = load(dir.path());
    (dir, knowledge)
}

/// The reply to a caller's first words, on a Tuesday the mairie is open.
fn first_reply(knowledge: &Knowledge, question: &str) -> guichet_agent::Reply {
    Call::voice(knowledge, tuesday_open(), MOBILE).say(question)
}

/// A call on a Tuesday the mairie is open, its engine under `policy`.
fn call_under(knowledge: &Knowledge, policy: guichet_agent::Policy) -> Call<'_> {
    let mut call = Call::voice(knowledge, tuesday_open(), MOBILE);
    call.engine = guichet_agent::Engine::new(policy);
    call
}

/// One-turn dialogues of a split, each caller line expecting `expect`.
fn recorded(split: &str, lines: &[(&str, &str)]) -> String {
    lines
        .iter()
        .map(|(caller, expect)| {
            format!(
                "name: \"{caller}\"\nsplit: {split}\nturns:\n  - caller: \"{caller}\"\n    expect: {expect}\n"
            )
        })
        .collect::<Vec<_>>()
        .join("---\n")
}

const ROOM_FOR_A_PARTY: &str =
    "pour un pot de départ en retraite on cherche une salle communale un vendredi soir";

#[test]
fn a_sure_answer_that_recorded_questions_give_to_another_topic_is_confirmed_first() {
    let (_dir, bare) = commune(None);
    let reply = first_reply(&bare, ROOM_FOR_A_PARTY);
    expect(&reply, DecisionAction::Deflect, Some("assurance-retraite"));

    let salle = "{ fiche: location-salle }";
    let dev = recorded(
        "dev",
        &[
            (
                "on cherche une salle pour le pot de départ de mon collègue",
                salle,
            ),
            (
                "vous louez la salle communale pour une fête le vendredi soir",
                salle,
            ),
            ("c'est combien pour louer une salle pour un pot", salle),
            (
                "je voudrais réserver la salle polyvalente pour un anniversaire",
                salle,
            ),
        ],
    );
    let test = recorded(
        "test",
        &[(
            ROOM_FOR_A_PARTY,
            "{ action: deflect, fiche: assurance-retraite }",
        )],
    );
    let dialogues = format!("{dev}---\n{test}");
    let (_dir, knowledge) = commune(Some(&dialogues));
    assert_eq!(
        knowledge.recorded_questions(),
        4,
        "the test split is not read"
    );
    let reply = first_reply(&knowledge, ROOM_FOR_A_PARTY);
    expect(&reply, DecisionAction::Confirm, Some("assurance-retraite"));
    assert_eq!(reply.trace.rule, "resembles_another_topic");
    let text = said(&reply);
    assert!(
        text.contains("au sujet de"),
        "a confirmation question: {text}"
    );
}

#[test]
fn a_guess_that_recorded_questions_give_to_the_same_topic_is_answered() {
    let question = "je cherche à emprunter des romans";
    let (_dir, bare) = commune(None);
    let reply = first_reply(&bare, question);
    expect(&reply, DecisionAction::Confirm, Some("mediatheque"));
    assert_eq!(reply.trace.rule, "middling_confidence");

    let livres = "{ fiche: mediatheque }";
    let (_dir, knowledge) = commune(Some(&recorded(
        "dev",
        &[
            ("je voudrais emprunter des romans policiers", livres),
            (
                "on peut emprunter des romans pour les ados chez vous",
                livres,
            ),
            ("c'est gratuit d'emprunter des livres", livres),
            ("mon fils veut emprunter des bandes dessinées", livres),
        ],
    )));
    let reply = first_reply(&knowledge, question);
    expect(&reply, DecisionAction::Answer, Some("mediatheque"));

    // An unsure transcription is still confirmed first, whatever the recorded questions say.
    let mut call = Call::voice(&knowledge, tuesday_open(), MOBILE);
    let mut unsure = inbound(call.channel, MOBILE, question);
    unsure.asr_confidence = Some(0.3);
    let reply = call.send(unsure);
    expect(&reply, DecisionAction::Confirm, Some("mediatheque"));
}

/// Whether the search sees `topic` from the share of `confidence` the second opinion asks of it.
fn seen_by_search(knowledge: &Knowledge, question: &str, topic: &str, confidence: f32) -> bool {
    let share = guichet_agent::Policy::default().resemblance_rival_share;
    knowledge
        .search(question)
        .iter()
        .any(|hit| hit.fiche_id == topic && hit.confidence >= confidence * share)
}

#[test]
fn a_sure_answer_is_confirmed_first_when_recorded_callers_strongly_meant_what_the_search_misses() {
    let question = "vous faites les passeports à la mairie de villebourg";
    let (_dir, bare) = commune(None);
    let reply = first_reply(&bare, question);
    expect(&reply, DecisionAction::Answer, Some("titre-suivi"));
    let confidence = reply.trace.confidence.expect("a match");
    assert!(!seen_by_search(&bare, question, "passeport", confidence));

    let passeport = "{ fiche: passeport }";
    let (_dir, knowledge) = commune(Some(&recorded(
        "dev",
        &[
            ("est-ce que vous faites les passeports", passeport),
            (
                "on peut faire son passeport à la mairie de villebourg",
                passeport,
            ),
            ("je voudrais faire un passeport à la mairie", passeport),
        ],
    )));
    let strength = knowledge.resemblance(question).expect("alike").strength();
    assert!(
        strength >= guichet_agent::Policy::default().unseen_doubt,
        "{strength}"
    );
    let reply = first_reply(&knowledge, question);
    expect(&reply, DecisionAction::Confirm, Some("titre-suivi"));
    assert_eq!(reply.trace.rule, "resembles_another_topic");
}

#[test]
fn an_unsure_match_is_asked_about_as_recorded_callers_meant_it_though_the_search_barely_sees_it() {
    let question = "mon fils a eu seize ans le mois dernier il doit faire un papier pour l'armée";
    let (_dir, bare) = commune(None);
    let reply = first_reply(&bare, question);
    // Alone, the search's unsure guess (the identity card's renewal, none of whose own words
    // the caller said) is not worth a question: the caller is asked to rephrase.
    expect(&reply, DecisionAction::Fallback, None);
    assert_eq!(reply.trace.rule, "not_understood");
    let confidence = reply.trace.confidence.expect("a match");
    assert!(!seen_by_search(
        &bare,
        question,
        "recensement-citoyen",
        confidence
    ));

    let recensement = "{ fiche: recensement-citoyen }";
    let (_dir, knowledge) = commune(Some(&recorded(
        "dev",
        &[
            (
                "ma fille a seize ans elle doit se faire recenser pour l'armée",
                recensement,
            ),
            (
                "le papier pour l'armée à seize ans c'est à la mairie",
                recensement,
            ),
            (
                "mon fils vient d'avoir seize ans pour la journée défense",
                recensement,
            ),
        ],
    )));
    let reply = first_reply(&knowledge, question);
    expect(&reply, DecisionAction::Confirm, Some("recensement-citoyen"));
    assert_eq!(reply.trace.rule, "recorded_reading");
}

#[test]
fn a_body_that_specialises_the_match_is_named_when_recorded_callers_meant_it() {
    let question = "mon père a été paysan toute sa vie il touche une toute petite retraite";
    let (_dir, bare) = commune(None);
    let reply = first_reply(&bare, question);
    expect(&reply, DecisionAction::Deflect, Some("assurance-retraite"));

    let msa = "{ action: deflect, fiche: msa }";
    let (_dir, knowledge) = commune(Some(&recorded(
        "dev",
        &[
            (
                "ma mère était paysanne elle a une toute petite retraite",
                msa,
            ),
            ("mon grand-père paysan touche une retraite de misère", msa),
            ("j'ai été paysan quarante ans c'est pour ma retraite", msa),
        ],
    )));
    let reply = first_reply(&knowledge, question);
    expect(&reply, DecisionAction::Deflect, Some("msa"));
    assert_eq!(reply.trace.rule, "best_match");
}

/// An unsure guess at a line for a person in danger that only ties with another topic is asked
/// about, not given straight away (`Policy::leads_for_danger_line`): here no recorded question
/// is there to doubt it, the lead alone holds it back.
#[test]
fn an_unsure_danger_line_that_only_ties_with_another_topic_is_asked_about() {
    let (_dir, knowledge) = commune(None);
    let question = "vous auriez une adresse de pizzeria pour ce soir on est huit avec les enfants";
    let policy = guichet_agent::Policy::default();
    let reply = first_reply(&knowledge, question);
    assert_eq!(reply.trace.action, DecisionAction::Confirm, "{reply:?}");
    assert_eq!(reply.trace.fiche.as_deref(), Some("enfance-en-danger"));
    let margin = reply.trace.margin.expect("a margin");
    assert!(
        (0.0..policy.danger_line_lead).contains(&margin),
        "the premise: the 119 leads, by less than the policy asks ({margin})"
    );
    // Any lead at all would have given the 119 to a family looking for a pizzeria.
    let policy = guichet_agent::Policy {
        danger_line_lead: f32::MIN_POSITIVE,
        ..policy
    };
    let reply = call_under(&knowledge, policy).say(question);
    assert_eq!(reply.trace.rule, "danger_line", "{reply:?}");
    assert_eq!(reply.trace.action, DecisionAction::Deflect);
}

/// A sure match on the emergency numbers that the search alone reached is doubted like any
/// other (`emergency::is_never_doubted`): a fall at the farm is an emergency's words in a matter
/// of benefits when the recorded callers meant the MSA. The helplines stay never doubted.
#[test]
fn a_sure_emergency_match_is_confirmed_first_when_recorded_callers_meant_another_topic() {
    let question =
        "mon fils s'est cassé la jambe en chutant d'une échelle à la ferme quelle caisse rembourse";
    let (_dir, bare) = commune(None);
    let reply = first_reply(&bare, question);
    expect(&reply, DecisionAction::Deflect, Some("urgences"));
    assert_eq!(reply.trace.rule, "best_match", "the search's sure match");

    let msa = "{ action: deflect, fiche: msa }";
    let farm_falls = recorded(
        "dev",
        &[
            (
                "il s'est cassé le bras en tombant à la ferme quelle caisse paie ses soins",
                msa,
            ),
            (
                "chute dans la grange de la ferme jambe cassée qui rembourse",
                msa,
            ),
            (
                "mon mari exploitant agricole s'est blessé en tombant qui paie son arrêt",
                msa,
            ),
            (
                "accident à la ferme une échelle a glissé c'est quelle caisse",
                msa,
            ),
        ],
    );
    let (_dir, knowledge) = commune(Some(&farm_falls));
    let reply = first_reply(&knowledge, question);
    assert_eq!(reply.trace.action, DecisionAction::Confirm, "{reply:?}");
    assert!(said(&reply).contains("au sujet de"), "{}", said(&reply));
}

/// A match on a recourse (`recourse_for:`, France Victimes beside the police complaint) goes to
/// the body it is beside when the recorded callers meant that body: a threat to be put on
/// record is the complaint's first.
#[test]
fn a_recourse_gives_way_to_the_body_it_is_beside_when_recorded_callers_meant_that_body() {
    let question = "on m'a menacé au couteau devant chez moi ce matin";
    let (_dir, bare) = commune(None);
    let reply = first_reply(&bare, question);
    expect(&reply, DecisionAction::Deflect, Some("france-victimes"));
    assert_eq!(reply.trace.rule, "best_match", "the search's sure match");

    let plainte = "{ action: deflect, fiche: plainte }";
    let threats = recorded(
        "dev",
        &[
            (
                "mon voisin m'a menacé hier je veux que ce soit enregistré",
                plainte,
            ),
            (
                "un homme m'a menacé avec une arme comment le signaler",
                plainte,
            ),
            ("menacé de mort devant chez moi il faut aller où", plainte),
            (
                "on m'a menacé dans la rue je voudrais faire une déposition",
                plainte,
            ),
        ],
    );
    let (_dir, knowledge) = commune(Some(&threats));
    let reply = first_reply(&knowledge, question);
    expect(&reply, DecisionAction::Deflect, Some("plainte"));
    assert_eq!(reply.trace.rule, "best_match");
}

/// A helpline for a person in danger that the search found close behind an uncertain match is
/// named instead when the recorded callers meant it (`best_match::recorded_line`): a partner who
/// takes the caller's bank card and controls everything is the 3919's, not the bank's.
#[test]
fn a_helpline_close_behind_is_named_when_recorded_callers_meant_it() {
    let question = "mon compagnon me prend mon téléphone et ma carte bleue il contrôle tout et il me menace si je sors voir mes amies";
    let (_dir, bare) = commune(None);
    let reply = first_reply(&bare, question);
    assert_ne!(
        reply.trace.fiche.as_deref(),
        Some("violences-femmes"),
        "the premise: the search alone puts the bank first: {reply:?}"
    );
    let hits = bare.search(question);
    let line_share = guichet_agent::emergency::SECOND_LINE_SHARE;
    assert!(
        hits.iter().any(|hit| hit.fiche_id == "violences-femmes"
            && hit.confidence >= hits[0].confidence * line_share),
        "the premise: the 3919 close behind: {hits:?}"
    );

    let line = "{ action: deflect, fiche: violences-femmes }";
    let control = recorded(
        "dev",
        &[
            ("mon mari me prend tout mon salaire et me surveille", line),
            (
                "il contrôle mon téléphone et m'empêche de voir mes amies",
                line,
            ),
            ("mon compagnon me menace dès que je sors sans lui", line),
            (
                "il garde ma carte bleue et contrôle toutes mes dépenses",
                line,
            ),
        ],
    );
    let (_dir, knowledge) = commune(Some(&control));
    let reply = first_reply(&knowledge, question);
    expect(&reply, DecisionAction::Deflect, Some("violences-femmes"));
}

#[test]
fn a_helpline_the_search_is_unsure_of_is_given_when_recorded_callers_meant_it() {
    let question = "depuis la faillite je passe des heures dans l'atelier à fixer la poutre avec la corde à côté";
    let (_dir, bare) = commune(None);
    let reply = first_reply(&bare, question);
    assert_ne!(
        reply.trace.fiche.as_deref(),
        Some("prevention-suicide"),
        "the premise: neither the emergency words nor the search hear it: {reply:?}"
    );

    let line = "{ action: deflect, fiche: prevention-suicide }";
    let distress = recorded(
        "dev",
        &[
            ("je regarde la poutre du garage en pensant à la corde", line),
            (
                "j'ai acheté une corde et je fixe la poutre de la grange",
                line,
            ),
            ("la poutre de l'atelier m'attire depuis la faillite", line),
            (
                "je voudrais louer la salle des fêtes pour un anniversaire",
                "{ fiche: location-salle }",
            ),
        ],
    );
    let (_dir, knowledge) = commune(Some(&distress));
    let reply = first_reply(&knowledge, question);
    expect(&reply, DecisionAction::Deflect, Some("prevention-suicide"));
    assert_eq!(reply.trace.rule, "recorded_line");

    // The line is not given when the recorded questions most like the caller's lead with
    // another topic, though one of them meant the line.
    let neighbours = "{ fiche: conflit-voisinage }";
    let mixed = recorded(
        "dev",
        &[
            ("la corde à linge du voisin passe devant ma fenêtre", line),
            (
                "le voisin a tendu sa corde à linge au-dessus de ma clôture",
                neighbours,
            ),
            ("la corde à linge du voisin déborde chez moi", neighbours),
        ],
    );
    let (_dir, knowledge) = commune(Some(&mixed));
    let reply = first_reply(
        &knowledge,
        "le voisin a tendu une corde à linge au-dessus de l'atelier",
    );
    assert_ne!(reply.trace.rule, "recorded_line", "{reply:?}");
}

/// The emergency numbers, like the helplines, are given when the search is unsure but the
/// recorded callers most like this one were in an emergency (`Policy::recorded_line`): callers
/// tell what they see, in words neither the emergency phrases nor the fiches list. The
/// emergency numbers need a stronger resemblance than a helpline (`recorded_emergency`).
#[test]
fn an_emergency_told_in_unlisted_words_gets_the_numbers_when_recorded_callers_meant_them() {
    let question = "le petit du voisin a glissé dans la mare gelée et la glace a cédé sous lui";
    let (_dir, bare) = commune(None);
    let reply = first_reply(&bare, question);
    assert_ne!(
        reply.trace.fiche.as_deref(),
        Some("urgences"),
        "the premise: neither the emergency words nor the search hear it: {reply:?}"
    );

    let emergency = "{ action: deflect, fiche: urgences }";
    let seen = recorded(
        "dev",
        &[
            (
                "un enfant est passé à travers la glace du lac gelé",
                emergency,
            ),
            ("la glace de la mare a cédé sous mon chien", emergency),
            ("mon neveu vient de glisser dans l'étang gelé", emergency),
            (
                "je voudrais louer la salle des fêtes pour un anniversaire",
                "{ fiche: location-salle }",
            ),
        ],
    );
    let (_dir, knowledge) = commune(Some(&seen));
    let reply = first_reply(&knowledge, question);
    expect(&reply, DecisionAction::Deflect, Some("urgences"));
    assert_eq!(reply.trace.rule, "recorded_line");

    // Under the emergency numbers' own least strength, the helplines' is not enough.
    let policy = guichet_agent::Policy {
        recorded_emergency: 1.0,
        ..guichet_agent::Policy::default()
    };
    let reply = call_under(&knowledge, policy).say(question);
    assert_ne!(reply.trace.rule, "recorded_line", "{reply:?}");
}

/// A request the search did not understand, like recorded ones that are no public service's
/// business, is named as such from a lower strength than a public topic is asked about
/// (`Policy::recorded_outside` beside `recorded_guess`): « c'est l'affaire de votre garagiste »
/// is a next step, a confirmation about a public service the caller may not want is not.
#[test]
fn a_matter_of_no_public_service_is_named_from_a_lower_resemblance_than_a_topic_is_asked() {
    let question = "un garagiste honnête pour changer mes plaquettes de frein vous connaissez";
    let (_dir, bare) = commune(None);
    let reply = first_reply(&bare, question);
    assert_eq!(
        reply.trace.rule, "not_understood",
        "the premise: the search understands nothing: {reply:?}"
    );

    let chat = "{ action: fallback, fiche: bavardage }";
    let seen = recorded(
        "dev",
        &[
            ("vous connaissez un bon garagiste dans le coin", chat),
            ("le garagiste de la place il est honnête", chat),
            ("mes freins font du bruit un mécano à me conseiller", chat),
        ],
    );
    let (_dir, knowledge) = commune(Some(&seen));
    let say = |policy| call_under(&knowledge, policy).say(question);
    let never_asked = guichet_agent::Policy {
        recorded_guess: 1.0,
        ..guichet_agent::Policy::default()
    };
    let reply = say(never_asked);
    expect(&reply, DecisionAction::Fallback, Some("bavardage"));
    let reply = say(guichet_agent::Policy {
        recorded_outside: 1.0,
        ..never_asked
    });
    assert_eq!(reply.trace.rule, "not_understood", "{reply:?}");
}

/// An unsure guess at a matter of no public service is not asked about (a « oui » would only
/// lead to « not the mairie's »): it is read as not understood, and the recorded questions
/// still name whose business it is.
#[test]
fn an_unsure_guess_at_a_matter_of_no_public_service_is_named_when_recorded_callers_meant_it() {
    let question = "ma facture edf a pris cinquante euros d'un coup";
    let (_dir, bare) = commune(None);
    let reply = first_reply(&bare, question);
    assert_eq!(
        reply.trace.rule, "not_understood",
        "the premise: no confirmation of a matter of no public service: {reply:?}"
    );
    let confidence = reply.trace.confidence.expect("a guess");
    let policy = guichet_agent::Policy::default();
    assert!(
        (policy.confirm_confidence..policy.answer_confidence).contains(&confidence),
        "the premise: an unsure guess ({confidence})"
    );

    let energy = "{ action: fallback, fiche: energie }";
    let seen = recorded(
        "dev",
        &[
            ("ma facture edf a augmenté sans raison", energy),
            ("la facture d'électricité a doublé d'un coup", energy),
            ("edf me réclame cinquante euros de plus", energy),
        ],
    );
    let (_dir, knowledge) = commune(Some(&seen));
    // The recorded questions' agreement alone does not answer the guess (see
    // `Policy::second_opinion`): the guess is not understood, and the recorded questions read.
    let call = || {
        let policy = guichet_agent::Policy {
            resemblance_agreement: f32::INFINITY,
            ..guichet_agent::Policy::default()
        };
        call_under(&knowledge, policy)
    };
    let reply = call().say(question);
    expect(&reply, DecisionAction::Fallback, Some("energie"));
    assert_eq!(reply.trace.rule, "outside_public_service");

    // A later request of the same call is not read by the recorded questions, which are
    // callers' first words: it leans on what was said before.
    let mut call = call();
    let first = call.say("je voudrais louer la salle des fêtes pour un anniversaire");
    expect(&first, DecisionAction::Answer, Some("location-salle"));
    let reply = call.say(question);
    assert_eq!(reply.trace.rule, "not_understood", "{reply:?}");
}

/// An unsure guess at a public service that the recorded callers most like this one meant as
/// no public service's business is not asked about: that business is named
/// (`Policy::recorded_outside_reading`).
#[test]
fn an_unsure_guess_is_named_as_no_public_services_business_when_recorded_callers_meant_that() {
    let question = "ma complémentaire a augmenté de trente pour cent c'est normal";
    let (_dir, bare) = commune(None);
    let reply = first_reply(&bare, question);
    expect(&reply, DecisionAction::Confirm, Some("cpam"));

    let insurer = "{ action: fallback, fiche: assurance }";
    let seen = recorded(
        "dev",
        &[
            (
                "ma complémentaire a augmenté ses tarifs cette année",
                insurer,
            ),
            (
                "la complémentaire augmente de vingt pour cent c'est normal",
                insurer,
            ),
            ("pourquoi ma complémentaire a autant augmenté", insurer),
        ],
    );
    let (_dir, knowledge) = commune(Some(&seen));
    let reply = first_reply(&knowledge, question);
    expect(&reply, DecisionAction::Fallback, Some("assurance"));
    assert_eq!(reply.trace.rule, "outside_public_service");

    // Under the least strength for naming, it is not named.
    let policy = guichet_agent::Policy {
        recorded_outside_reading: 1.0,
        ..guichet_agent::Policy::default()
    };
    let reply = call_under(&knowledge, policy).say(question);
    assert_ne!(reply.trace.fiche.as_deref(), Some("assurance"), "{reply:?}");
}
