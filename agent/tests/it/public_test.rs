//! The reference system's public demonstration, replayed verbatim at 9:30 on Monday
//! 2026-03-09 (the mairie is closed until 13:30), from a mobile and from a landline.

use crate::common;

use common::*;
use guichet_agent::{DecisionAction, TicketKind};

const TURN_1: &str = "Mon voisin a déposé des déchets devant chez moi. C'est un dépôt sauvage. Je voudrais savoir ce que je dois faire, s'il vous plaît. Je ne suis pas du tout content.";
const TURN_2: &str = "Je n'ai pas Internet.";
const TURN_3: &str = "Oui, je voudrais refaire mon passeport, s'il vous plaît.";
const TURN_4: &str = "Il est expiré.";

#[test]
fn from_a_mobile() {
    let mut call = Call::voice(demo(), monday_morning(), MOBILE);
    assert!(said(&call.greeting).contains("assistant automatique"));

    let reply = call.say(TURN_1);
    eprintln!("{reply:#?}");
    expect(&reply, DecisionAction::Deflect, Some("depot-sauvage"));
    let text = said(&reply);
    assert!(text.starts_with(guichet_agent::ANGER_ACK), "{text}");
    assert!(
        text.contains("Communauté d'agglomération du Val d'Exemple"),
        "{text}"
    );
    assert!(
        text.contains("Voulez-vous que je transmette votre signalement"),
        "{text}"
    );
    assert_eq!(sms(&reply).len(), 1, "the link goes by SMS");
    assert!(!text.contains("http"), "{text}");

    let reply = call.say(TURN_2);
    eprintln!("{reply:#?}");
    expect(&reply, DecisionAction::Callback, None);
    let callback = ticket(&reply, TicketKind::Callback);
    assert_eq!(callback.caller, MOBILE);
    assert!(
        callback.summary.contains("dépôt sauvage"),
        "{}",
        callback.summary
    );
    assert!(
        said(&reply).contains("lundi à 13 heures 30"),
        "{}",
        said(&reply)
    );
    assert!(transfer_number(&reply).is_none());

    let reply = call.say(TURN_3);
    eprintln!("{reply:#?}");
    expect(&reply, DecisionAction::Clarify, Some("passeport"));
    let question = said(&reply);
    for option in ["perdu", "volé", "expiré", "première demande"] {
        assert!(question.contains(option), "{question}");
    }

    let reply = call.say(TURN_4);
    eprintln!("{reply:#?}");
    expect(
        &reply,
        DecisionAction::Answer,
        Some("passeport-renouvellement"),
    );
    assert!(said(&reply).contains("espace citoyen"), "{}", said(&reply));
    let texts = sms(&reply);
    assert!(
        texts.len() == 1 && texts[0].contains("https://"),
        "{texts:?}"
    );
    assert!(said(&reply).ends_with(guichet_agent::ANYTHING_ELSE));
}

#[test]
fn from_a_landline() {
    let mut call = Call::voice(demo(), monday_morning(), LANDLINE);

    let reply = call.say(TURN_1);
    expect(&reply, DecisionAction::Deflect, Some("depot-sauvage"));
    assert!(sms(&reply).is_empty());
    let text = said(&reply);
    assert!(
        text.contains("01 30 00 11 11") || text.contains("point example"),
        "told how to reach them: {text}"
    );
    assert!(
        text.contains("Voulez-vous que je transmette votre signalement"),
        "{text}"
    );

    let reply = call.say(TURN_2);
    expect(&reply, DecisionAction::Callback, None);
    assert_eq!(ticket(&reply, TicketKind::Callback).caller, LANDLINE);

    let reply = call.say(TURN_3);
    expect(&reply, DecisionAction::Clarify, Some("passeport"));

    let reply = call.say(TURN_4);
    eprintln!("{reply:#?}");
    expect(
        &reply,
        DecisionAction::Answer,
        Some("passeport-renouvellement"),
    );
    assert!(sms(&reply).is_empty(), "no SMS to a landline");
    let text = said(&reply);
    assert!(
        text.contains("villebourg point example") || text.contains("accueil de la mairie"),
        "{text}"
    );
    assert!(text.contains(guichet_agent::HUMAN_OFFER), "{text}");
    assert!(!text.contains("http"), "{text}");
}
