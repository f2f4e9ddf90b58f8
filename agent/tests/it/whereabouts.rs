//! "Où est la mairie ?": answered from the commune's fiche about its address, else from the
//! address of `commune.toml`; never read as another topic's words.

use crate::common::*;
use guichet_agent::{ANYTHING_ELSE, Channel, DecisionAction};

#[test]
fn the_demo_answers_from_its_address_fiche() {
    for question in [
        "où est la mairie",
        "la mairie c'est dans quelle rue",
        "vous êtes situés où exactement, je viens de la gare",
    ] {
        let mut call = Call::voice(demo(), tuesday_open(), MOBILE);
        let reply = call.say(question);
        expect(&reply, DecisionAction::Answer, Some("adresse-mairie"));
        assert_eq!(reply.trace.rule, "mairie_address", "{question}");
        assert!(said(&reply).contains("1 place de la Mairie"), "{question}");
    }
}

#[test]
fn another_topic_named_with_the_question_is_that_topic() {
    let mut call = Call::voice(demo(), tuesday_open(), MOBILE);
    let reply = call.say("la mairie c'est où pour refaire mon passeport qui a expiré");
    expect(
        &reply,
        DecisionAction::Answer,
        Some("passeport-renouvellement"),
    );
}

#[test]
fn a_commune_without_such_a_fiche_says_its_address_and_texts_it_to_a_mobile() {
    let knowledge = load(fixture("whereabouts"));
    let mut call = Call::voice(&knowledge, tuesday_open(), MOBILE);
    let reply = call.say("bonjour vous êtes où exactement");
    expect(&reply, DecisionAction::Answer, None);
    assert_eq!(reply.trace.rule, "mairie_address");
    let text = said(&reply);
    assert!(text.contains("2 rue de la Paix"), "{text}");
    assert!(text.ends_with(ANYTHING_ELSE), "{text}");
    assert_eq!(
        sms(&reply),
        ["Mairie de Testville : 2 rue de la Paix, 99998 Testville"]
    );

    let mut call = Call::voice(&knowledge, tuesday_open(), LANDLINE);
    let reply = call.say("où est la mairie");
    assert!(said(&reply).contains("2 rue de la Paix"));
    assert!(sms(&reply).is_empty(), "no SMS to a landline");

    let mut call = Call::new(&knowledge, tuesday_open(), Channel::Sms, MOBILE);
    let reply = call.say("c ou la mairie");
    assert!(said(&reply).contains("2 rue de la Paix, 99998 Testville"));
    assert!(sms(&reply).is_empty(), "the reply itself is the text");
}

#[test]
fn a_commune_that_gives_no_address_asks_to_rephrase() {
    let knowledge = load(fixture("pilot"));
    let mut call = Call::voice(&knowledge, tuesday_open(), MOBILE);
    let reply = call.say("où est la mairie");
    assert_ne!(reply.trace.rule, "mairie_address");
    assert_ne!(reply.trace.action, DecisionAction::Answer);
}
