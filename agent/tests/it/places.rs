//! The commune's other places, from `commune.toml`: its other sites (mairies annexes) are
//! answered with their own address and hours, never the main mairie's; a partner's local
//! office gives its address or hours within the deflection, when the caller asks.

use crate::common::*;
use guichet_agent::DecisionAction;

#[test]
fn a_site_named_gets_its_own_hours_not_the_mairie_s() {
    let knowledge = load(fixture("opening"));
    let mut call = Call::voice(&knowledge, tuesday_open(), MOBILE);
    let reply = call.say("la mairie annexe des coteaux elle ouvre à quelle heure");
    expect(&reply, DecisionAction::Answer, None);
    assert_eq!(reply.trace.rule, "mairie_site");
    let text = said(&reply);
    assert!(
        text.contains(
            "l'accueil de la Mairie annexe des Coteaux est ouvert, jusqu'à 12 heures. Il est \
             ouvert du mardi au jeudi de 9 heures à 12 heures."
        ),
        "{text}"
    );
    assert!(!text.contains("13 heures 30"), "the mairie's hours: {text}");
    assert_eq!(
        sms(&reply),
        ["Mairie annexe des Coteaux : horaires mar.-jeu. 9h-12h. Fermé les jours fériés."]
    );
}

#[test]
fn an_annexe_asked_for_gets_its_address() {
    let knowledge = load(fixture("opening"));
    let mut call = Call::voice(&knowledge, tuesday_open(), LANDLINE);
    let reply = call.say("euh c'est où la mairie annexe des coteaux");
    assert_eq!(reply.trace.rule, "mairie_site");
    let text = said(&reply);
    assert!(
        text.contains(
            "La Mairie annexe des Coteaux se trouve à l'adresse suivante : 5 place des Coteaux"
        ),
        "{text}"
    );
    assert!(
        !text.contains("rue de la Paix"),
        "the mairie's address: {text}"
    );
}

#[test]
fn what_the_file_does_not_say_of_a_site_is_said_so_with_its_number() {
    let knowledge = load(fixture("opening"));
    let mut call = Call::voice(&knowledge, tuesday_open(), LANDLINE);
    let reply = call.say("la mairie du moulin elle est ouverte le samedi");
    assert_eq!(reply.trace.rule, "mairie_site");
    let text = said(&reply);
    assert!(
        text.contains(
            "Je n'ai pas cette information pour la Mairie de quartier du Moulin ; vous pouvez \
             l'appeler au 01 30 00 00 12."
        ),
        "{text}"
    );
    assert!(!text.contains("13 heures 30"), "the mairie's hours: {text}");
}

#[test]
fn the_main_mairie_is_still_the_mairie() {
    let knowledge = load(fixture("opening"));
    let mut call = Call::voice(&knowledge, tuesday_open(), LANDLINE);
    let reply = call.say("la mairie elle est où");
    assert_eq!(reply.trace.rule, "mairie_address");
    assert!(said(&reply).contains("2 rue de la Paix"));
}

#[test]
fn a_partner_s_office_gives_its_address_or_hours_when_asked() {
    let knowledge = load(fixture("opening"));
    let mut call = Call::voice(&knowledge, tuesday_open(), LANDLINE);
    let reply = call.say("j'ai perdu ma carte vitale, la cpam c'est où");
    expect(&reply, DecisionAction::Deflect, Some("cpam"));
    let text = said(&reply);
    assert!(
        text.contains("se trouve à l'adresse suivante : 15 rue Jules-Régnier"),
        "{text}"
    );
    assert!(!text.contains("ouvert"), "hours not asked: {text}");

    let mut call = Call::voice(&knowledge, tuesday_open(), LANDLINE);
    let reply = call.say("ma carte vitale est perdue, la cpam elle ouvre à quelle heure");
    expect(&reply, DecisionAction::Deflect, Some("cpam"));
    let text = said(&reply);
    assert!(
        text.contains(
            "l'accueil de la Caisse primaire d'assurance maladie (CPAM) - Testville est ouvert, \
             jusqu'à 12 heures. Il est ouvert du lundi au vendredi"
        ),
        "{text}"
    );
    assert!(!text.contains("Jules-Régnier"), "address not asked: {text}");

    // Neither asked: the deflection as it was.
    let mut call = Call::voice(&knowledge, tuesday_open(), LANDLINE);
    let reply = call.say("j'ai perdu ma carte vitale");
    let text = said(&reply);
    assert!(
        !text.contains("Jules-Régnier") && !text.contains("est ouvert"),
        "{text}"
    );
}

#[test]
fn a_word_of_a_site_s_name_that_is_also_a_topic_names_it_only_with_annexe() {
    // « marché » is the commune's own fiche (the weekly market) and a site's name.
    let knowledge = load(fixture("opening"));
    let mut call = Call::voice(&knowledge, tuesday_open(), LANDLINE);
    let reply = call.say("la mairie c'est où, c'est près du marché ?");
    assert_ne!(reply.trace.rule, "mairie_site");
    assert!(
        !said(&reply).contains("place du Marché, 99998"),
        "{}",
        said(&reply)
    );

    let mut call = Call::voice(&knowledge, tuesday_open(), LANDLINE);
    let reply = call.say("la mairie annexe du marché c'est où");
    assert_eq!(reply.trace.rule, "mairie_site");
    assert!(
        said(&reply).contains("1 place du Marché"),
        "{}",
        said(&reply)
    );
}

#[test]
fn a_mobile_gets_the_office_s_address_with_the_link_and_no_empty_text() {
    let knowledge = load(fixture("opening"));
    let mut call = Call::voice(&knowledge, tuesday_open(), MOBILE);
    let reply = call.say("j'ai perdu ma carte vitale, la cpam c'est où");
    let texts = sms(&reply);
    assert_eq!(texts.len(), 1, "{texts:?}");
    assert!(
        texts[0].contains("ameli"),
        "the fiche's link first: {texts:?}"
    );
    assert!(
        texts[0].ends_with(
            "Caisse primaire d'assurance maladie (CPAM) - Testville : 01 30 00 00 20 - 15 rue \
             Jules-Régnier, 99998 Testville"
        ),
        "{texts:?}"
    );
    assert!(said(&reply).contains("Je vous envoie ces informations par SMS."));

    // Not asked where: the office's number is texted after the link all the same, once.
    let mut call = Call::voice(&knowledge, tuesday_open(), MOBILE);
    let reply = call.say("j'ai perdu ma carte vitale");
    let texts = sms(&reply);
    assert_eq!(texts.len(), 1, "{texts:?}");
    assert!(
        texts[0].contains("ameli")
            && texts[0].ends_with(
                "Caisse primaire d'assurance maladie (CPAM) - Testville : 01 30 00 00 20"
            ),
        "{texts:?}"
    );
    assert_eq!(texts[0].matches("01 30 00 00 20").count(), 1, "{texts:?}");

    // A site the file gives no hours for: its number is said, and nothing is texted.
    let mut call = Call::voice(&knowledge, tuesday_open(), MOBILE);
    let reply = call.say("la mairie du moulin elle est ouverte le samedi");
    assert_eq!(reply.trace.rule, "mairie_site");
    assert!(sms(&reply).is_empty(), "{:?}", sms(&reply));
    assert!(!said(&reply).contains("SMS"), "{}", said(&reply));
}
